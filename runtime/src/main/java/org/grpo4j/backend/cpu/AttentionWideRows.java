package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AttentionByQueryLanes}' products along the head (P·V and dS·K: {@link #weightedRows}; dK and dV: {@link
 * #addKeyGroup}) for heads of four vectors and more (hd 64 with AVX-512): four rows × four vectors of the head per
 * register block, so each broadcast weight feeds four FMAs instead of two (4 loads and 4 broadcasts per 16 FMAs; the
 * two-vector blocks need 2 loads and 8). Every lane sums its terms in the same order as the two-vector kernels, so the
 * results are theirs, bit for bit ({@code AttentionWideQueryLanesTest}). {@code -Dgrpo4j.attention.wideRows=false}
 * runs the two-vector kernels.
 */
final class AttentionWideRows {
    private AttentionWideRows() {}

    private static final VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W, QB = AttentionByQueryLanes.QB;

    static final boolean WIDE_ROWS = !"false".equals(System.getProperty("grpo4j.attention.wideRows"));

    /** Whether the four-vector blocks apply to heads of {@code hd}. */
    static boolean applies(int hd) {
        return WIDE_ROWS && hd % (4 * W) == 0;
    }

    /**
     * {@link AttentionByQueryLanes#weightedRows}: {@code out_r = Σ_{x<n} w[wo + r + x·QB] · rows[ro + x·stride + i]} for
     * {@code rr ≤ 8} rows r, stored at {@code o + r·os}; four rows at a time.
     */
    static void weightedRows(float[] out, int o, int os, int rr, float[] w, int wo, int n, float[] rows, int ro, int stride, int hd) {
        weightedRows4(out, o, os, Math.min(rr, 4), w, wo, n, rows, ro, stride, hd);
        if (rr > 4) weightedRows4(out, o + 4 * os, os, rr - 4, w, wo + 4, n, rows, ro, stride, hd);
    }

    private static void weightedRows4(float[] out, int o, int os, int rr, float[] w, int wo, int n, float[] rows, int ro, int stride, int hd) {
        for (int i0 = 0; i0 < hd; i0 += 4 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, c0 = a0, d0 = a0, a1 = a0, b1 = a0, c1 = a0, d1 = a0;
            FloatVector a2 = a0, b2 = a0, c2 = a0, d2 = a0, a3 = a0, b3 = a0, c3 = a0, d3 = a0;
            for (int x = 0; x < n; x++) {
                int r = ro + x * stride + i0, c = wo + x * QB;
                FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                FloatVector v2 = FloatVector.fromArray(S, rows, r + 2 * W), v3 = FloatVector.fromArray(S, rows, r + 3 * W);
                FloatVector p = FloatVector.broadcast(S, w[c]);
                a0 = v0.fma(p, a0);
                b0 = v1.fma(p, b0);
                c0 = v2.fma(p, c0);
                d0 = v3.fma(p, d0);
                p = FloatVector.broadcast(S, w[c + 1]);
                a1 = v0.fma(p, a1);
                b1 = v1.fma(p, b1);
                c1 = v2.fma(p, c1);
                d1 = v3.fma(p, d1);
                p = FloatVector.broadcast(S, w[c + 2]);
                a2 = v0.fma(p, a2);
                b2 = v1.fma(p, b2);
                c2 = v2.fma(p, c2);
                d2 = v3.fma(p, d2);
                p = FloatVector.broadcast(S, w[c + 3]);
                a3 = v0.fma(p, a3);
                b3 = v1.fma(p, b3);
                c3 = v2.fma(p, c3);
                d3 = v3.fma(p, d3);
            }
            int c = o + i0;
            store(out, c, a0, b0, c0, d0);
            if (rr > 1) store(out, c + os, a1, b1, c1, d1);
            if (rr > 2) store(out, c + 2 * os, a2, b2, c2, d2);
            if (rr > 3) store(out, c + 3 * os, a3, b3, c3, d3);
        }
    }

    private static void store(float[] out, int c, FloatVector a, FloatVector b, FloatVector d, FloatVector e) {
        a.intoArray(out, c);
        b.intoArray(out, c + W);
        d.intoArray(out, c + 2 * W);
        e.intoArray(out, c + 3 * W);
    }

