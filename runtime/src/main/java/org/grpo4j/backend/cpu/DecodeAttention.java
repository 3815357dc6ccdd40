package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
                for (int g = 0; g < group; g++) {
                    int q = io + r * width + (kvh * group + g) * hd, p = g * T;
                    scores(s, p, qkv, q, k, kRows, cacheRows, aStart, aLen, hd, scale);
                    scores(s, p + aLen, qkv, q, k, kRows, cacheRows, bStart, bLen, hd, scale);
                    softmax(s, p, T);
                    int o = oo + r * outWidth + (kvh * group + g) * hd;
                    if (hd % W == 0) {
                        for (int c = 0; c < hd; c += W) {
                            int base = vCol + c;
                            pv(s, p, v, base + aStart * kvDim, kvDim, aLen, out, o + c, false);
                            pv(s, p + aLen, v, base + bStart * kvDim, kvDim, bLen, out, o + c, true);
                        }
                    } else {
                        java.util.Arrays.fill(out, o, o + hd, 0f);
                        for (int t = 0; t < T; t++) {
                            int slot = t < aLen ? aStart + t : bStart + t - aLen;
                            VectorMath.axpy(out, o, s[p + t], v, vCol + slot * kvDim, hd);
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code out[o..o+W) (+)= Σ_t s[p + t] · v[at + t·stride ..]}: four independent chains so the FMAs pipeline; no
     * vector crosses a method boundary (that would box it when the JIT does not inline).
     */
    private static void pv(float[] s, int p, float[] v, int at, int stride, int len, float[] out, int o, boolean accumulate) {
        FloatVector a0 = accumulate ? FloatVector.fromArray(F, out, o) : FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            int x = at + t * stride;
            a0 = FloatVector.fromArray(F, v, x).fma(FloatVector.broadcast(F, s[p + t]), a0);
            a1 = FloatVector.fromArray(F, v, x + stride).fma(FloatVector.broadcast(F, s[p + t + 1]), a1);
            a2 = FloatVector.fromArray(F, v, x + 2 * stride).fma(FloatVector.broadcast(F, s[p + t + 2]), a2);
            a3 = FloatVector.fromArray(F, v, x + 3 * stride).fma(FloatVector.broadcast(F, s[p + t + 3]), a3);
        }
        for (; t < len; t++) a0 = FloatVector.fromArray(F, v, at + t * stride).fma(FloatVector.broadcast(F, s[p + t]), a0);
        a0.add(a1).add(a2.add(a3)).intoArray(out, o);
    }

    /** {@code s[p + t] = scale · Σ_i q[i] · kᵀ[i, start + t]} for the {@code len} keys of one run, vectorised across keys. */
    private static void scores(float[] s, int p, float[] qkv, int q, float[] k, int kRows, int cacheRows, int start, int len, int hd, float scale) {
        int t = 0;
        for (int upper = F.loopBound(len); t < upper; t += W) {
            int col = kRows + start + t;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int i = 0;
            for (; i + 4 <= hd; i += 4) {
                int o = col + i * cacheRows;
                a0 = FloatVector.fromArray(F, k, o).fma(FloatVector.broadcast(F, qkv[q + i]), a0);
                a1 = FloatVector.fromArray(F, k, o + cacheRows).fma(FloatVector.broadcast(F, qkv[q + i + 1]), a1);
                a2 = FloatVector.fromArray(F, k, o + 2 * cacheRows).fma(FloatVector.broadcast(F, qkv[q + i + 2]), a2);
                a3 = FloatVector.fromArray(F, k, o + 3 * cacheRows).fma(FloatVector.broadcast(F, qkv[q + i + 3]), a3);
            }
            for (; i < hd; i++) a0 = FloatVector.fromArray(F, k, col + i * cacheRows).fma(FloatVector.broadcast(F, qkv[q + i]), a0);
            a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(s, p + t);
        }
        // the tail keys one by one (strided column reads)
        for (; t < len; t++) {
            int col = kRows + start + t;
            float acc = 0f;
            for (int i = 0; i < hd; i++) acc += qkv[q + i] * k[col + i * cacheRows];
            s[p + t] = acc * scale;
        }
    }

    private static void softmax(float[] s, int p, int T) {
        float max = VectorMath.max(s, p, T);
        FloatVector vmax = FloatVector.broadcast(F, max), acc = FloatVector.zero(F);
        int t = 0, upper = F.loopBound(T);
        for (; t < upper; t += W) {
            FloatVector e = FloatVector.fromArray(F, s, p + t).sub(vmax).lanewise(VectorOperators.EXP);
            e.intoArray(s, p + t);
            acc = acc.add(e);
        }
        float sum = VectorMath.sum(acc);
        for (; t < T; t++) sum += s[p + t] = (float) Math.exp(s[p + t] - max);
        float inv = 1f / sum;
        FloatVector vinv = FloatVector.broadcast(F, inv);
        for (t = 0; t < upper; t += W) FloatVector.fromArray(F, s, p + t).mul(vinv).intoArray(s, p + t);
        for (; t < T; t++) s[p + t] *= inv;
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
