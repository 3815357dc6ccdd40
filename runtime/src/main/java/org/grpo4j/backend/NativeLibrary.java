package org.grpo4j.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * A C library opened once for {@code java.lang.foreign} downcalls (OpenCL, Open MPI): its symbols, or why it could not
 * be opened — a message that says what to install, given to the user the first time the library is needed instead
 * of a bare {@code NullPointerException} later.
 *
 * @param lookup  the library's symbols, or null when it could not be opened
 * @param failure why it could not be opened, or null
 */
public record NativeLibrary(SymbolLookup lookup, String failure) {

    /** Opens {@code name}; on failure the message reads "{@code missing}: {@code name} could not be loaded (why); {@code install}". */
    public static NativeLibrary open(String name, String missing, String install) {
        try {
            return new NativeLibrary(SymbolLookup.libraryLookup(name, Arena.global()), null);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return new NativeLibrary(null, missing + ": " + name + " could not be loaded (" + e.getMessage() + "); " + install);
        }
    }
}
