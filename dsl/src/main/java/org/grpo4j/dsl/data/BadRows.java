package org.grpo4j.dsl.data;

/**
 * What reading a data set does with a row it cannot read (malformed JSON, a CSV record with the wrong number of
 * fields): {@link #STOP} fails with the file and line (the default: bad input never disappears silently), or
 * {@link #SKIP} leaves the row out and counts it ({@link Dataset#skippedRows()}, {@link Dataset#badRows()}).
 *
 * <pre>{@code
 * Dataset d = Dataset.jsonl("data/train.jsonl").onBadRows(BadRows.SKIP);
 * System.out.println(d.size() + " rows, " + d.skippedRows() + " skipped");
 * }</pre>
 */
public enum BadRows {
    STOP,
    SKIP
}
