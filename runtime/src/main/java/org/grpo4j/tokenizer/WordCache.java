package org.grpo4j.tokenizer;

/**
 * The ids of recently seen words, looked up by a region of the text so a hit allocates nothing (no substring, no
 * byte-level mapping). Direct-mapped: a colliding word replaces the old one, which bounds memory without
 * bookkeeping. One per thread (not thread-safe).
 */
final class WordCache {
    private static final int SLOTS = 1 << 14;
    static final int MAX_WORD = 64;
    private final String[] keys = new String[SLOTS];
    private final int[][] values = new int[SLOTS][];

    static int hash(String s, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + s.charAt(i);
        return (h ^ (h >>> 15)) & (SLOTS - 1);
    }

    /** The cached ids of {@code s[start, end)}, or null. */
    int[] get(String s, int start, int end, int slot) {
        String k = keys[slot];
        int len = end - start;
        return k != null && k.length() == len && k.regionMatches(0, s, start, len) ? values[slot] : null;
    }

    void put(int slot, String word, int[] ids) {
        keys[slot] = word;
        values[slot] = ids;
    }
}
