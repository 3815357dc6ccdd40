package org.grpo4j.repl;

import java.io.PrintStream;

/** Where the REPL writes: a terminal (colours, a status line at the bottom) or plain streams (pipes, CI, tests). */
interface ReplOutput {
    /** Results: values, tables, listings. */
    void out(String line);

    /** Errors: compile errors, exceptions, failed commands. */
    void error(String line);

    /** Hints and confirmations, shown dimmed on a terminal. */
    void info(String line);

    /** Shows {@code line} as the live status ({@code null} clears it); plain output prints it as a line. */
    void status(String line);

    /** Lines printed from another thread while the user may be typing (training log, "training finished"). */
    void async(String line);

    /** A stream for error reports written by shared code ({@link ScriptRunner}). */
    PrintStream errStream();

    /** A stream for background log output (the trainer's log), printed above the prompt. */
    PrintStream logStream();

    /** Whether block characters (sparklines) can be shown. */
    boolean unicode();
}
