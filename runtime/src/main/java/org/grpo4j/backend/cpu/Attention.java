package org.grpo4j.backend.cpu;

/**
 * Causal grouped-query attention over packed sequences (forward saves the probabilities; backward replays them).
 * Query head {@code h} reads kv head {@code h / (heads / kvHeads)}; a sequence's rows only see its own earlier rows.
 */
final class Attention {
    private Attention() {}

    static void forward(float[] out, int oo, float[] probs, int po, float[] qkv, int io, int[] seqStart, int[] probStart,
                        int batch, int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(rows * heads, 8, (from, to) -> {
            for (int item = from; item < to; item++) {
                int r = item / heads, h = item % heads;
                int b = sequenceOf(seqStart, batch, r);
                int start = seqStart[b], T = seqStart[b + 1] - start, t = r - start;
                int kOff = io + heads * hd + (h / group) * hd, vOff = kOff + kvHeads * hd;
                int q = io + r * width + h * hd;
                int p = po + probStart[b] + (h * T + t) * T;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    float score = VectorMath.dot(qkv, q, qkv, kOff + (start + s) * width, hd) * scale;
                    probs[p + s] = score;
                    if (score > max) max = score;
                }
                float sum = 0f;
                for (int s = 0; s <= t; s++) {
                    float e = (float) Math.exp(probs[p + s] - max);
                    probs[p + s] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                int o = oo + r * outWidth + h * hd;
                java.util.Arrays.fill(out, o, o + hd, 0f);
                for (int s = 0; s <= t; s++) {
                    float pr = probs[p + s] * inv;
                    probs[p + s] = pr;
                    VectorMath.axpy(out, o, pr, qkv, vOff + (start + s) * width, hd);
                }
            }
        });
    }

    /**
     * One task per (sequence, kv head): it owns that kv head's dk/dv rows and the dq of the query heads of its
     * group, so no two threads write the same gradient.
     */
    static void backward(float[] dQkv, int dqo, float[] dOut, int doo, float[] qkv, int io, float[] probs, int po,
                         int[] seqStart, int[] probStart, int batch, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(batch * kvHeads, (from, to) -> {
            float[] dp = new float[maxLength(seqStart, batch)];
            for (int task = from; task < to; task++) {
                int b = task / kvHeads, kvh = task % kvHeads;
                int start = seqStart[b], T = seqStart[b + 1] - start;
                int kCol = heads * hd + kvh * hd, vCol = kCol + kvHeads * hd;
                for (int s = 0; s < T; s++) {
                    int row = (start + s) * width;
                    java.util.Arrays.fill(dQkv, dqo + row + kCol, dqo + row + kCol + hd, 0f);
                    java.util.Arrays.fill(dQkv, dqo + row + vCol, dqo + row + vCol + hd, 0f);
                }
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int t = 0; t < T; t++) {
                        int r = start + t;
                        int q = io + r * width + h * hd, dq = dqo + r * width + h * hd;
                        int d = doo + r * outWidth + h * hd;
                        int p = po + probStart[b] + (h * T + t) * T;
                        float sum = 0f;
                        for (int s = 0; s <= t; s++) {
                            int row = (start + s) * width;
                            dp[s] = VectorMath.dot(dOut, d, qkv, io + row + vCol, hd);
                            sum += dp[s] * probs[p + s];
                            VectorMath.axpy(dQkv, dqo + row + vCol, probs[p + s], dOut, d, hd);
                        }
                        java.util.Arrays.fill(dQkv, dq, dq + hd, 0f);
                        for (int s = 0; s <= t; s++) {
                            int row = (start + s) * width;
                            float ds = probs[p + s] * (dp[s] - sum) * scale;
                            VectorMath.axpy(dQkv, dq, ds, qkv, io + row + kCol, hd);
                            VectorMath.axpy(dQkv, dqo + row + kCol, ds, qkv, q, hd);
                        }
                    }
                }
            }
        });
    }

    static int sequenceOf(int[] seqStart, int batch, int row) {
        int lo = 0, hi = batch - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (seqStart[mid] <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private static int maxLength(int[] seqStart, int batch) {
        int m = 0;
        for (int b = 0; b < batch; b++) m = Math.max(m, seqStart[b + 1] - seqStart[b]);
        return m;
    }
}
