package org.grpo4j.dsl.data;

/**
 * A row of a data file that cannot be read; the message starts with {@code file:line:}.
 *
 * <pre>{@code
 * try { Dataset.jsonl("data/train.jsonl").size(); }
 * catch (BadRowException e) { System.err.println("fix line " + e.line() + " of " + e.file()); }
 * }</pre>
 */
public final class BadRowException extends IllegalArgumentException {
    private final String file;
    private final int line;

    public BadRowException(String file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
    }

    public String file() {
        return file;
    }

    /** The 1-based line the row starts on. */
    public int line() {
        return line;
    }
}
