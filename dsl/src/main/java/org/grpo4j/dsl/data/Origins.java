package org.grpo4j.dsl.data;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;

/**
 * Where each row came from ({@code data/train.jsonl:17}, {@code data/train.parquet row 17}, {@code row 3}), kept
 * as a prefix index and a number per row and turned into text only when a message needs it: a string per row
 * would cost a large data set more memory than its values.
 *
 * <pre>{@code
 * Origins.Builder b = new Origins.Builder();
 * int f = b.source("data/train.jsonl:");
 * b.add(f, 1); b.add(f, 3);
 * b.build().get(1);   // "data/train.jsonl:3"
 * }</pre>
 */
final class Origins extends AbstractList<String> implements RandomAccess {
    private final String[] prefixes;
    private final long[] entries; // prefix index << 32 | number

    private Origins(String[] prefixes, long[] entries) {
        this.prefixes = prefixes;
        this.entries = entries;
    }

    @Override
    public String get(int i) {
        long e = entries[i];
        long number = e & 0xFFFFFFFFL;
        return number == 0xFFFFFFFFL ? prefixes[(int) (e >>> 32)] : prefixes[(int) (e >>> 32)] + number;
    }

    @Override
    public int size() {
        return entries.length;
    }

    /** The origins at these positions: compact when {@code from} is, else a plain list. */
    static List<String> pick(List<String> from, int[] at, int n) {
        if (from instanceof Origins o) {
            long[] e = new long[n];
            for (int i = 0; i < n; i++) e[i] = o.entries[at[i]];
            return new Origins(o.prefixes, e);
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(from.get(at[i]));
        return out;
    }

    /** The first {@code n} origins. */
    static List<String> head(List<String> from, int n) {
        if (from instanceof Origins o) return new Origins(o.prefixes, java.util.Arrays.copyOf(o.entries, n));
        return from.subList(0, n);
    }

    /** The origins of several tables one after the other (the files of a split). */
    static List<String> concat(List<List<String>> parts) {
        if (!parts.stream().allMatch(p -> p instanceof Origins)) {
            List<String> out = new ArrayList<>();
            parts.forEach(out::addAll);
            return out;
        }
        Builder b = new Builder();
        for (List<String> part : parts) {
            Origins o = (Origins) part;
            int[] map = new int[o.prefixes.length];
            for (int k = 0; k < map.length; k++) map[k] = b.source(o.prefixes[k]);
            for (long e : o.entries) b.add(map[(int) (e >>> 32)], e & 0xFFFFFFFFL);
        }
        return b.build();
    }

    static final class Builder {
        private final List<String> prefixes = new ArrayList<>();
        private long[] entries = new long[16];
        private int n;

        /** The index of a prefix ({@code "file:"}, {@code "file row "}); the same prefix gets the same index. */
        int source(String prefix) {
            int last = prefixes.size() - 1;
            if (last >= 0 && prefixes.get(last).equals(prefix)) return last;
            int i = prefixes.indexOf(prefix);
            if (i >= 0) return i;
            prefixes.add(prefix);
            return prefixes.size() - 1;
        }

        /** Adds a row numbered {@code number} ({@code -1}: the prefix alone is the whole text). */
        void add(int source, long number) {
            if (n == entries.length) entries = java.util.Arrays.copyOf(entries, n * 2);
            entries[n++] = (long) source << 32 | (number & 0xFFFFFFFFL);
        }

        Origins build() {
            return new Origins(prefixes.toArray(String[]::new), java.util.Arrays.copyOf(entries, n));
        }
    }
}
