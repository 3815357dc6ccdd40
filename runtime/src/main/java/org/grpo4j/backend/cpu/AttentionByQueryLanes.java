package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one head of one sequence with the queries along the vector lanes (the CPU's training,
 * reference and backward attention; {@link Attention} splits the work and keeps the key-lane loops for comparison).
 * A block of {@link #QB} queries scores its keys into a per-thread tile {@code [key][query]}, so the softmax runs down
 * the keys with lanewise max and sums: no per-row horizontal reductions and no per-row masks (a query row's softmax
 * in the key-lane loops cost more than its scores). The saved probabilities are those tiles, one after another
 * ({@link #blockStart}), so the backward reads what the forward wrote, contiguously.
 *
 * <p>Values: the scores sum the head dimension in order from the scaled query, the softmax sums are arranged as
 * {@link Attention#softmaxInto}'s and each output lane sums its keys in order, so the outputs are bit-identical to the
 * key-lane forward's (and to decode's, {@code CachedAttentionTest}). Heads of whole vectors, as {@link
 * Attention#queryLanes} chooses: hd 32 ({@link #QB}) and 64 with AVX-512.
 */
final class AttentionByQueryLanes {
    private AttentionByQueryLanes() {}

    private static final VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    /** Queries per block: two vectors. */
    static final int QB = 2 * W;

    /** Each lane's index in a query block, as floats (the causal masks compare it with a key's offset into the block). */
    private static final float[] LANE = new float[QB];
    static {
        for (int j = 0; j < QB; j++) LANE[j] = j;
    }

    /**
     * Forward of one head over the sequence's rows {@code t < T} at {@code x = xo + t·width} (query at {@code qCol}, key at
     * {@code kCol}, value at {@code vCol}), outputs at {@code o + t·os}; the probabilities go to {@code probs} from
     * {@code po} (block tiles, {@link #blockStart}), or nowhere when {@code probs} is null (no backward follows).
     */
    static void forward(float[] out, int o, int os, float[] probs, int po, float[] qkv, int xo, int width, int qCol, int kCol,
                        int vCol, int T, int hd, float scale) {
        forward(out, o, os, probs, po, qkv, xo, width, qCol, kCol, vCol, T, 0, 0, hd, scale);
    }

    /**
     * {@link #forward} of the queries {@code t ≥ q0} only ({@code q0} a multiple of {@link #QB}: the blocks stay where the
     * whole sequence has them), outputs stored for {@code t ≥ first} only, probabilities from block {@code q0} on at
     * {@code po} (block {@code t0}'s at {@code po + blockStart(t0) − blockStart(q0)}): a sequence whose prompt rows are
     * another's (SharedPromptAttention) computes only its own queries (and those of its first block before them).
     */
    static void forward(float[] out, int o, int os, float[] probs, int po, float[] qkv, int xo, int width, int qCol, int kCol,
                        int vCol, int T, int q0, int first, int hd, float scale) {
        forward(out, o, os, probs, po, qkv, xo, width, qCol, kCol, vCol, T, q0, first, hd, scale, REGISTER_TRANSPOSE);
    }

    /**
     * {@code -Dgrpo4j.attention.registerTranspose=false}: the forward gathers its query tile ({@link Attention#transpose})
     * and reads the values where the projection left them, 4 KB apart at bench-m, as before h18a (A/B switch; the same
     * bits). Otherwise the queries are transposed in registers ({@link TransposeInRegisters}) and the values copied into
     * contiguous rows first: the query tile was a fifth of the no-grad forward's time, and P·V ran 1.4× faster
     * from the copy (one bench-m layer of one sequence part, 3.8 → 2.8 ms, docs/benchmarks.md).
     */
    static final boolean REGISTER_TRANSPOSE = !"false".equals(System.getProperty("grpo4j.attention.registerTranspose"));

    /** {@link #forward} with the switch as an argument, so one JVM can time both forms ({@code AttentionForwardTiming}). */
    static void forward(float[] out, int o, int os, float[] probs, int po, float[] qkv, int xo, int width, int qCol, int kCol,
                        int vCol, int T, int q0, int first, int hd, float scale, boolean rowsInRegisters) {
        int Q = T - q0, Qp = (Q + QB - 1) / QB * QB;
        float[] qt = Scratch.floats(0, hd * Qp), sc = Scratch.floats(1, (T + QB) * QB), lanes = Scratch.floats(2, W * QB);
        float[] v = qkv;
        int vo = xo + vCol, vs = width;
        if (rowsInRegisters) {
            queryTile(qt, Qp, qkv, xo + q0 * width + qCol, width, Q, hd, scale);
            v = Scratch.floats(3, T * hd);
            copyRows(v, 0, qkv, xo + vCol, width, T, hd);
            vo = 0;
            vs = hd;
        } else transposed(qt, Qp, qkv, xo + q0 * width + qCol, width, Q, hd, scale);
        for (int t0 = q0; t0 < T; t0 += QB) {
            int nk = Math.min(t0 + QB, T), rows = nk - t0;
            scores(sc, nk, qt, Qp, t0 - q0, qkv, xo + kCol, width, hd);
            softmax(sc, nk, t0, lanes);
            if (probs != null) store(probs, po - blockStart(q0), sc, nk, t0);
            for (int g = Math.max(0, first - t0); g < rows; g += 8) {
                int rr = Math.min(8, rows - g);
                weightedRows(out, o + (t0 + g) * os, os, rr, sc, g, t0 + g + rr, v, vo, vs, hd);
            }
        }
    }

    /**
     * The gradients of one head: dQ of its rows stored at {@code dq + t·width}, dK and dV added into {@code dk, dv +
     * s·width} (the caller zeroes them once for the kv head's group). {@code dOut} rows at {@code d + t·ds}, the forward's
     * probabilities at {@code probs} from {@code po}. Per query block: dP = dO·V down the lanes, dS = P∘(dP − Σ_s P∘dP)·scale,
     * dQ from dS and K; then dK (from dS and Q) and dV (from P and dO) sum each key's queries in one pass
     * ({@link #backwardByKeyGroups}, or {@link #backwardByKeyRows} under the A/B switch: the same bits).
     */
    static void backward(float[] dQkv, int dq, int dk, int dv, float[] dOut, int d, int ds, float[] qkv, int xo, int width,
                         int qCol, int kCol, int vCol, float[] probs, int po, int T, int hd, float scale) {
        if (KEY_GROUPS) backwardByKeyGroups(dQkv, dq, dk, dv, dOut, d, ds, qkv, xo, width, qCol, kCol, vCol, probs, po, T, hd, scale);
        else backwardByKeyRows(dQkv, dq, dk, dv, dOut, d, ds, qkv, xo, width, qCol, kCol, vCol, probs, po, T, hd, scale);
    }

    /**
     * {@code -Dgrpo4j.attention.keyGroups=false}: the backward that copies P and dS into key-major matrices of the whole
     * head and adds dK/dV four keys at a time ({@link #backwardByKeyRows}), for A/B runs; the two give the same bits.
     */
    static final boolean KEY_GROUPS = !"false".equals(System.getProperty("grpo4j.attention.keyGroups"));

    /**
     * {@link #backward} reading P where the forward left it: dK and dV of eight keys at a time sum over the query blocks'
     * tiles ({@link #blockStart}: P from the forward, dS written alike), whose eight weights of one query sit a fixed
     * {@link #QB} apart (no key-major copies of P and dS, and no strided weight pointers: 1.1× the backward alone, 1.15×
     * with the rows the products read made contiguous). Each key's sums run over the queries in order from its block's
     * first query (earlier ones add exact zeros), so the gradients are {@link #backwardByKeyRows}'s, bit for bit.
     */
    static void backwardByKeyGroups(float[] dQkv, int dq, int dk, int dv, float[] dOut, int d, int ds, float[] qkv, int xo, int width,
                                    int qCol, int kCol, int vCol, float[] probs, int po, int T, int hd, float scale) {
        backwardByKeyGroups(dQkv, dq, width, dQkv, dk, dv, width, dOut, d, ds, qkv, xo, width, qCol, kCol, vCol, probs, po, T, 0, 0, hd, scale);
    }

    /**
     * {@link #backwardByKeyGroups} of {@link #forward}'s queries {@code t ≥ q0}: dQ stored at {@code dQ[dq + t·dqs]} for
     * {@code t ≥ first} only, dK/dV of every key {@code s < T} added at {@code dKV[dk, dv + s·kvs]}. The queries
     * {@code q0 ≤ t < first} (prompt rows another sequence answers for) get a zero dO: exact zeros in dS, so every key's
     * sums are those of the whole sequence with zero gradients on those rows.
     */
    static void backwardByKeyGroups(float[] dQ, int dq, int dqs, float[] dKV, int dk, int dv, int kvs, float[] dOut, int d, int ds,
                                    float[] qkv, int xo, int width, int qCol, int kCol, int vCol, float[] probs, int po, int T,
                                    int q0, int first, int hd, float scale) {
        int Q = T - q0, Qp = (Q + QB - 1) / QB * QB, last = (T - 1) / QB * QB, lastRows = T - last, b0 = blockStart(q0);
        float[] dt = Scratch.floats(0, hd * Qp), dp = Scratch.floats(1, (T + QB) * QB);
        float[] dsB = Scratch.floats(2, blockStart(Qp + q0) - b0 + 8 * QB);
        // slot 3: [a last block narrower than QB (saved with its own row length), widened to QB lanes: (T + 8)·QB]
        // [the head's queries, its dO rows (from q0): Q·hd each, the kv head's keys: T·hd, contiguous (the products read them 5 % faster)]
        int padSize = (T + 8) * QB, qc = padSize, dc = qc + Q * hd, kc = dc + Q * hd;
        float[] s3 = Scratch.floats(3, kc + T * hd), pad = lastRows < QB ? s3 : null;
        copyRows(s3, qc, qkv, xo + q0 * width + qCol, width, Q, hd);
        copyRows(s3, dc, dOut, d + q0 * ds, ds, Q, hd);
        copyRows(s3, kc, qkv, xo + kCol, width, T, hd);
        if (pad != null) {
            java.util.Arrays.fill(pad, 0, (T + 8) * QB, 0f);
            for (int s = 0; s < T; s++) System.arraycopy(probs, po + blockStart(last) - b0 + s * lastRows, pad, s * QB, lastRows);
        }
        // from the contiguous copy: the dO rows lie 2 KB apart at bench-m, and a 16-row gather of those touched 8 pages
        if (CONTIGUOUS_DO && REGISTER_TRANSPOSE) queryTile(dt, Qp, s3, dc, hd, Q, hd, 1f); // (h18a: as the forward's queries)
        else if (CONTIGUOUS_DO) transposed(dt, Qp, s3, dc, hd, Q, hd, 1f);
        else transposed(dt, Qp, dOut, d + q0 * ds, ds, Q, hd, 1f);
        if (first > q0) { // rows another sequence answers for: no gradient reaches them here
            java.util.Arrays.fill(s3, dc, dc + (first - q0) * hd, 0f);
            for (int i = 0; i < hd; i++) java.util.Arrays.fill(dt, i * Qp, i * Qp + first - q0, 0f);
        }
        FloatVector sv = FloatVector.broadcast(S, scale);
        for (int t0 = q0; t0 < T; t0 += QB) {
            int nk = Math.min(t0 + QB, T), rows = nk - t0, b = blockStart(t0) - b0;
            float[] P = t0 == last && pad != null ? pad : probs;
            int pb = P == pad ? 0 : po + b;
            scores(dp, nk, dt, Qp, t0 - q0, qkv, xo + vCol, width, hd);
            FloatVector D0 = FloatVector.zero(S), D1 = D0;
            for (int s = 0; s < nk; s++) {
                D0 = FloatVector.fromArray(S, P, pb + s * QB).fma(FloatVector.fromArray(S, dp, s * QB), D0);
                D1 = FloatVector.fromArray(S, P, pb + s * QB + W).fma(FloatVector.fromArray(S, dp, s * QB + W), D1);
            }
            for (int s = 0; s < nk; s++) {
                int c = s * QB;
                FloatVector.fromArray(S, dp, c).sub(D0).mul(FloatVector.fromArray(S, P, pb + c)).mul(sv).intoArray(dsB, b + c);
                FloatVector.fromArray(S, dp, c + W).sub(D1).mul(FloatVector.fromArray(S, P, pb + c + W)).mul(sv).intoArray(dsB, b + c + W);
            }
            for (int g = Math.max(0, first - t0); g < rows; g += 8) {
                int rr = Math.min(8, rows - g);
                weightedRows(dQ, dq + (t0 + g) * dqs, dqs, rr, dsB, b + g, t0 + g + rr, s3, kc, hd, hd);
            }
        }
        for (int s0 = 0; s0 < T; s0 += 8) {
            int rr = Math.min(8, T - s0);
            addKeyGroup(dKV, dk + s0 * kvs, kvs, rr, dsB, -b0, dsB, blockStart(last) - b0, s0, T, q0, s3, qc - q0 * hd, hd, hd);
            addKeyGroup(dKV, dv + s0 * kvs, kvs, rr, probs, po - b0, pad != null ? pad : probs, pad != null ? 0 : po + blockStart(last) - b0,
                    s0, T, q0, s3, dc - q0 * hd, hd, hd);
        }
    }

    /**
     * {@code out_k += Σ_{t ≥ t0(s0)} w[s0 + k, t] · rows[ro + t·stride + i]} for the {@code rr ≤ 8} keys {@code s0 + k}
     * (dK from dS and the queries, dV from P and dO), the weights in block tiles: block {@code t0}'s at {@code w[wo +
     * blockStart(t0) + s·QB + j]}, the last block's at {@code wl[wlo + s·QB + j]}. Sixteen accumulators (eight keys ×
     * two vectors of the head): 2 loads and 8 broadcasts at fixed offsets per 16 FMAs; each lane sums t in order.
     * Missing keys ({@code rr < 8}) read the tile's next rows and are not stored.
     */
    static void addKeyGroup(float[] out, int o, int os, int rr, float[] w, int wo, float[] wl, int wlo, int s0, int T, int q0,
                            float[] rows, int ro, int stride, int hd) {
        if (AttentionWideRows.applies(hd)) { // four vectors of the head per block: the same sums
            AttentionWideRows.addKeyGroup(out, o, os, rr, w, wo, wl, wlo, s0, T, q0, rows, ro, stride, hd);
            return;
        }
        int last = (T - 1) / QB * QB;
        for (int i0 = 0; i0 < hd; i0 += 2 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
            for (int t0 = Math.max(s0 / QB * QB, q0); t0 < T; t0 += QB) {
                float[] wa = t0 == last ? wl : w;
                int c = (t0 == last ? wlo : wo + blockStart(t0)) + s0 * QB, n = Math.min(QB, T - t0), r = ro + t0 * stride + i0;
                for (int j = 0; j < n; j++, c++, r += stride) {
                    FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                    FloatVector p = FloatVector.broadcast(S, wa[c]);
                    a0 = v0.fma(p, a0);
                    b0 = v1.fma(p, b0);
                    p = FloatVector.broadcast(S, wa[c + QB]);
                    a1 = v0.fma(p, a1);
                    b1 = v1.fma(p, b1);
                    p = FloatVector.broadcast(S, wa[c + 2 * QB]);
                    a2 = v0.fma(p, a2);
                    b2 = v1.fma(p, b2);
                    p = FloatVector.broadcast(S, wa[c + 3 * QB]);
                    a3 = v0.fma(p, a3);
                    b3 = v1.fma(p, b3);
                    p = FloatVector.broadcast(S, wa[c + 4 * QB]);
                    a4 = v0.fma(p, a4);
                    b4 = v1.fma(p, b4);
                    p = FloatVector.broadcast(S, wa[c + 5 * QB]);
                    a5 = v0.fma(p, a5);
                    b5 = v1.fma(p, b5);
                    p = FloatVector.broadcast(S, wa[c + 6 * QB]);
                    a6 = v0.fma(p, a6);
                    b6 = v1.fma(p, b6);
                    p = FloatVector.broadcast(S, wa[c + 7 * QB]);
                    a7 = v0.fma(p, a7);
                    b7 = v1.fma(p, b7);
                }
            }
            // the sums go through a per-thread tile and are added for the rr keys that exist, in a loop: branches on rr
            // that warm-up never took (ragged sequences come later in a run) would each deoptimise this method once
            float[] t = TAIL.get();
            a0.intoArray(t, 0);
            b0.intoArray(t, W);
            a1.intoArray(t, QB);
            b1.intoArray(t, QB + W);
            a2.intoArray(t, 2 * QB);
            b2.intoArray(t, 2 * QB + W);
            a3.intoArray(t, 3 * QB);
            b3.intoArray(t, 3 * QB + W);
            a4.intoArray(t, 4 * QB);
            b4.intoArray(t, 4 * QB + W);
            a5.intoArray(t, 5 * QB);
            b5.intoArray(t, 5 * QB + W);
            a6.intoArray(t, 6 * QB);
            b6.intoArray(t, 6 * QB + W);
            a7.intoArray(t, 7 * QB);
            b7.intoArray(t, 7 * QB + W);
            for (int k = 0; k < rr; k++) {
                int c = o + k * os + i0;
                addInto(out, c, FloatVector.fromArray(S, t, k * QB));
                addInto(out, c + W, FloatVector.fromArray(S, t, k * QB + W));
            }
        }
    }

    /** {@code -Dgrpo4j.attention.contiguousDo=false}: the backward transposes dO from its rows in place (A/B switch; same bits). */
    static final boolean CONTIGUOUS_DO = !"false".equals(System.getProperty("grpo4j.attention.contiguousDo"));

    /** Per thread, {@link #addKeyGroup}'s eight keys' sums on their way out. */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[8 * QB]);

    /** The backward as h14l wrote it: P and dS copied into key-major matrices of the head, dK/dV four keys at a time. */
    static void backwardByKeyRows(float[] dQkv, int dq, int dk, int dv, float[] dOut, int d, int ds, float[] qkv, int xo, int width,
                                  int qCol, int kCol, int vCol, float[] probs, int po, int T, int hd, float scale) {
        int Tp = (T + QB - 1) / QB * QB;
        float[] dt = Scratch.floats(0, hd * Tp), dp = Scratch.floats(1, (T + QB) * QB), dsT = Scratch.floats(2, T * Tp);
        float[] pT = Scratch.floats(3, T * Tp);
        transposed(dt, Tp, dOut, d, ds, T, hd, 1f);
        FloatVector sv = FloatVector.broadcast(S, scale);
        for (int t0 = 0; t0 < T; t0 += QB) {
            int nk = Math.min(t0 + QB, T), rows = nk - t0;
            load(pT, Tp, probs, po, nk, t0);
            scores(dp, nk, dt, Tp, t0, qkv, xo + vCol, width, hd);
            FloatVector D0 = FloatVector.zero(S), D1 = D0;
            for (int s = 0; s < nk; s++) {
                D0 = FloatVector.fromArray(S, pT, s * Tp + t0).fma(FloatVector.fromArray(S, dp, s * QB), D0);
                D1 = FloatVector.fromArray(S, pT, s * Tp + t0 + W).fma(FloatVector.fromArray(S, dp, s * QB + W), D1);
            }
            for (int s = 0; s < nk; s++) {
                int c = s * QB, e = s * Tp + t0;
                FloatVector a = FloatVector.fromArray(S, dp, c).sub(D0).mul(FloatVector.fromArray(S, pT, e)).mul(sv);
                FloatVector b = FloatVector.fromArray(S, dp, c + W).sub(D1).mul(FloatVector.fromArray(S, pT, e + W)).mul(sv);
                a.intoArray(dp, c);
                b.intoArray(dp, c + W);
                a.intoArray(dsT, s * Tp + t0);
                b.intoArray(dsT, s * Tp + t0 + W);
            }
            for (int g = 0; g < rows; g += 8) {
                int rr = Math.min(8, rows - g);
                weightedRows(dQkv, dq + (t0 + g) * width, width, rr, dp, g, t0 + g + rr, qkv, xo + kCol, width, hd);
            }
        }
        // key s is seen by the queries t ≥ s; a group's later keys read exact zeros for the few queries before them
        for (int s0 = 0; s0 < T; s0 += 4) {
            int rr = Math.min(4, T - s0);
            addWeightedRows4(dQkv, dk + s0 * width, width, rr, dsT, s0 * Tp + s0, Tp, T - s0, qkv, xo + s0 * width + qCol, width, hd);
            addWeightedRows4(dQkv, dv + s0 * width, width, rr, pT, s0 * Tp + s0, Tp, T - s0, dOut, d + s0 * ds, ds, hd);
        }
    }

    /** {@code dst[o + t·hd ..] = src[so + t·stride ..]} for {@code t < T}: a head's rows (whole vectors each) made contiguous. */
    static void copyRows(float[] dst, int o, float[] src, int so, int stride, int T, int hd) {
        for (int t = 0; t < T; t++)
            for (int i = 0; i < hd; i += W) FloatVector.fromArray(S, src, so + t * stride + i).intoArray(dst, o + t * hd + i);
    }

    /** {@link #transposed} in registers where {@link TransposeInRegisters} applies (the same bits). */
    static void queryTile(float[] tile, int Tp, float[] src, int so, int stride, int T, int hd, float a) {
        if (TransposeInRegisters.applies(hd)) TransposeInRegisters.transposed(tile, Tp, src, so, stride, T, hd, a);
        else transposed(tile, Tp, src, so, stride, T, hd, a);
    }

    /** {@code tile[i·Tp + t] = a · src[so + t·stride + i]}, zero for {@code T ≤ t < Tp}. */
    static void transposed(float[] tile, int Tp, float[] src, int so, int stride, int T, int hd, float a) {
        Attention.transpose(tile, Tp, src, so, stride, T, hd);
        FloatVector av = FloatVector.broadcast(S, a);
        for (int i = 0; i < hd; i++) {
            java.util.Arrays.fill(tile, i * Tp + T, (i + 1) * Tp, 0f);
            if (a != 1f) for (int t = 0; t < Tp; t += W) FloatVector.fromArray(S, tile, i * Tp + t).mul(av).intoArray(tile, i * Tp + t);
        }
    }

    /**
     * Where query block {@code t0}'s probabilities start in a head's {@code T·T} floats: the blocks are stored one
     * after another, each {@code [key s < nk][query j < rows]} ({@code rows = QB} but for the last block), so the
     * forward writes and the backward reads whole contiguous tiles. They fit: the last block is at most QB rows wide.
     */
    static int blockStart(int t0) {
        int k = t0 / QB;
        return QB * QB * k * (k + 1) / 2;
    }

    /** The block's probabilities, {@code [s < nk][j < rows]}, at {@code probs[po + blockStart(t0) ..]}. */
    private static void store(float[] probs, int po, float[] sc, int nk, int t0) {
        int rows = nk - t0, at = po + blockStart(t0);
        if (rows == QB) System.arraycopy(sc, 0, probs, at, nk * QB);
        else for (int s = 0; s < nk; s++) System.arraycopy(sc, s * QB, probs, at + s * rows, rows);
    }

    /**
     * {@link #store} in reverse, into {@code pT[s·Tp + t0 + j]}, the key-major copy of the whole head (lanes past the
     * sequence's last query zero).
     */
    private static void load(float[] pT, int Tp, float[] probs, int po, int nk, int t0) {
        int rows = nk - t0, at = po + blockStart(t0);
        for (int s = 0; s < nk; s++)
            if (rows == QB) {
                FloatVector.fromArray(S, probs, at + s * QB).intoArray(pT, s * Tp + t0);
                FloatVector.fromArray(S, probs, at + s * QB + W).intoArray(pT, s * Tp + t0 + W);
            } else {
                System.arraycopy(probs, at + s * rows, pT, s * Tp + t0, rows);
                java.util.Arrays.fill(pT, s * Tp + t0 + rows, s * Tp + t0 + QB, 0f);
            }
    }

    /**
     * {@code sc[s·QB + j] = Σ_i qt[i, t0 + j] · k_s[i]} for keys {@code s < nk}: eight keys × two query vectors per
     * register block (16 FMAs per 2 loads and 8 broadcasts), each score summing {@code i} in order.
     */
    static void scores(float[] sc, int nk, float[] qt, int Tp, int t0, float[] qkv, int ko, int width, int hd) {
        int s0 = 0;
        for (; s0 + 8 <= nk; s0 += 8) {
            int k0 = ko + s0 * width, k1 = k0 + width, k2 = k1 + width, k3 = k2 + width;
            int k4 = k3 + width, k5 = k4 + width, k6 = k5 + width, k7 = k6 + width;
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            FloatVector a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
            for (int i = 0; i < hd; i++) {
                int q = i * Tp + t0;
                FloatVector q0 = FloatVector.fromArray(S, qt, q), q1 = FloatVector.fromArray(S, qt, q + W);
                FloatVector k = FloatVector.broadcast(S, qkv[k0 + i]);
                a0 = q0.fma(k, a0);
                b0 = q1.fma(k, b0);
                k = FloatVector.broadcast(S, qkv[k1 + i]);
                a1 = q0.fma(k, a1);
                b1 = q1.fma(k, b1);
                k = FloatVector.broadcast(S, qkv[k2 + i]);
                a2 = q0.fma(k, a2);
                b2 = q1.fma(k, b2);
                k = FloatVector.broadcast(S, qkv[k3 + i]);
                a3 = q0.fma(k, a3);
                b3 = q1.fma(k, b3);
                k = FloatVector.broadcast(S, qkv[k4 + i]);
                a4 = q0.fma(k, a4);
                b4 = q1.fma(k, b4);
                k = FloatVector.broadcast(S, qkv[k5 + i]);
                a5 = q0.fma(k, a5);
                b5 = q1.fma(k, b5);
                k = FloatVector.broadcast(S, qkv[k6 + i]);
                a6 = q0.fma(k, a6);
                b6 = q1.fma(k, b6);
                k = FloatVector.broadcast(S, qkv[k7 + i]);
                a7 = q0.fma(k, a7);
                b7 = q1.fma(k, b7);
            }
            int c = s0 * QB;
            a0.intoArray(sc, c);
            b0.intoArray(sc, c + W);
            a1.intoArray(sc, c + QB);
            b1.intoArray(sc, c + QB + W);
            a2.intoArray(sc, c + 2 * QB);
            b2.intoArray(sc, c + 2 * QB + W);
            a3.intoArray(sc, c + 3 * QB);
            b3.intoArray(sc, c + 3 * QB + W);
            a4.intoArray(sc, c + 4 * QB);
            b4.intoArray(sc, c + 4 * QB + W);
            a5.intoArray(sc, c + 5 * QB);
            b5.intoArray(sc, c + 5 * QB + W);
            a6.intoArray(sc, c + 6 * QB);
            b6.intoArray(sc, c + 6 * QB + W);
            a7.intoArray(sc, c + 7 * QB);
            b7.intoArray(sc, c + 7 * QB + W);
        }
        for (; s0 + 4 <= nk; s0 += 4) {
            int k0 = ko + s0 * width, k1 = k0 + width, k2 = k1 + width, k3 = k2 + width;
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int i = 0; i < hd; i++) {
                int q = i * Tp + t0;
                FloatVector q0 = FloatVector.fromArray(S, qt, q), q1 = FloatVector.fromArray(S, qt, q + W);
                FloatVector k = FloatVector.broadcast(S, qkv[k0 + i]);
                a0 = q0.fma(k, a0);
                b0 = q1.fma(k, b0);
                k = FloatVector.broadcast(S, qkv[k1 + i]);
                a1 = q0.fma(k, a1);
                b1 = q1.fma(k, b1);
                k = FloatVector.broadcast(S, qkv[k2 + i]);
                a2 = q0.fma(k, a2);
                b2 = q1.fma(k, b2);
                k = FloatVector.broadcast(S, qkv[k3 + i]);
                a3 = q0.fma(k, a3);
                b3 = q1.fma(k, b3);
            }
            int c = s0 * QB;
            a0.intoArray(sc, c);
            b0.intoArray(sc, c + W);
            a1.intoArray(sc, c + QB);
            b1.intoArray(sc, c + QB + W);
            a2.intoArray(sc, c + 2 * QB);
            b2.intoArray(sc, c + 2 * QB + W);
            a3.intoArray(sc, c + 3 * QB);
            b3.intoArray(sc, c + 3 * QB + W);
        }
        for (; s0 < nk; s0++) {
            int k0 = ko + s0 * width;
            FloatVector a0 = FloatVector.zero(S), b0 = a0;
            for (int i = 0; i < hd; i++) {
                int q = i * Tp + t0;
                FloatVector k = FloatVector.broadcast(S, qkv[k0 + i]);
                a0 = FloatVector.fromArray(S, qt, q).fma(k, a0);
                b0 = FloatVector.fromArray(S, qt, q + W).fma(k, b0);
            }
            a0.intoArray(sc, s0 * QB);
            b0.intoArray(sc, s0 * QB + W);
        }
    }

    /**
     * The softmax of each query lane over the keys {@code s < nk} of tile {@code sc[s·QB + j]} (query {@code t0 + j}
     * sees keys {@code s ≤ t0 + j}; later ones become exact zeros), in place. {@code lanes} holds W × QB floats.
     */
    static void softmax(float[] sc, int nk, int t0, float[] lanes) {
        FloatVector j0 = FloatVector.fromArray(S, LANE, 0), j1 = FloatVector.fromArray(S, LANE, W);
        for (int s = t0; s < nk; s++) { // the diagonal block: lanes j < s − t0 are queries before key s
            float d = s - t0;
            FloatVector.fromArray(S, sc, s * QB).blend(Float.NEGATIVE_INFINITY, j0.compare(VectorOperators.LT, d)).intoArray(sc, s * QB);
            FloatVector.fromArray(S, sc, s * QB + W).blend(Float.NEGATIVE_INFINITY, j1.compare(VectorOperators.LT, d)).intoArray(sc, s * QB + W);
        }
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
        for (int s = 0; s < nk; s++) { // max as compare-and-blend (as VectorMath.exp's clamp): C2's max is a long sequence
            FloatVector x0 = FloatVector.fromArray(S, sc, s * QB), x1 = FloatVector.fromArray(S, sc, s * QB + W);
            m0 = m0.blend(x0, m0.compare(VectorOperators.LT, x0));
            m1 = m1.blend(x1, m1.compare(VectorOperators.LT, x1));
        }
        m0.intoArray(lanes, 0);
        m1.intoArray(lanes, W);
        expMinus(sc, nk * QB, lanes);
        for (int s = t0; s < nk; s++) { // exp clamps its argument, so the masked keys become exact zeros here
            float d = s - t0;
            FloatVector.fromArray(S, sc, s * QB).blend(0f, j0.compare(VectorOperators.LT, d)).intoArray(sc, s * QB);
            FloatVector.fromArray(S, sc, s * QB + W).blend(0f, j1.compare(VectorOperators.LT, d)).intoArray(sc, s * QB + W);
        }
        // softmaxInto's sums: lane l of its accumulator adds keys s ≡ l (mod W) in order, then a halving tree
        for (int l = 0; l < W; l++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int s = l; s < nk; s += W) {
                a0 = a0.add(FloatVector.fromArray(S, sc, s * QB));
                a1 = a1.add(FloatVector.fromArray(S, sc, s * QB + W));
            }
            a0.intoArray(lanes, l * QB);
            a1.intoArray(lanes, l * QB + W);
        }
        for (int half = W / 2; half >= 1; half /= 2)
            for (int l = 0; l < half; l++) {
                FloatVector.fromArray(S, lanes, l * QB).add(FloatVector.fromArray(S, lanes, (l + half) * QB)).intoArray(lanes, l * QB);
                FloatVector.fromArray(S, lanes, l * QB + W).add(FloatVector.fromArray(S, lanes, (l + half) * QB + W))
                        .intoArray(lanes, l * QB + W);
            }
        FloatVector sum0 = FloatVector.fromArray(S, lanes, 0), sum1 = FloatVector.fromArray(S, lanes, W);
        if (t0 == 0) { // rows shorter than a vector: softmaxScalar's running sum
            FloatVector run = FloatVector.zero(S);
            for (int s = 0; s < Math.min(nk, W); s++) run = run.add(FloatVector.fromArray(S, sc, s * QB));
            sum0 = sum0.blend(run, j0.compare(VectorOperators.LT, W - 1));
        }
        FloatVector inv0 = FloatVector.broadcast(S, 1f).div(sum0), inv1 = FloatVector.broadcast(S, 1f).div(sum1);
        for (int s = 0; s < nk; s++) {
            FloatVector.fromArray(S, sc, s * QB).mul(inv0).intoArray(sc, s * QB);
            FloatVector.fromArray(S, sc, s * QB + W).mul(inv1).intoArray(sc, s * QB + W);
        }
    }

    /** {@code x[c] = exp(x[c] − m[c mod QB])} for {@code c < n}: one call site of {@link VectorMath#exp}, so C2 inlines it. */
    private static void expMinus(float[] x, int n, float[] m) {
        for (int c = 0; c < n; c += W)
            VectorMath.exp(FloatVector.fromArray(S, x, c).sub(FloatVector.fromArray(S, m, c & (QB - 1)))).intoArray(x, c);
    }

    /**
     * {@code out_r = Σ_{x<n} w[wo + r + x·QB] · rows[ro + x·stride + i]} for {@code i < hd} and {@code rr ≤ 8} rows r of a
     * tile (the probabilities times the values; dQ from dS and the keys), row r stored at {@code o + r·os}. Two vectors
     * of the head at a time (16 accumulators: 8 broadcasts and 2 loads per 16 FMAs); each lane sums x in order. Missing
     * rows ({@code rr < 8}) read the tile's next lanes and are not stored.
     */
    static void weightedRows(float[] out, int o, int os, int rr, float[] w, int wo, int n, float[] rows, int ro, int stride, int hd) {
        if (AttentionWideRows.applies(hd)) { // four vectors of the head per block: the same sums
            AttentionWideRows.weightedRows(out, o, os, rr, w, wo, n, rows, ro, stride, hd);
            return;
        }
        for (int i0 = 0; i0 < hd; i0 += 2 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
            for (int x = 0; x < n; x++) {
                int r = ro + x * stride + i0, c = wo + x * QB;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector p = FloatVector.broadcast(S, w[c]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                p = FloatVector.broadcast(S, w[c + 1]);
                a1 = v0.fma(p, a1);
                b1 = v1.fma(p, b1);
                p = FloatVector.broadcast(S, w[c + 2]);
                a2 = v0.fma(p, a2);
                b2 = v1.fma(p, b2);
                p = FloatVector.broadcast(S, w[c + 3]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
                p = FloatVector.broadcast(S, w[c + 4]);
                a4 = v0.fma(p, a4);
                b4 = v1.fma(p, b4);
                p = FloatVector.broadcast(S, w[c + 5]);
                a5 = v0.fma(p, a5);
                b5 = v1.fma(p, b5);
                p = FloatVector.broadcast(S, w[c + 6]);
                a6 = v0.fma(p, a6);
                b6 = v1.fma(p, b6);
                p = FloatVector.broadcast(S, w[c + 7]);
                a7 = v0.fma(p, a7);
                b7 = v1.fma(p, b7);
            }
            int c = o + i0;
            a0.intoArray(out, c);
            b0.intoArray(out, c + W);
            if (rr > 1) {
                a1.intoArray(out, c + 1 * os);
                b1.intoArray(out, c + 1 * os + W);
            }
            if (rr > 2) {
                a2.intoArray(out, c + 2 * os);
                b2.intoArray(out, c + 2 * os + W);
            }
            if (rr > 3) {
                a3.intoArray(out, c + 3 * os);
                b3.intoArray(out, c + 3 * os + W);
            }
            if (rr > 4) {
                a4.intoArray(out, c + 4 * os);
                b4.intoArray(out, c + 4 * os + W);
            }
            if (rr > 5) {
                a5.intoArray(out, c + 5 * os);
                b5.intoArray(out, c + 5 * os + W);
            }
            if (rr > 6) {
                a6.intoArray(out, c + 6 * os);
                b6.intoArray(out, c + 6 * os + W);
            }
            if (rr > 7) {
                a7.intoArray(out, c + 7 * os);
                b7.intoArray(out, c + 7 * os + W);
            }
        }
    }

    /**
     * {@code out_r += Σ_{x<n} w[wo + r·rs + x] · rows[ro + x·stride + i]} for {@code rr ≤ 4} rows, the weights a row of a
     * key-major matrix apart (dK from dS and the queries, dV from P and dO): four weight pointers (an 8-row form, eight
     * strided pointers, ran the backward 1.2–1.3× slower); each lane sums x in order.
     */
    static void addWeightedRows4(float[] out, int o, int os, int rr, float[] w, int wo, int rs, int n, float[] rows, int ro, int stride, int hd) {
        int w0 = wo, w1 = wo + Math.min(1, rr - 1) * rs, w2 = wo + Math.min(2, rr - 1) * rs, w3 = wo + Math.min(3, rr - 1) * rs;
        for (int i0 = 0; i0 < hd; i0 += 2 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int x = 0; x < n; x++) {
                int r = ro + x * stride + i0;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector p = FloatVector.broadcast(S, w[w0 + x]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                p = FloatVector.broadcast(S, w[w1 + x]);
                a1 = v0.fma(p, a1);
                b1 = v1.fma(p, b1);
                p = FloatVector.broadcast(S, w[w2 + x]);
                a2 = v0.fma(p, a2);
                b2 = v1.fma(p, b2);
                p = FloatVector.broadcast(S, w[w3 + x]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
            }
            int c = o + i0;
            addInto(out, c, a0);
            addInto(out, c + W, b0);
            if (rr > 1) {
                addInto(out, c + os, a1);
                addInto(out, c + os + W, b1);
            }
            if (rr > 2) {
                addInto(out, c + 2 * os, a2);
                addInto(out, c + 2 * os + W, b2);
            }
            if (rr > 3) {
                addInto(out, c + 3 * os, a3);
                addInto(out, c + 3 * os + W, b3);
            }
        }
    }

    private static void addInto(float[] out, int o, FloatVector v) {
        v.add(FloatVector.fromArray(S, out, o)).intoArray(out, o);
    }
}
