package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of query rows over a KV cache (generation): each row reads a shared prefix run of cache rows (its
 * prompt) and its own run (its generated tokens). One task per (row, kv head) handles every query head of the group.
 *
 * <p>The CPU backend keeps the k cache transposed, {@code [kvHeads·hd, cacheRows]}: the scores of a run of keys are
 * then {@code Σ_i q[i] · kᵀ[i, run]}, vectorised across keys with no horizontal reductions, and the probabilities
 * times v accumulate per lane-chunk of the head in registers. The v cache is row-major {@code [cacheRows, kvHeads·hd]}.
 */
final class DecodeAttention {
    private DecodeAttention() {}

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int W = VectorMath.W;

    /** Scores of one task ({@code group × keys}); grows to the longest context seen, then is reused. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[1024]);

    static void store(float[] k, int ko, int cacheRows, float[] v, int vo, float[] qkv, int io, int[] slots, int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, kvDim = kvHeads * hd;
        for (int r = 0; r < rows; r++) {
            int src = io + r * width + heads * hd, slot = slots[r];
            for (int j = 0; j < kvDim; j++) k[ko + j * cacheRows + slot] = qkv[src + j];
            System.arraycopy(qkv, src + kvDim, v, vo + slot * kvDim, kvDim);
        }
    }

    static void forward(float[] out, int oo, float[] qkv, int io, float[] k, int ko, int cacheRows, float[] v, int vo, int[] seg,
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
                int kRows = ko + kvh * hd * cacheRows, vCol = vo + kvh * hd;
                // the query heads of a kv group two at a time: each key and value vector is loaded once for both
                for (int g = 0; g < group; g += 2) {
                    int g1 = Math.min(g + 1, group - 1); // an odd last head pairs with itself (computed twice, stored once)
                    int q0 = io + r * width + (kvh * group + g) * hd, q1 = io + r * width + (kvh * group + g1) * hd;
                    int p0 = g * T, p1 = g1 * T;
                    scores(s, p0, p1, qkv, q0, q1, k, kRows, cacheRows, aStart, aLen, hd, scale);
                    scores(s, p0 + aLen, p1 + aLen, qkv, q0, q1, k, kRows, cacheRows, bStart, bLen, hd, scale);
                    // the training forward's softmax: the same sums in the same order, so decode and the full forward agree
                    Attention.softmaxInPlace(s, p0, T);
                    if (g1 != g) Attention.softmaxInPlace(s, p1, T);
                    int o0 = oo + r * outWidth + (kvh * group + g) * hd, o1 = oo + r * outWidth + (kvh * group + g1) * hd;
                    if (hd % W == 0) {
                        for (int c = 0; c < hd; c += W) {
                            int base = vCol + c;
                            pv(s, p0, p1, v, base + aStart * kvDim, kvDim, aLen, out, o0 + c, o1 + c, false);
                            pv(s, p0 + aLen, p1 + aLen, v, base + bStart * kvDim, kvDim, bLen, out, o0 + c, o1 + c, true);
                        }
                    } else {
                        for (int h = g; h <= g1; h++) {
                            int o = oo + r * outWidth + (kvh * group + h) * hd, p = h * T;
                            java.util.Arrays.fill(out, o, o + hd, 0f);
                            for (int t = 0; t < T; t++) {
                                int slot = t < aLen ? aStart + t : bStart + t - aLen;
                                VectorMath.axpy(out, o, s[p + t], v, vCol + slot * kvDim, hd);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code out[o0..o0+W) (+)= Σ_t s[p0 + t] · v[at + t·stride ..]}, and the same for head 1 ({@code p1}, {@code o1}) from
     * the same value vectors: four independent chains per head so the FMAs pipeline; no vector crosses a method
     * boundary (that would box it when the JIT does not inline).
     */
    private static void pv(float[] s, int p0, int p1, float[] v, int at, int stride, int len, float[] out, int o0, int o1, boolean accumulate) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = accumulate ? FloatVector.fromArray(F, out, o0) : z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = accumulate ? FloatVector.fromArray(F, out, o1) : z, b1 = z, b2 = z, b3 = z;
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            int x = at + t * stride;
            FloatVector v0 = FloatVector.fromArray(F, v, x), v1 = FloatVector.fromArray(F, v, x + stride);
            FloatVector v2 = FloatVector.fromArray(F, v, x + 2 * stride), v3 = FloatVector.fromArray(F, v, x + 3 * stride);
            a0 = v0.fma(FloatVector.broadcast(F, s[p0 + t]), a0);
            a1 = v1.fma(FloatVector.broadcast(F, s[p0 + t + 1]), a1);
            a2 = v2.fma(FloatVector.broadcast(F, s[p0 + t + 2]), a2);
            a3 = v3.fma(FloatVector.broadcast(F, s[p0 + t + 3]), a3);
            b0 = v0.fma(FloatVector.broadcast(F, s[p1 + t]), b0);
            b1 = v1.fma(FloatVector.broadcast(F, s[p1 + t + 1]), b1);
            b2 = v2.fma(FloatVector.broadcast(F, s[p1 + t + 2]), b2);
            b3 = v3.fma(FloatVector.broadcast(F, s[p1 + t + 3]), b3);
        }
        for (; t < len; t++) {
            FloatVector v0 = FloatVector.fromArray(F, v, at + t * stride);
            a0 = v0.fma(FloatVector.broadcast(F, s[p0 + t]), a0);
            b0 = v0.fma(FloatVector.broadcast(F, s[p1 + t]), b0);
        }
        b0.add(b1).add(b2.add(b3)).intoArray(out, o1); // head 1 first: an odd last head is its own pair (o1 == o0)
        a0.add(a1).add(a2.add(a3)).intoArray(out, o0);
    }

    /**
     * {@code s[p0 + t] = scale · Σ_i q0[i] · kᵀ[i, start + t]} for the {@code len} keys of one run, and the same for
     * query {@code q1} into {@code p1}: vectorised across keys, each key vector loaded once for both heads. The last
     * partial vector of keys is computed whole while it lies inside the cache row and stored under a mask.
     */
    private static void scores(float[] s, int p0, int p1, float[] qkv, int q0, int q1, float[] k, int kRows, int cacheRows, int start, int len,
                               int hd, float scale) {
        int t = 0;
        for (; t < len && start + t + W <= cacheRows; t += W) {
            int col = kRows + start + t;
            FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
            int i = 0;
            for (; i + 4 <= hd; i += 4) {
                int o = col + i * cacheRows;
                FloatVector k0 = FloatVector.fromArray(F, k, o), k1 = FloatVector.fromArray(F, k, o + cacheRows);
                FloatVector k2 = FloatVector.fromArray(F, k, o + 2 * cacheRows), k3 = FloatVector.fromArray(F, k, o + 3 * cacheRows);
                a0 = k0.fma(FloatVector.broadcast(F, qkv[q0 + i]), a0);
                a1 = k1.fma(FloatVector.broadcast(F, qkv[q0 + i + 1]), a1);
                a2 = k2.fma(FloatVector.broadcast(F, qkv[q0 + i + 2]), a2);
                a3 = k3.fma(FloatVector.broadcast(F, qkv[q0 + i + 3]), a3);
                b0 = k0.fma(FloatVector.broadcast(F, qkv[q1 + i]), b0);
                b1 = k1.fma(FloatVector.broadcast(F, qkv[q1 + i + 1]), b1);
                b2 = k2.fma(FloatVector.broadcast(F, qkv[q1 + i + 2]), b2);
                b3 = k3.fma(FloatVector.broadcast(F, qkv[q1 + i + 3]), b3);
            }
            for (; i < hd; i++) {
                FloatVector k0 = FloatVector.fromArray(F, k, col + i * cacheRows);
                a0 = k0.fma(FloatVector.broadcast(F, qkv[q0 + i]), a0);
                b0 = k0.fma(FloatVector.broadcast(F, qkv[q1 + i]), b0);
            }
            FloatVector sa = a0.add(a1).add(a2.add(a3)).mul(scale), sb = b0.add(b1).add(b2.add(b3)).mul(scale);
            if (t + W <= len) {
                sb.intoArray(s, p1 + t);
                sa.intoArray(s, p0 + t);
            } else {
                VectorMask<Float> m = F.indexInRange(t, len);
                sb.intoArray(s, p1 + t, m);
                sa.intoArray(s, p0 + t, m);
            }
        }
        // keys whose vector would run past the end of the cache row, one by one (strided column reads)
        for (; t < len; t++) {
            int col = kRows + start + t;
            float acc0 = 0f, acc1 = 0f;
            for (int i = 0; i < hd; i++) {
                float kv = k[col + i * cacheRows];
                acc0 += qkv[q0 + i] * kv;
                acc1 += qkv[q1 + i] * kv;
            }
            s[p1 + t] = acc1 * scale;
            s[p0 + t] = acc0 * scale;
        }
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
