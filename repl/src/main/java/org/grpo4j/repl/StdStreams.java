package org.grpo4j.repl;

import java.io.PrintStream;

/**
 * Points {@code System.out}/{@code System.err} at other streams while snippets run. Snippets run in this JVM and
 * print to {@code System.out}; a caller that passes its own streams (tests, an embedding application) gets the
 * snippets' output there. Closing restores the previous streams.
 */
final class StdStreams implements AutoCloseable {
    private final PrintStream out, err;

    private StdStreams(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static StdStreams redirect(PrintStream out, PrintStream err) {
        StdStreams saved = new StdStreams(System.out, System.err);
        if (out != System.out) System.setOut(out);
        if (err != System.err) System.setErr(err);
        return saved;
    }

    @Override
    public void close() {
        System.out.flush();
        System.err.flush();
        if (System.out != out) System.setOut(out);
        if (System.err != err) System.setErr(err);
    }
}
