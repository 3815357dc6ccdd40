package org.grpo4j.repl;

import java.util.ArrayList;
import java.util.List;

/** Renders compile errors and exceptions the way javac and {@code java} do, with script lines instead of snippet ids. */
final class Problems {
    private Problems() {}

    /**
     * {@code file:line:col: error: message}, the source line, a caret under the column, then the rest of javac's
     * message (its {@code symbol:}/{@code location:} lines). For REPL input (no file) the header is {@code error:}.
     */
    static List<String> format(Shell.CompileError e) {
        List<String> out = new ArrayList<>();
        List<String> msg = e.message().lines().toList();
        String first = msg.isEmpty() ? "" : msg.getFirst();
        out.add(e.origin() == null ? "error: " + first : e.origin() + ":" + e.line() + ":" + e.column() + ": error: " + first);
        out.add(e.sourceLine());
        out.add(caret(e.sourceLine(), e.column()));
        // javac names JShell's nameless wrapper class as "location: class"; that says nothing to the user
        for (int i = 1; i < msg.size(); i++) if (!msg.get(i).strip().equals("location: class")) out.add(msg.get(i));
        return out;
    }

    /**
     * For a script: {@code file:line: error: exception Class: message}, the script line, the stack trimmed to the
     * user's code ({@code at f (file:line)}), then each cause. For REPL input the header is the exception itself.
     */
    static List<String> format(Shell.Failure f) {
        List<String> out = new ArrayList<>();
        String ex = f.exceptionClass() + (f.message() == null ? "" : ": " + f.message());
        if (f.origin() != null && !f.origin().startsWith("#")) {
            out.add(f.origin() + ":" + f.line() + ": error: exception " + ex);
            if (f.sourceLine() != null) out.add(f.sourceLine());
        } else {
            out.add(ex);
        }
        for (String fr : f.frames()) out.add("    " + fr);
        for (Shell.Failure c = f.cause(); c != null; c = c.cause()) {
            out.add("Caused by: " + c.exceptionClass() + (c.message() == null ? "" : ": " + c.message()));
            for (String fr : c.frames()) out.add("    " + fr);
        }
        return out;
    }

    /** Spaces (tabs where the source has tabs, so the caret lines up) and a caret under 1-based {@code column}. */
    static String caret(String sourceLine, int column) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < column - 1; i++) b.append(i < sourceLine.length() && sourceLine.charAt(i) == '\t' ? '\t' : ' ');
        return b.append('^').toString();
    }
}