    /**
     * {@link AttentionByQueryLanes#addKeyGroup}: {@code out_k += Σ_t w[s0 + k, t] · rows[ro + t·stride + i]} for the
     * {@code rr ≤ 8} keys {@code s0 + k}, the weights in block tiles (block {@code t0}'s at {@code w[wo + blockStart(t0)
     * + s·QB + j]}, the last block's at {@code wl[wlo + s·QB + j]}); four keys at a time, each summing from the same
     * first query block as the eight-key kernel.
     */
    static void addKeyGroup(float[] out, int o, int os, int rr, float[] w, int wo, float[] wl, int wlo, int s0, int T, int q0,
                            float[] rows, int ro, int stride, int hd) {
        int from = Math.max(s0 / QB * QB, q0);
        float[] tail = TAIL.get(); // once a call: the thread-local lookup showed in the model's samples
        addKeys4(out, o, os, Math.min(rr, 4), w, wo, wl, wlo, s0, from, T, rows, ro, stride, hd, tail);
        if (rr > 4) addKeys4(out, o + 4 * os, os, rr - 4, w, wo, wl, wlo, s0 + 4, from, T, rows, ro, stride, hd, tail);
    }

    private static void addKeys4(float[] out, int o, int os, int rr, float[] w, int wo, float[] wl, int wlo, int s0, int from, int T,
                                 float[] rows, int ro, int stride, int hd, float[] t) {
        int last = (T - 1) / QB * QB;
        for (int i0 = 0; i0 < hd; i0 += 4 * W) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, c0 = a0, d0 = a0, a1 = a0, b1 = a0, c1 = a0, d1 = a0;
            FloatVector a2 = a0, b2 = a0, c2 = a0, d2 = a0, a3 = a0, b3 = a0, c3 = a0, d3 = a0;
            for (int t0 = from; t0 < T; t0 += QB) {
                float[] wa = t0 == last ? wl : w;
                int c = (t0 == last ? wlo : wo + AttentionByQueryLanes.blockStart(t0)) + s0 * QB, n = Math.min(QB, T - t0);
                int r = ro + t0 * stride + i0;
                for (int j = 0; j < n; j++, c++, r += stride) {
                    FloatVector v0 = FloatVector.fromArray(S, rows, r), v1 = FloatVector.fromArray(S, rows, r + W);
                    FloatVector v2 = FloatVector.fromArray(S, rows, r + 2 * W), v3 = FloatVector.fromArray(S, rows, r + 3 * W);
                    FloatVector p = FloatVector.broadcast(S, wa[c]);
                    a0 = v0.fma(p, a0);
                    b0 = v1.fma(p, b0);
                    c0 = v2.fma(p, c0);
                    d0 = v3.fma(p, d0);
                    p = FloatVector.broadcast(S, wa[c + QB]);
                    a1 = v0.fma(p, a1);
                    b1 = v1.fma(p, b1);
                    c1 = v2.fma(p, c1);
                    d1 = v3.fma(p, d1);
                    p = FloatVector.broadcast(S, wa[c + 2 * QB]);
                    a2 = v0.fma(p, a2);
                    b2 = v1.fma(p, b2);
                    c2 = v2.fma(p, c2);
                    d2 = v3.fma(p, d2);
                    p = FloatVector.broadcast(S, wa[c + 3 * QB]);
                    a3 = v0.fma(p, a3);
                    b3 = v1.fma(p, b3);
                    c3 = v2.fma(p, c3);
                    d3 = v3.fma(p, d3);
                }
            }
            // through a per-thread tile, added for the keys that exist in a loop (as addKeyGroup: no branches on rr)
            store(t, 0, a0, b0, c0, d0);
            store(t, 4 * W, a1, b1, c1, d1);
            store(t, 8 * W, a2, b2, c2, d2);
            store(t, 12 * W, a3, b3, c3, d3);
            for (int k = 0; k < rr; k++)
                for (int v = 0; v < 4; v++) {
                    int at = o + k * os + i0 + v * W;
                    FloatVector.fromArray(S, t, 4 * W * k + v * W).add(FloatVector.fromArray(S, out, at)).intoArray(out, at);
                }
        }
    }

    /** Per thread, {@link #addKeys4}'s four keys' sums on their way out. */
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[16 * W]);
}
