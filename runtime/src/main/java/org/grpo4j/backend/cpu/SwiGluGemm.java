package org.grpo4j.backend.cpu;

import static org.grpo4j.backend.cpu.Gemm.KC;
import static org.grpo4j.backend.cpu.Gemm.L;
import static org.grpo4j.backend.cpu.Gemm.MC;
import static org.grpo4j.backend.cpu.Gemm.MR;
import static org.grpo4j.backend.cpu.Gemm.NC;
import static org.grpo4j.backend.cpu.Gemm.NR;
import static org.grpo4j.backend.cpu.Gemm.PANEL_A;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gate/up product with SwiGLU as its epilogue, for passes that keep no gate/up rows (a scoring pass):
 * {@code act[M,F] = silu(a·Wgᵀ) · (a·Wuᵀ)} with {@code w = [Wg; Wu]} the fused {@code [2F, K]} weight. The weight is
 * packed so that each {@link Gemm#NR}-wide panel holds {@code L} gate columns in its first vector and the same {@code L}
 * up columns in its second; the micro-kernel's tiles then hold gate and up side by side, and the epilogue (a loop over
 * a block of rows' tiles, in L2) writes {@code silu(gate)·up}. The plain path writes the {@code M × 2F} gate/up rows
 * (bench-m: 17 MB per part and layer) and {@link SwiGlu#forward} reads them back.
 *
 * <p>Same bits as {@link Gemm#matmulNT} then {@link SwiGlu#forward}: only depths of one block ({@code K ≤ KC}) come
 * here, so every gate/up value is the kernel's one chain of FMAs from zero in depth order, as on the plain path; the
 * epilogue is {@link SwiGlu#forward}'s formula, vector for the whole vectors of columns and scalar for the tail.
 * Products the plain path would run another way ({@link Gemm}'s few-row paths, depths of several blocks) are not
 * taken ({@link #fits}).
 */
final class SwiGluGemm {
    private static final VectorSpecies<Float> S = Gemm.S;
    /** Gate columns per packed block: the block is {@link Gemm#NC} packed columns wide, half gate and half up. */
    private static final int NCF = NC / 2;

    private SwiGluGemm() {}

    /** Whether the fused product takes {@code M × F} outputs of depth {@code K}: the plain path's blocked product over one depth block. */
    static boolean fits(int M, int F, int K) {
        return K > 0 && K <= KC && F > 0 && M > Math.max(2 * L, Gemm.SMALL_M);
    }

    /**
     * {@code act[i, j] = silu(g)·u} with {@code g = Σ_k a[i,k]·w[j,k]}, {@code u = Σ_k a[i,k]·w[F+j,k]} (rows of
     * {@code a} and {@code act} are {@code K} and {@code F} floats). Row slabs claimed from a counter when the pool has
     * threads to spare; inside a pool task (whole sequences per core) the calling thread runs it all.
     */
    static void run(float[] act, int actOff, float[] a, int aOff, float[] w, int wOff, float[] panels, int M, int F, int K) {
        Gemm.check("act", act, actOff, M, F, F);
        Gemm.check("a", a, aOff, M, K, K);
        Gemm.check("w", w, wOff, 2 * F, K, K);
        if (panels != null && panels.length < panelFloats(F, K)) throw new IllegalArgumentException("panels of " + panels.length + " floats, not " + panelFloats(F, K));
        int rowBlocks = (M + MR - 1) / MR;
        int threads = 2L * M * F * K < Gemm.PARALLEL_MIN_FMAS ? 1 : Math.min(Parallel.width(), rowBlocks);
        if (threads == 1) {
            slab(Gemm.WORK.get(), act, actOff, a, aOff, w, wOff, panels, 0, M, F, K);
            return;
        }
        Gemm.claimSlabs(rowBlocks, M, threads,
                (work, s0, s1) -> slab(work, act, actOff, a, aOff, w, wOff, panels, s0 * MR, Math.min(M, s1 * MR), F, K));
    }

    /** Floats of {@link #panels}' copy of a fused {@code [2F, K]} gate/up weight. */
    static long panelFloats(int F, int K) {
        return (long) (F + L - 1) / L * ((K + 1) & ~1) * NR;
    }

    /**
     * The fused gate/up weight packed whole as {@link #run} packs one block of it ({@link #packWeight}): a copy that
     * {@link #run} reads in place of packing, for a weight that does not change between products.
     */
    static void panels(float[] dst, float[] w, int wOff, int F, int K) {
        int kcp = (K + 1) & ~1;
        Parallel.forRange((F + L - 1) / L, 1, (from, to) -> {
            for (int q = from; q < to; q++) packWeight(dst, q * kcp * NR, w, wOff, F, K, kcp, q * L, Math.min(L, F - q * L));
        });
    }

    /**
     * Rows {@code [r0, r1)} on the calling thread, in {@link Gemm}'s loop order: per block of {@link #NCF} gate columns
     * the weight is packed once, and the rows are packed once for the whole slab where that fits
     * ({@link Gemm#PACK_A_ONCE}'s rule), else {@link Gemm#MC} rows at a time per block.
     */
    private static void slab(Gemm.Work work, float[] act, int actOff, float[] a, int aOff, float[] w, int wOff, float[] panels,
                             int r0, int r1, int F, int K) {
        int kcp = (K + 1) & ~1, slabPanels = (r1 - r0 + MR - 1) / MR;
        boolean once = Gemm.PACK_A_ONCE && F > NCF && (long) slabPanels * PANEL_A <= Gemm.PACKED_A_MAX;
        float[] packedA = once ? work.packedA(slabPanels * PANEL_A) : work.ap;
        if (once) Gemm.packA(packedA, a, aOff, K, 1, r0, r1, r1, 0, K, kcp);
        for (int jc = 0; jc < F; jc += NCF) {
            int nc = Math.min(NCF, F - jc);
            float[] bp = panels != null ? panels : work.bp;
            int base = panels != null ? jc / L * kcp * NR : 0;
            if (panels == null) packWeight(bp, 0, w, wOff, F, K, kcp, jc, nc);
            for (int ic = r0; ic < r1; ic += MC) {
                int ie = Math.min(r1, ic + MC), apI = 0;
                if (once) apI = (ic - r0) / MR * PANEL_A;
                else Gemm.packA(packedA, a, aOff, K, 1, ic, ie, r1, 0, K, kcp);
                kernels(work, packedA, apI, bp, base, act, actOff, F, ic, ie, r1, jc, nc, kcp);
            }
        }
    }

    /**
     * Rows {@code [ic, ie)} against every panel of the block into a per-thread buffer ({@code MC × NC}, in L2), then
     * the epilogue over the buffer as a loop of its own. With the epilogue after each micro-panel's tiles (in L1) the
     * product ran either ~5% faster or ~30% slower than the plain path from one JVM to the next (Zen 5, one thread, CPU
     * time): C2 compiled that loop one of two ways.
     */
    private static void kernels(Gemm.Work work, float[] ap, int apI, float[] bp, int base, float[] act, int actOff, int F, int ic, int ie, int r1,
                                int jc, int nc, int kcp) {
        float[] zeros = work.zeros, buf = BLOCK.get();
        int panels = (nc + L - 1) / L, whole = nc / L;
        for (int i0 = ic; i0 < ie; i0 += MR) {
            int aI = apI + (i0 - ic) / MR * PANEL_A, t = (i0 - ic) * NC;
            for (int q = 0; q < panels; q++) Gemm.kernel(ap, aI, bp, base + q * kcp * NR, kcp, zeros, 0, 0, buf, t + q * NR, NC);
        }
        int rows = Math.min(ie, r1) - ic, o = actOff + ic * F + jc;
        epilogue(buf, act, o, F, rows, whole);
        if (whole < panels) epilogueTail(buf, whole * NR, act, o + whole * L, F, rows, nc - whole * L);
    }

    /** Per thread: a block of rows' tiles, {@code buf[r·NC + q·NR + j]} (a kernel's tile past the last row included). */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[(MC + MR) * NC]);

    /**
     * {@code act = silu(gate)·up} for {@code rows} rows of the buffer's first {@code panels} panels (whole vectors of
     * columns): {@link SwiGlu#forward}'s vector formula.
     */
    private static void epilogue(float[] buf, float[] act, int o, int ld, int rows, int panels) {
        for (int r = 0; r < rows; r++, o += ld) {
            for (int q = 0; q < panels; q++) {
                int t = r * NC + q * NR;
                FloatVector x = FloatVector.fromArray(S, buf, t), u = FloatVector.fromArray(S, buf, t + L);
                x.div(VectorMath.exp(x.neg()).add(1f)).mul(u).intoArray(act, o + q * L);
            }
        }
    }

    /** The last, partial vector of columns (its tiles from {@code buf[t]} on): {@link SwiGlu#forward}'s scalar tail. */
    private static void epilogueTail(float[] buf, int t, float[] act, int o, int ld, int rows, int cols) {
        for (int r = 0; r < rows; r++, o += ld, t += NC) {
            for (int j = 0; j < cols; j++) {
                float x = buf[t + j];
                act[o + j] = x / (1f + VectorMath.exp(-x)) * buf[t + L + j];
            }
        }
    }

    /**
     * Packs gate columns {@code [jc, jc + nc)} and their up columns as panels of {@code L + L} columns over the whole
     * depth ({@code kcp} steps, the last a zero step for an odd depth): gate row {@code j} of the weight becomes panel
     * column {@code j mod L}, up row {@code F + j} column {@code L + j mod L}.
     */
    private static void packWeight(float[] bp, int bpOff, float[] w, int wOff, int F, int K, int kcp, int jc, int nc) {
        int panels = (nc + L - 1) / L;
        for (int q = 0; q < panels; q++) {
            int j0 = jc + q * L, cols = Math.min(L, F - j0), base = bpOff + q * kcp * NR;
            int gate = wOff + j0 * K, up = wOff + (F + j0) * K;
            if (cols == L && L == 16 && Gemm.TRANSPOSE) packPanel16(bp, base, w, gate, up, K);
            else packPanelScalar(bp, base, w, gate, up, K, cols);
            Gemm.zeroSteps(bp, base + K * NR, (kcp - K) * NR);
        }
    }

    /** A full panel by 16 × 16 register transposes ({@link Gemm#packBColumns}' way), then the depth tail by scalar moves. */
    private static void packPanel16(float[] bp, int base, float[] w, int gate, int up, int K) {
        int p = 0;
        for (; p + 16 <= K; p += 16) {
            Gemm.transpose16(w, gate + p, K, bp, base + p * NR);
            Gemm.transpose16(w, up + p, K, bp, base + p * NR + L);
        }
        for (; p < K; p++) {
            for (int j = 0; j < L; j++) {
                bp[base + p * NR + j] = w[gate + j * K + p];
                bp[base + p * NR + L + j] = w[up + j * K + p];
            }
        }
    }

    /** Any panel by scalar moves; columns past {@code cols} are zero. */
    private static void packPanelScalar(float[] bp, int base, float[] w, int gate, int up, int K, int cols) {
        for (int p = 0; p < K; p++) {
            for (int j = 0; j < L; j++) {
                bp[base + p * NR + j] = j < cols ? w[gate + j * K + p] : 0f;
                bp[base + p * NR + L + j] = j < cols ? w[up + j * K + p] : 0f;
            }
        }
    }
}
