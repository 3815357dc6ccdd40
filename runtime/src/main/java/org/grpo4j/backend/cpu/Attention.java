package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Causal grouped-query attention over packed sequences (forward saves the probabilities; backward replays them).
 * Query head {@code h} reads kv head {@code h / (heads / kvHeads)}; a sequence's rows only see its own earlier rows.
 *
 * <p>One task per (sequence, kv head): it owns that kv head's rows and the query heads of its group, so no two
 * threads write the same output or gradient. Scores are computed against keys transposed into a per-thread
 * {@code [hd, T]} tile, so the inner loops run along the keys with broadcasts and no per-score reductions.
 */
final class Attention {
    private Attention() {}

    static void forward(float[] out, int oo, float[] probs, int po, float[] qkv, int io, int[] seqStart, int[] probStart,
                        int batch, int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long meanLength = rows / Math.max(1, batch);
        Parallel.forRange(batch * kvHeads, Parallel.grain(meanLength * meanLength * hd * group), (from, to) -> {
            for (int task = from; task < to; task++) {
                int b = task / kvHeads, kvh = task % kvHeads;
                int start = seqStart[b], T = seqStart[b + 1] - start;
                int kCol = io + heads * hd + kvh * hd, vCol = kCol + kvHeads * hd;
                int Tp = (T + W - 1) / W * W; // padded tile rows: whole vectors past the last key are harmless
                float[] kt = Scratch.floats(0, hd * Tp);
                for (int s = 0; s < T; s++)
                    for (int i = 0; i < hd; i++) kt[i * Tp + s] = qkv[kCol + (start + s) * width + i];
                for (int h = kvh * group; h < (kvh + 1) * group; h++)
                    for (int t = 0; t < T; t++) {
                        int q = io + (start + t) * width + h * hd, p = po + probStart[b] + (h * T + t) * T, n = t + 1;
                        alongKeys(probs, p, n, T, qkv, q, scale, kt, Tp, hd);
                        softmaxInPlace(probs, p, n);
                        weightedRows(out, oo + (start + t) * outWidth + h * hd, probs, p, n, qkv, vCol + start * width, width, hd);
                    }
            }
        });
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    /**
     * {@code out[s] = Σ_i a·x[i] · tile[i, s]} for keys {@code s < n}, a key block per vector register: each block is
     * hd fused multiply-adds from the transposed tile, stored once. Four blocks run side by side so their FMA chains
     * overlap (one chain alone waits on the FMA latency); each key still sums over {@code i} in order. Whole blocks
     * may write past {@code n} up to {@code room} (the caller's row holds nothing there yet); the rest is scalar,
     * because masked stores are slow.
     */
    static void alongKeys(float[] out, int o, int n, int room, float[] x, int xo, float a, float[] tile, int stride, int hd) {
        int s0 = 0;
        for (; s0 + 3 * W < n && s0 + 4 * W <= room; s0 += 4 * W) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
            for (int i = 0; i < hd; i++) {
                FloatVector xi = FloatVector.broadcast(S, x[xo + i] * a);
                int t = i * stride + s0;
                c0 = FloatVector.fromArray(S, tile, t).fma(xi, c0);
                c1 = FloatVector.fromArray(S, tile, t + W).fma(xi, c1);
                c2 = FloatVector.fromArray(S, tile, t + 2 * W).fma(xi, c2);
                c3 = FloatVector.fromArray(S, tile, t + 3 * W).fma(xi, c3);
            }
            c0.intoArray(out, o + s0);
            c1.intoArray(out, o + s0 + W);
            c2.intoArray(out, o + s0 + 2 * W);
            c3.intoArray(out, o + s0 + 3 * W);
        }
        for (; s0 < n && s0 + W <= room; s0 += W) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < hd; i++) acc = FloatVector.fromArray(S, tile, i * stride + s0).fma(FloatVector.broadcast(S, x[xo + i] * a), acc);
            acc.intoArray(out, o + s0);
        }
        for (int s = s0; s < n; s++) {
            float acc = 0f;
            for (int i = 0; i < hd; i++) acc += x[xo + i] * a * tile[i * stride + s];
            out[o + s] = acc;
        }
    }

    /**
     * {@code out[0..hd) = Σ_{s<n} w[s] · rows[s·stride + ..]}, one output block per vector register, four blocks side
     * by side (independent FMA chains; each lane still sums over {@code s} in order).
     */
    static void weightedRows(float[] out, int o, float[] w, int wo, int n, float[] rows, int ro, int stride, int hd) {
        int i0 = 0;
        for (; i0 + 4 * W <= hd; i0 += 4 * W) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
            for (int s = 0; s < n; s++) {
                FloatVector ws = FloatVector.broadcast(S, w[wo + s]);
                int r = ro + s * stride + i0;
                c0 = FloatVector.fromArray(S, rows, r).fma(ws, c0);
                c1 = FloatVector.fromArray(S, rows, r + W).fma(ws, c1);
                c2 = FloatVector.fromArray(S, rows, r + 2 * W).fma(ws, c2);
                c3 = FloatVector.fromArray(S, rows, r + 3 * W).fma(ws, c3);
            }
            c0.intoArray(out, o + i0);
            c1.intoArray(out, o + i0 + W);
            c2.intoArray(out, o + i0 + 2 * W);
            c3.intoArray(out, o + i0 + 3 * W);
        }
        for (; i0 + 2 * W <= hd; i0 += 2 * W) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
            for (int s = 0; s < n; s++) {
                FloatVector ws = FloatVector.broadcast(S, w[wo + s]);
                int r = ro + s * stride + i0;
                c0 = FloatVector.fromArray(S, rows, r).fma(ws, c0);
                c1 = FloatVector.fromArray(S, rows, r + W).fma(ws, c1);
            }
            c0.intoArray(out, o + i0);
            c1.intoArray(out, o + i0 + W);
        }
        for (; i0 + W <= hd; i0 += W) {
            FloatVector acc = FloatVector.zero(S);
            for (int s = 0; s < n; s++) acc = FloatVector.fromArray(S, rows, ro + s * stride + i0).fma(FloatVector.broadcast(S, w[wo + s]), acc);
            acc.intoArray(out, o + i0);
        }
        for (; i0 < hd; i0++) {
            float acc = 0f;
            for (int s = 0; s < n; s++) acc += w[wo + s] * rows[ro + s * stride + i0];
            out[o + i0] = acc;
        }
    }

    /**
     * {@code out[o..o+hd) += Σ_{j<m} w[wo + j·wStride] · rows[ro + j·stride + ..]}: a column of weights against rows,
     * four head-dim blocks side by side (independent FMA chains), added into {@code out} once.
     */
    static void columnSums(float[] out, int o, float[] w, int wo, int wStride, int m, float[] rows, int ro, int stride, int hd) {
        int i0 = 0;
        for (; i0 + 4 * W <= hd; i0 += 4 * W) {
            FloatVector c0 = FloatVector.fromArray(S, out, o + i0), c1 = FloatVector.fromArray(S, out, o + i0 + W);
            FloatVector c2 = FloatVector.fromArray(S, out, o + i0 + 2 * W), c3 = FloatVector.fromArray(S, out, o + i0 + 3 * W);
            for (int j = 0; j < m; j++) {
                FloatVector wj = FloatVector.broadcast(S, w[wo + j * wStride]);
                int r = ro + j * stride + i0;
                c0 = FloatVector.fromArray(S, rows, r).fma(wj, c0);
                c1 = FloatVector.fromArray(S, rows, r + W).fma(wj, c1);
                c2 = FloatVector.fromArray(S, rows, r + 2 * W).fma(wj, c2);
                c3 = FloatVector.fromArray(S, rows, r + 3 * W).fma(wj, c3);
            }
            c0.intoArray(out, o + i0);
            c1.intoArray(out, o + i0 + W);
            c2.intoArray(out, o + i0 + 2 * W);
            c3.intoArray(out, o + i0 + 3 * W);
        }
        for (; i0 + W <= hd; i0 += W) {
            FloatVector acc = FloatVector.fromArray(S, out, o + i0);
            for (int j = 0; j < m; j++) acc = FloatVector.fromArray(S, rows, ro + j * stride + i0).fma(FloatVector.broadcast(S, w[wo + j * wStride]), acc);
            acc.intoArray(out, o + i0);
        }
        for (; i0 < hd; i0++) {
            float acc = out[o + i0];
            for (int j = 0; j < m; j++) acc += w[wo + j * wStride] * rows[ro + j * stride + i0];
            out[o + i0] = acc;
        }
    }

    /** p = softmax(p) over {@code n} entries, vectorised with the deterministic {@link VectorMath#exp}. */
    static void softmaxInPlace(float[] x, int o, int n) {
        var S = VectorMath.F;
        int W = VectorMath.W;
        float max = VectorMath.max(x, o, n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += W) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, o + i).sub(max));
            e.intoArray(x, o + i);
            acc = acc.add(e);
        }
        float sum = VectorMath.sum(acc);
        for (; i < n; i++) {
            float e = VectorMath.exp(x[o + i] - max);
            x[o + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (int upper = S.loopBound(n); i < upper; i += W) FloatVector.fromArray(S, x, o + i).mul(inv).intoArray(x, o + i);
        for (; i < n; i++) x[o + i] *= inv;
    }

    static void backward(float[] dQkv, int dqo, float[] dOut, int doo, float[] qkv, int io, float[] probs, int po,
                         int[] seqStart, int[] probStart, int batch, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long meanLength = (seqStart[batch] - seqStart[0]) / Math.max(1, batch);
        Parallel.forRange(batch * kvHeads, Parallel.grain(2 * meanLength * meanLength * hd * group), (from, to) -> {
            for (int task = from; task < to; task++) {
                int b = task / kvHeads, kvh = task % kvHeads;
                int start = seqStart[b], T = seqStart[b + 1] - start;
                int kCol = heads * hd + kvh * hd, vCol = kCol + kvHeads * hd;
                int Tp = (T + W - 1) / W * W;
                float[] vt = Scratch.floats(0, hd * Tp), dp = Scratch.floats(1, Tp), ds = Scratch.floats(2, T * Tp);
                for (int s = 0; s < T; s++) {
                    int row = (start + s) * width;
                    for (int i = 0; i < hd; i++) vt[i * Tp + s] = qkv[io + row + vCol + i];
                    java.util.Arrays.fill(dQkv, dqo + row + kCol, dqo + row + kCol + hd, 0f);
                    java.util.Arrays.fill(dQkv, dqo + row + vCol, dqo + row + vCol + hd, 0f);
                }
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int p0 = po + probStart[b] + h * T * T;
                    for (int t = 0; t < T; t++) {
                        int r = start + t, n = t + 1;
                        int dq = dqo + r * width + h * hd, d = doo + r * outWidth + h * hd;
                        int p = p0 + t * T, dsRow = t * Tp;
                        // dp_s = dOut · v_s along the keys; ds_s = p_s (dp_s − Σ p·dp) / sqrt(hd)
                        alongKeys(dp, 0, n, Tp, dOut, d, 1f, vt, Tp, hd);
                        float dot = VectorMath.dot(dp, 0, probs, p, n);
                        for (int s = 0; s < n; s++) ds[dsRow + s] = probs[p + s] * (dp[s] - dot) * scale;
                        weightedRows(dQkv, dq, ds, dsRow, n, qkv, io + start * width + kCol, width, hd);
                    }
                    // dV_s += Σ_{t ≥ s} p[t,s] dOut_t and dK_s += Σ_{t ≥ s} ds[t,s] q_t: each key's sums stay in
                    // registers over the queries that see it, instead of a read-modify-write of its row per query
                    for (int s = 0; s < T; s++) {
                        int row = (start + s) * width, m = T - s;
                        columnSums(dQkv, dqo + row + vCol, probs, p0 + s * T + s, T, m, dOut, doo + (start + s) * outWidth + h * hd, outWidth, hd);
                        columnSums(dQkv, dqo + row + kCol, ds, s * Tp + s, Tp, m, qkv, io + (start + s) * width + h * hd, width, hd);
                    }
                }
            }
        });
    }
}
