package org.grpo4j.backend.cpu;

/**
 * Attention of query rows over a KV cache (generation): each row reads a shared prefix run of cache rows (its
 * prompt) and its own run (its generated tokens). One task per (row, kv head) computes all query heads of the
 * group together, so every cached k and v row is loaded once per group rather than once per query head.
 */
final class DecodeAttention {
    private DecodeAttention() {}

    /** Scores of one task ({@code group × keys}); grows to the longest context seen, then is reused. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[1024]);

    static void store(float[] k, int ko, float[] v, int vo, float[] qkv, int io, int[] slots, int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, kvDim = kvHeads * hd;
        for (int r = 0; r < rows; r++) {
            int src = io + r * width + heads * hd, dst = slots[r] * kvDim;
            System.arraycopy(qkv, src, k, ko + dst, kvDim);
            System.arraycopy(qkv, src + kvDim, v, vo + dst, kvDim);
        }
    }

    static void forward(float[] out, int oo, float[] qkv, int io, float[] k, int ko, float[] v, int vo, int[] seg,
                        int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long work = 0;
        for (int r = 0; r < rows; r++) work += (long) (seg[4 * r + 1] + seg[4 * r + 3]) * heads * hd;
        // a handful of short rows is cheaper on the calling thread than a hand-off to the pool
        int grain = work < (1 << 16) ? rows * kvHeads : 1;
        Parallel.forRange(rows * kvHeads, grain, (from, to) -> {
            for (int item = from; item < to; item++) {
                int r = item / kvHeads, kvh = item % kvHeads;
                int aStart = seg[4 * r], aLen = seg[4 * r + 1], bStart = seg[4 * r + 2], bLen = seg[4 * r + 3];
                int T = aLen + bLen;
                if (T == 0) throw new IllegalArgumentException("attention row " + r + " has no keys to attend to");
                float[] s = scratch(group * T);
                int h0 = kvh * group, kCol = ko + kvh * hd, vCol = vo + kvh * hd;
                // scores: one pass over the keys, every query head of the group per key
                for (int t = 0; t < T; t++) {
                    int slot = t < aLen ? aStart + t : bStart + t - aLen;
                    int kr = kCol + slot * kvDim;
                    for (int g = 0; g < group; g++)
                        s[g * T + t] = VectorMath.dot(qkv, io + r * width + (h0 + g) * hd, k, kr, hd) * scale;
                }
                for (int g = 0; g < group; g++) {
                    int p = g * T;
                    float max = VectorMath.max(s, p, T), sum = 0f;
                    for (int t = 0; t < T; t++) {
                        float e = (float) Math.exp(s[p + t] - max);
                        s[p + t] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (int t = 0; t < T; t++) s[p + t] *= inv;
                    int o = oo + r * outWidth + (h0 + g) * hd;
                    java.util.Arrays.fill(out, o, o + hd, 0f);
                }
                for (int t = 0; t < T; t++) {
                    int slot = t < aLen ? aStart + t : bStart + t - aLen;
                    int vr = vCol + slot * kvDim;
                    for (int g = 0; g < group; g++)
                        VectorMath.axpy(out, oo + r * outWidth + (h0 + g) * hd, s[g * T + t], v, vr, hd);
                }
            }
        });
    }

    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[Math.max(n, 2 * s.length)];
            SCRATCH.set(s);
        }
        return s;
    }
}
