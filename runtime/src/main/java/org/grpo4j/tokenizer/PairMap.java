package org.grpo4j.tokenizer;

/**
 * BPE merges as an open-addressing hash map from a token-id pair to {@code (rank << 32) | mergedId}: the merge loop
 * looks a pair up for every neighbour it touches, so it must not box or hash strings.
 */
final class PairMap {
    static final long MISSING = -1L;
    private final long[] keys;
    private final long[] values;
    private final int mask;

    PairMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        java.util.Arrays.fill(keys, -1L);
        mask = cap - 1;
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** A pair listed twice keeps its last rank, as Hugging Face's map built from the merges list does. */
    void put(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int i = slot(k) & mask;
        while (keys[i] != -1L && keys[i] != k) i = (i + 1) & mask;
        keys[i] = k;
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }

    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k) & mask;
        while (true) {
            long kk = keys[i];
            if (kk == k) return values[i];
            if (kk == -1L) return MISSING;
            i = (i + 1) & mask;
        }
    }
}
