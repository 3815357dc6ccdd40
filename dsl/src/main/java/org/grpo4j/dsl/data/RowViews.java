package org.grpo4j.dsl.data;

import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.function.UnaryOperator;

/**
 * Lists of rows that hold no rows themselves: a selection of another list's rows by position (filter, shuffle,
 * take, split), another list's rows reshaped on reading (select, rename), and several lists one after the other
 * (the files of a split). A data set built from a file keeps its rows in a {@link RowStore}; these views let every
 * reshaping keep them there, at 4 bytes per row for a selection and nothing for the others.
 *
 * <pre>{@code
 * List<Map<String, Object>> firstTwo = RowViews.pick(rows, new int[] {0, 1});
 * }</pre>
 */
final class RowViews {
    private RowViews() {}

    /** Whether a list is one of these views or a store, which a {@link Table} keeps as it is instead of copying. */
    static boolean frozen(List<?> rows) {
        return rows instanceof RowStore || rows instanceof View;
    }

    private abstract static class View extends AbstractList<Map<String, Object>> implements RandomAccess {}

    /** The rows of {@code from} at these positions. */
    static List<Map<String, Object>> pick(List<Map<String, Object>> from, int[] at) {
        return new View() {
            @Override
            public Map<String, Object> get(int i) {
                return from.get(at[i]);
            }

            @Override
            public int size() {
                return at.length;
            }
        };
    }

    /** The first {@code n} rows of {@code from}. */
    static List<Map<String, Object>> head(List<Map<String, Object>> from, int n) {
        if (n == from.size() && frozen(from)) return from;
        return new View() {
            @Override
            public Map<String, Object> get(int i) {
                return from.get(java.util.Objects.checkIndex(i, n));
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    /** Each row of {@code from} passed through {@code f} when it is read ({@code f} must be cheap and must not fail). */
    static List<Map<String, Object>> mapped(List<Map<String, Object>> from, UnaryOperator<Map<String, Object>> f) {
        return new View() {
            @Override
            public Map<String, Object> get(int i) {
                return f.apply(from.get(i));
            }

            @Override
            public int size() {
                return from.size();
            }
        };
    }

    /** The rows of several lists one after the other. */
    static List<Map<String, Object>> concat(List<List<Map<String, Object>>> parts) {
        if (parts.size() == 1 && frozen(parts.getFirst())) return parts.getFirst();
        int[] starts = new int[parts.size() + 1];
        for (int p = 0; p < parts.size(); p++) starts[p + 1] = Math.addExact(starts[p], parts.get(p).size());
        return new View() {
            @Override
            public Map<String, Object> get(int i) {
                java.util.Objects.checkIndex(i, starts[starts.length - 1]);
                int p = java.util.Arrays.binarySearch(starts, i);
                // an exact hit may be the start of an empty part: take the last part starting there
                if (p >= 0) while (p + 1 < parts.size() && starts[p + 1] == i) p++;
                else p = -p - 2;
                return parts.get(p).get(i - starts[p]);
            }

            @Override
            public int size() {
                return starts[starts.length - 1];
            }
        };
    }
}
