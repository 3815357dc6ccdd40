package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Causal grouped-query attention over packed sequences (forward saves the probabilities; backward replays them).
 * Query head {@code h} reads kv head {@code h / (heads / kvHeads)}; a sequence's rows only see its own earlier rows.
 * Without a probabilities array (no backward follows) each query block's probabilities stay in a per-thread tile:
 * the same sums in the same order, so the outputs are bit-identical to the saving forward's.
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
        boolean save = probs != null;
        Parallel.forRange(batch * kvHeads, Parallel.grain(meanLength * meanLength * hd * group), (from, to) -> {
            for (int task = from; task < to; task++) {
                int b = task / kvHeads, kvh = task % kvHeads;
                int start = seqStart[b], T = seqStart[b + 1] - start;
                int kCol = io + heads * hd + kvh * hd, vCol = kCol + kvHeads * hd;
                int Tp = (T + W - 1) / W * W; // padded tile rows: whole vectors past the last key are harmless
                boolean lanes = queryLanes(hd);
                float[] kt = lanes ? null : Scratch.floats(0, hd * Tp), sc = lanes ? null : Scratch.floats(1, R * Tp);
                float[] qs = lanes ? null : Scratch.floats(2, R * hd);
                if (!lanes) transpose(kt, Tp, qkv, kCol + start * width, width, T, hd);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int p0 = save ? po + probStart[b] + h * T * T : 0;
                    if (lanes) {
                        AttentionByQueryLanes.forward(out, oo + start * outWidth + h * hd, outWidth, probs, p0, qkv, io + start * width,
                                width, h * hd, kCol - io, vCol - io, T, hd, scale);
                        continue;
                    }
                    if (!blocked(hd)) { // no whole pair of vectors along the head: one query at a time
                        for (int t = 0; t < T; t++) {
                            int q = io + (start + t) * width + h * hd, n = t + 1;
                            float[] pr = save ? probs : sc;
                            int p = save ? p0 + t * T : 0;
                            alongKeys(pr, p, n, T, qkv, q, scale, kt, Tp, hd); // room T either way: the same sums
                            softmaxInPlace(pr, p, n);
                            weightedRows(out, oo + (start + t) * outWidth + h * hd, pr, p, n, qkv, vCol + start * width, width, hd);
                        }
                        continue;
                    }
                    blockedForward(out, oo + start * outWidth + h * hd, outWidth, probs, p0, qkv, io + start * width + h * hd,
                            vCol + start * width, width, kt, Tp, sc, qs, T, 0, hd, scale);
                }
            }
        });
    }

    /**
     * The register-blocked forward of one head over its queries {@code q0 ≤ t < T}: query {@code t} at {@code x[q + t·width]},
     * value at {@code v + t·width}, keys transposed in {@code kt}; output at {@code o + t·os}; probabilities (if saved)
     * rows {@code T} apart at {@code p0 + t·T}. {@code q0 > 0}: a sequence whose prompt's queries another answers for
     * (SharedPromptAttention); each query's numbers do not depend on where its block starts.
     */
    static void blockedForward(float[] out, int o, int os, float[] probs, int p0, float[] x, int q, int v, int width, float[] kt, int Tp,
                               float[] sc, float[] qs, int T, int q0, int hd, float scale) {
        boolean save = probs != null;
        // R queries at a time: each key (value) vector loaded once serves all of them
        for (int t0 = q0; t0 < T; t0 += R) {
            int rr = Math.min(R, T - t0);
            for (int r = 0; r < rr; r++) // the scaled queries, as alongKeys scales each element before its FMA
                for (int i = 0, qr = q + (t0 + r) * width; i < hd; i += W)
                    FloatVector.fromArray(S, x, qr + i).mul(scale).intoArray(qs, r * hd + i);
            rowsAlongKeys(sc, Tp, t0 + rr, qs, 0, hd, rr, kt, Tp, hd);
            for (int r = 0; r < rr; r++) {
                int n = t0 + r + 1;
                if (save) softmaxInto(probs, p0 + (t0 + r) * T, sc, r * Tp, n);
                else softmaxInPlace(sc, r * Tp, n);
            }
            // the block's probabilities: saved rows T apart, or the tile's rows Tp apart
            rowsWeighted(out, o + t0 * os, os, rr, save ? probs : sc, save ? p0 + t0 * T : 0, save ? T : Tp, t0 + 1, x, v, width, hd);
        }
    }

    /**
     * {@code tile[i·stride + s] = src[so + s·width + i]} for {@code s < T, i < hd}: a head's keys (or values) of a
     * sequence transposed, {@link #W} rows at a time by one gather per element of the head (2.5× the scalar copy's
     * speed at bench-s; the scalar copy was an eighth of the forward's time), the last partial block in scalars.
     */
    static void transpose(float[] tile, int stride, float[] src, int so, int width, int T, int hd) {
        int[] rows = ROWS.get();
        if (rows[W - 1] != (W - 1) * width) for (int l = 0; l < W; l++) rows[l] = l * width;
        int s0 = 0;
        for (; s0 + W <= T; s0 += W)
            for (int i = 0; i < hd; i++) FloatVector.fromArray(S, src, so + s0 * width + i, rows, 0).intoArray(tile, i * stride + s0);
        for (int s = s0; s < T; s++)
            for (int i = 0; i < hd; i++) tile[i * stride + s] = src[so + s * width + i];
    }

    /** Per thread, the gather's row offsets {@code l·width} of the last width used (set on first use of a width). */
    private static final ThreadLocal<int[]> ROWS = ThreadLocal.withInitial(() -> new int[VectorMath.W]);

    /**
     * The query-lane kernels ({@link AttentionByQueryLanes}) for heads of exactly two vectors (bench-s, hd 32: there a
     * query row's softmax cost the key-lane loops more than its scores) and of four (hd 64: bench-m, qwen05b; since h14r's
     * key-group backward and contiguous rows, 1.3× the key-lane forward and 1.5× its backward, h17a); narrower heads
     * are the test models', whose pinned values keep the loops they were pinned with. {@code
     * -Dgrpo4j.attention.queryLanes=false} runs the key-lane loops below for every head, {@code
     * -Dgrpo4j.attention.hd64=false} for hd 64 (the A/B switches of the benchmarks). Forward and backward choose alike:
     * the saved layouts differ.
     */
    static final boolean QUERY_LANES = !"false".equals(System.getProperty("grpo4j.attention.queryLanes"));

    /** hd 64 on the query-lane kernels: the same forward bits, gradients to a few roundings (AttentionWideQueryLanesTest). */
    static final boolean HD64 = !"false".equals(System.getProperty("grpo4j.attention.hd64"));

    static boolean queryLanes(int hd) {
        // hd 64 where it is two query blocks (AVX-512); narrower vectors keep the loops measured there
        return QUERY_LANES && (hd == AttentionByQueryLanes.QB || HD64 && hd == 64 && hd == 2 * AttentionByQueryLanes.QB);
    }

    /** Queries per register block in {@link #rowsAlongKeys} and {@link #rowsWeighted}. */
    static final int R = 4;

    /** The register-blocked loops, when the head dimension allows; {@code -Dgrpo4j.attention.blocked=false} is the A/B switch of the benchmarks. */
    static final boolean BLOCKED = !"false".equals(System.getProperty("grpo4j.attention.blocked"));

    private static boolean blocked(int hd) {
        return BLOCKED && hd % (2 * W) == 0;
    }

    /**
     * {@link #alongKeys} for {@code rr ≤ R} query rows at once, already scaled ({@code x} rows {@code xs} apart), keys
     * {@code s < n}, into {@code out} rows {@code os} apart from 0 (whole vectors: room for {@code n} rounded up to a
     * vector). Each tile vector is loaded once for all rows: 2 loads and 4 broadcasts feed 8 FMAs (the single-row
     * loop: 4 loads per 4 FMAs). Each score still sums over {@code i} in order, so the values are those of
     * {@link #alongKeys}. Missing rows ({@code rr < R}) repeat the last one and are not used.
     */
    static void rowsAlongKeys(float[] out, int os, int n, float[] x, int xo, int xs, int rr, float[] tile, int stride, int hd) {
        int x1 = xo + Math.min(1, rr - 1) * xs, x2 = xo + Math.min(2, rr - 1) * xs, x3 = xo + Math.min(3, rr - 1) * xs;
        int s0 = 0;
        for (; s0 + W < n; s0 += 2 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int i = 0; i < hd; i++) {
                int t = i * stride + s0;
                FloatVector k0 = FloatVector.fromArray(S, tile, t), k1 = FloatVector.fromArray(S, tile, t + W);
                FloatVector q = FloatVector.broadcast(S, x[xo + i]);
                a0 = k0.fma(q, a0);
                b0 = k1.fma(q, b0);
                q = FloatVector.broadcast(S, x[x1 + i]);
                a1 = k0.fma(q, a1);
                b1 = k1.fma(q, b1);
                q = FloatVector.broadcast(S, x[x2 + i]);
                a2 = k0.fma(q, a2);
                b2 = k1.fma(q, b2);
                q = FloatVector.broadcast(S, x[x3 + i]);
                a3 = k0.fma(q, a3);
                b3 = k1.fma(q, b3);
            }
            a0.intoArray(out, s0);
            b0.intoArray(out, s0 + W);
            a1.intoArray(out, os + s0);
            b1.intoArray(out, os + s0 + W);
            a2.intoArray(out, 2 * os + s0);
            b2.intoArray(out, 2 * os + s0 + W);
            a3.intoArray(out, 3 * os + s0);
            b3.intoArray(out, 3 * os + s0 + W);
        }
        if (s0 < n) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < hd; i++) {
                FloatVector k0 = FloatVector.fromArray(S, tile, i * stride + s0);
                a0 = k0.fma(FloatVector.broadcast(S, x[xo + i]), a0);
                a1 = k0.fma(FloatVector.broadcast(S, x[x1 + i]), a1);
                a2 = k0.fma(FloatVector.broadcast(S, x[x2 + i]), a2);
                a3 = k0.fma(FloatVector.broadcast(S, x[x3 + i]), a3);
            }
            a0.intoArray(out, s0);
            a1.intoArray(out, os + s0);
            a2.intoArray(out, 2 * os + s0);
            a3.intoArray(out, 3 * os + s0);
        }
    }

    /**
     * {@link #weightedRows} for {@code rr ≤ R} rows at once: {@code out_r = Σ_{s < n0 + r} w_r[s] · rows_s}, row r's
     * weights at {@code wo + r·ws}, its output at {@code o + r·os} (causal: each next query sees one key more). Each
     * {@code rows_s} vector is loaded once for all rows; each lane still sums over {@code s} in order, so the values
     * are those of {@link #weightedRows}. Needs {@code hd} a multiple of two vectors.
     */
    static void rowsWeighted(float[] out, int o, int os, int rr, float[] w, int wo, int ws, int n0, float[] rows, int ro, int stride, int hd) {
        int w1 = wo + Math.min(1, rr - 1) * ws, w2 = wo + Math.min(2, rr - 1) * ws, w3 = wo + Math.min(3, rr - 1) * ws;
        for (int i0 = 0; i0 < hd; i0 += 2 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int s = 0; s < n0; s++) {
                int r = ro + s * stride + i0;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector p = FloatVector.broadcast(S, w[wo + s]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                p = FloatVector.broadcast(S, w[w1 + s]);
                a1 = v0.fma(p, a1);
                b1 = v1.fma(p, b1);
                p = FloatVector.broadcast(S, w[w2 + s]);
                a2 = v0.fma(p, a2);
                b2 = v1.fma(p, b2);
                p = FloatVector.broadcast(S, w[w3 + s]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
            }
            // key n0 + k is seen by rows k + 1 and later
            for (int k = 0; k + 1 < rr; k++) {
                int s = n0 + k, r = ro + s * stride + i0;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                if (k == 0) {
                    FloatVector p = FloatVector.broadcast(S, w[w1 + s]);
                    a1 = v0.fma(p, a1);
                    b1 = v1.fma(p, b1);
                }
                if (k <= 1) {
                    FloatVector p = FloatVector.broadcast(S, w[w2 + s]);
                    a2 = v0.fma(p, a2);
                    b2 = v1.fma(p, b2);
                }
                FloatVector p = FloatVector.broadcast(S, w[w3 + s]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
            }
            a0.intoArray(out, o + i0);
            b0.intoArray(out, o + i0 + W);
            if (rr > 1) {
                a1.intoArray(out, o + os + i0);
                b1.intoArray(out, o + os + i0 + W);
            }
            if (rr > 2) {
                a2.intoArray(out, o + 2 * os + i0);
                b2.intoArray(out, o + 2 * os + i0 + W);
            }
            if (rr > 3) {
                a3.intoArray(out, o + 3 * os + i0);
                b3.intoArray(out, o + 3 * os + i0 + W);
            }
        }
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

    /**
     * {@link #columnSums} for the {@code rr ≤ R} keys {@code s0 .. s0+rr-1} at once: {@code out_r += Σ_{s0+r ≤ t < T}
     * w[wo + t·ws + s0 + r] · rows[ro + t·stride ..]}, key r's output at {@code o + r·os}. Each {@code rows_t} vector is
     * loaded once for all keys; each lane still sums over {@code t} in order (the values of {@link #columnSums}). Needs
     * {@code hd} a multiple of two vectors.
     */
    static void rowsColumnSums(float[] out, int o, int os, int rr, int s0, int q0, int T, float[] w, int wo, int ws, float[] rows, int ro, int stride, int hd) {
        int k0 = wo + s0, k1 = k0 + Math.min(1, rr - 1), k2 = k0 + Math.min(2, rr - 1), k3 = k0 + Math.min(3, rr - 1);
        int o1 = o + Math.min(1, rr - 1) * os, o2 = o + Math.min(2, rr - 1) * os, o3 = o + Math.min(3, rr - 1) * os;
        for (int i0 = 0; i0 < hd; i0 += 2 * W) {
            FloatVector a0 = FloatVector.fromArray(S, out, o + i0), b0 = FloatVector.fromArray(S, out, o + i0 + W);
            FloatVector a1 = FloatVector.fromArray(S, out, o1 + i0), b1 = FloatVector.fromArray(S, out, o1 + i0 + W);
            FloatVector a2 = FloatVector.fromArray(S, out, o2 + i0), b2 = FloatVector.fromArray(S, out, o2 + i0 + W);
            FloatVector a3 = FloatVector.fromArray(S, out, o3 + i0), b3 = FloatVector.fromArray(S, out, o3 + i0 + W);
            // query s0 + k is seen by keys 0..k
            for (int k = Math.max(0, q0 - s0); k + 1 < rr; k++) { // (queries before q0: none)
                int t = s0 + k, r = ro + t * stride + i0, wt = t * ws;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector p = FloatVector.broadcast(S, w[k0 + wt]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                if (k >= 1) {
                    p = FloatVector.broadcast(S, w[k1 + wt]);
                    a1 = v0.fma(p, a1);
                    b1 = v1.fma(p, b1);
                }
                if (k >= 2) {
                    p = FloatVector.broadcast(S, w[k2 + wt]);
                    a2 = v0.fma(p, a2);
                    b2 = v1.fma(p, b2);
                }
            }
            for (int t = Math.max(s0 + rr - 1, q0); t < T; t++) {
                int r = ro + t * stride + i0, wt = t * ws;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector p = FloatVector.broadcast(S, w[k0 + wt]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                p = FloatVector.broadcast(S, w[k1 + wt]);
                a1 = v0.fma(p, a1);
                b1 = v1.fma(p, b1);
                p = FloatVector.broadcast(S, w[k2 + wt]);
                a2 = v0.fma(p, a2);
                b2 = v1.fma(p, b2);
                p = FloatVector.broadcast(S, w[k3 + wt]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
            }
            a0.intoArray(out, o + i0);
            b0.intoArray(out, o + i0 + W);
            if (rr > 1) {
                a1.intoArray(out, o1 + i0);
                b1.intoArray(out, o1 + i0 + W);
            }
            if (rr > 2) {
                a2.intoArray(out, o2 + i0);
                b2.intoArray(out, o2 + i0 + W);
            }
            if (rr > 3) {
                a3.intoArray(out, o3 + i0);
                b3.intoArray(out, o3 + i0 + W);
            }
        }
    }

    /** p = softmax(p) over {@code n} entries, vectorised with the deterministic {@link VectorMath#exp}. */
    static void softmaxInPlace(float[] x, int o, int n) {
        softmaxInto(x, o, x, o, n);
    }

    /**
     * {@code dst[do..do+n) = softmax(src[so..so+n))}: {@link #softmaxInPlace} without first copying the scores over.
     * The last partial vector runs under a mask (a causal row's length is rarely a whole number of vectors, and its
     * scalar tail of exponentials cost as much as the vector part); masked loads and stores touch only
     * {@code [0, n)}, so neither array needs room past the row.
     */
    static void softmaxInto(float[] dst, int dOff, float[] src, int so, int n) {
        if (n < W) { // a row shorter than a vector keeps the scalar sums (decode's tiny-model checks are pinned to them)
            softmaxScalar(dst, dOff, src, so, n);
            return;
        }
        int full = S.loopBound(n), i = 0;
        VectorMask<Float> tail = S.indexInRange(full, n);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < full; i += W) vmax = vmax.max(FloatVector.fromArray(S, src, so + i));
        if (full < n) vmax = vmax.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, src, so + full, tail), tail);
        FloatVector max = FloatVector.broadcast(S, vmax.reduceLanes(VectorOperators.MAX)), acc = FloatVector.zero(S);
        for (i = 0; i < full; i += W) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, src, so + i).sub(max));
            e.intoArray(dst, dOff + i);
            acc = acc.add(e);
        }
        if (full < n) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, src, so + full, tail).sub(max));
            e.intoArray(dst, dOff + full, tail);
            acc = acc.add(e, tail);
        }
        FloatVector inv = FloatVector.broadcast(S, 1f / VectorMath.sum(acc));
        for (i = 0; i < full; i += W) FloatVector.fromArray(S, dst, dOff + i).mul(inv).intoArray(dst, dOff + i);
        if (full < n) FloatVector.fromArray(S, dst, dOff + full, tail).mul(inv).intoArray(dst, dOff + full, tail);
    }

    private static void softmaxScalar(float[] dst, int dOff, float[] src, int so, int n) {
        float max = Float.NEGATIVE_INFINITY, sum = 0f;
        for (int i = 0; i < n; i++) max = Math.max(max, src[so + i]);
        for (int i = 0; i < n; i++) sum += dst[dOff + i] = VectorMath.exp(src[so + i] - max);
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) dst[dOff + i] *= inv;
    }

    /**
     * One row of the softmax's backward, scaled: {@code ds[s] = p[s]·(dp[s] − Σ p·dp)·scale} for {@code s < n}, the last
     * partial vector under a mask (as in {@link #softmaxInto}).
     */
    static void softmaxBackwardRow(float[] ds, int dso, float[] dp, int dpo, float[] p, int po, int n, float scale) {
        int full = S.loopBound(n), i = 0;
        VectorMask<Float> tail = S.indexInRange(full, n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < full; i += W) acc = FloatVector.fromArray(S, dp, dpo + i).fma(FloatVector.fromArray(S, p, po + i), acc);
        if (full < n) acc = acc.add(FloatVector.fromArray(S, dp, dpo + full, tail).mul(FloatVector.fromArray(S, p, po + full, tail)));
        FloatVector dot = FloatVector.broadcast(S, VectorMath.sum(acc));
        for (i = 0; i < full; i += W)
            FloatVector.fromArray(S, dp, dpo + i).sub(dot).mul(FloatVector.fromArray(S, p, po + i)).mul(scale).intoArray(ds, dso + i);
        if (full < n)
            FloatVector.fromArray(S, dp, dpo + full, tail).sub(dot).mul(FloatVector.fromArray(S, p, po + full, tail)).mul(scale)
                    .intoArray(ds, dso + full, tail);
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
                for (int s = 0; s < T; s++) {
                    int row = (start + s) * width;
                    java.util.Arrays.fill(dQkv, dqo + row + kCol, dqo + row + kCol + hd, 0f);
                    java.util.Arrays.fill(dQkv, dqo + row + vCol, dqo + row + vCol + hd, 0f);
                }
                if (queryLanes(hd)) {
                    for (int h = kvh * group; h < (kvh + 1) * group; h++)
                        AttentionByQueryLanes.backward(dQkv, dqo + start * width + h * hd, dqo + start * width + kCol, dqo + start * width + vCol,
                                dOut, doo + start * outWidth + h * hd, outWidth, qkv, io + start * width, width, h * hd, kCol, vCol,
                                probs, po + probStart[b] + h * T * T, T, hd, scale);
                    continue;
                }
                float[] vt = Scratch.floats(0, hd * Tp), dp = Scratch.floats(1, R * Tp), ds = Scratch.floats(2, T * Tp);
                transpose(vt, Tp, qkv, io + vCol + start * width, width, T, hd);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int p0 = po + probStart[b] + h * T * T;
                    if (!blocked(hd)) {
                        for (int t = 0; t < T; t++) {
                            int r = start + t, n = t + 1;
                            int dq = dqo + r * width + h * hd, d = doo + r * outWidth + h * hd;
                            int p = p0 + t * T, dsRow = t * Tp;
                            // dp_s = dOut · v_s along the keys; ds_s = p_s (dp_s − Σ p·dp) / sqrt(hd)
                            alongKeys(dp, 0, n, Tp, dOut, d, 1f, vt, Tp, hd);
                            softmaxBackwardRow(ds, dsRow, dp, 0, probs, p, n, scale);
                            weightedRows(dQkv, dq, ds, dsRow, n, qkv, io + start * width + kCol, width, hd);
                        }
                    } else {
                        int r0 = start * width;
                        blockedBackward(dQkv, dqo + r0 + h * hd, width, dQkv, dqo + r0 + kCol, dqo + r0 + vCol, width, dOut,
                                doo + start * outWidth + h * hd, outWidth, qkv, io + r0 + h * hd, io + r0 + kCol, width, probs, p0,
                                vt, dp, ds, Tp, T, 0, hd, scale);
                        continue;
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

    /**
     * The register-blocked backward of one head over its queries {@code q0 ≤ t < T} (rows as in {@link #blockedForward};
     * keys at {@code k + s·width}; values transposed in {@code vt}; {@code dp} R·Tp and {@code ds} T·Tp floats): dQ stored
     * at {@code dQ[dq + t·dqs]}, dK and dV of every key {@code s < T} added at {@code dKV[dk, dv + s·kvs]} (each key's sums
     * run over its queries from {@code max(s, q0)}: the queries before q0 would add exact zeros).
     */
    static void blockedBackward(float[] dQ, int dq, int dqs, float[] dKV, int dk, int dv, int kvs, float[] dOut, int d, int dos,
                                float[] x, int q, int k, int width, float[] probs, int p0, float[] vt, float[] dp, float[] ds, int Tp,
                                int T, int q0, int hd, float scale) {
        for (int t0 = q0; t0 < T; t0 += R) { // R queries at a time, as in the forward
            int rr = Math.min(R, T - t0);
            rowsAlongKeys(dp, Tp, t0 + rr, dOut, d + t0 * dos, dos, rr, vt, Tp, hd);
            for (int j = 0; j < rr; j++) {
                int t = t0 + j;
                softmaxBackwardRow(ds, t * Tp, dp, j * Tp, probs, p0 + t * T, t + 1, scale);
            }
            rowsWeighted(dQ, dq + t0 * dqs, dqs, rr, ds, t0 * Tp, Tp, t0 + 1, x, k, width, hd);
        }
        // dV_s += Σ_{t ≥ s} p[t,s] dOut_t and dK_s += Σ_{t ≥ s} ds[t,s] q_t: each key's sums stay in registers over the
        // queries that see it, R keys at a time (each query-side vector loaded once for all)
        for (int s0 = 0; s0 < T; s0 += R) {
            int rr = Math.min(R, T - s0);
            rowsColumnSums(dKV, dv + s0 * kvs, kvs, rr, s0, q0, T, probs, p0, T, dOut, d, dos, hd);
            rowsColumnSums(dKV, dk + s0 * kvs, kvs, rr, s0, q0, T, ds, 0, Tp, x, q, width, hd);
        }
    }
}
