package org.grpo4j.dsl.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The rows of a data set, frozen (in a {@link RowStore} off the heap when read from files), with where each came from ({@code data/train.jsonl:17}, or {@code row 3} for
 * rows built in memory) so that any later complaint about a row can name it, the columns in first-seen order, and
 * the rows that were skipped while reading.
 *
 * <pre>{@code
 * Table t = JsonlReader.read(Path.of("data/train.jsonl"), BadRows.STOP);
 * System.out.println(t.rows().size() + " rows from " + t.source() + ", first at " + t.origins().getFirst());
 * }</pre>
 *
 * @param badRows the messages of skipped rows ({@code file:line: problem}), in file order
 */
public record Table(String source, List<Map<String, Object>> rows, List<String> origins, List<String> columns, List<String> badRows) {
    public Table {
        if (rows.size() != origins.size()) throw new IllegalArgumentException("rows and origins differ in length");
        // rows in a store or a view over one stay where they are; a plain list is copied
        rows = RowViews.frozen(rows) ? rows : Collections.unmodifiableList(new ArrayList<>(rows));
        origins = origins instanceof Origins ? origins : List.copyOf(origins);
        columns = List.copyOf(columns);
        badRows = List.copyOf(badRows);
    }

    /** A table whose columns are the union of the rows' keys in first-seen order. */
    public static Table of(String source, List<Map<String, Object>> rows, List<String> origins, List<String> badRows) {
        return new Table(source, rows, origins, columnsOf(rows), badRows);
    }

    public static List<String> columnsOf(List<Map<String, Object>> rows) {
        LinkedHashSet<String> cols = new LinkedHashSet<>();
        for (Map<String, Object> r : rows) cols.addAll(r.keySet());
        return new ArrayList<>(cols);
    }

    /** An unmodifiable deep copy: maps keep their order and may hold nulls (JSON null), lists and maps nest. */
    public static Object freeze(Object v) {
        if (v instanceof RowMap) return v;
        if (v instanceof Map<?, ?> m) {
            String[] keys = new String[m.size()];
            Object[] values = new Object[m.size()];
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                keys[i] = String.valueOf(e.getKey());
                values[i++] = freeze(e.getValue());
            }
            return RowMap.of(keys, values);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(freeze(x));
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> freezeRow(Map<String, ?> row) {
        return (Map<String, Object>) freeze(row);
    }
}
