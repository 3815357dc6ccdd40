package org.grpo4j.backend.cpu;

import static org.grpo4j.backend.cpu.Gemm.KC;
import static org.grpo4j.backend.cpu.Gemm.L;
import static org.grpo4j.backend.cpu.Gemm.MC;
import static org.grpo4j.backend.cpu.Gemm.MR;
import static org.grpo4j.backend.cpu.Gemm.NC;
import static org.grpo4j.backend.cpu.Gemm.NR;
import static org.grpo4j.backend.cpu.Gemm.PANEL_A;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused q/k/v product with RoPE as its epilogue, for passes that keep no unrotated rows (a scoring pass without q/k
 * norm): {@code qkv = a·wᵀ (+ bias)}, then {@link Rope#rotate} on the q and k heads. The weight is packed so that each
 * {@link Gemm#NR}-wide panel of a q or k head holds {@code L} columns {@code i} of the head in its first vector and
 * columns {@code i + hd/2} in its second, the pairs RoPE rotates (HF rotate-half); v panels hold {@code NR} columns in
 * their natural order. The micro-kernel's tiles go into a per-thread buffer (a block of rows, in L2), and a loop of its
 * own rotates them and stores them to their natural columns, as {@link SwiGluGemm} applies SwiGLU. The plain path writes
 * the {@code M × (H + 2KV)·hd} rows (bench-m: 6 MB per part and layer) and {@link Rope#rotate} reads and rewrites the q/k
 * columns.
 *
 * <p>Same bits as {@link Gemm#matmulNT} then {@link Rope#rotate}: only depths of one block ({@code K ≤ KC}) and the
 * blocked path's row counts come here ({@link #fits}), so every value is the kernel's one chain of FMAs in depth order;
 * with a bias the plain path writes the bias into C first and the kernel's chain starts from it, except in its edge
 * tiles, which are summed from zero and then added to the bias: here full row panels start from a tile of the bias and
 * the last, partial one gets the bias added before the rotation (whole heads per panel leave no edge of columns). The
 * rotation is {@link Rope#rotate}'s formula ({@code x0·c − x1·s}, {@code x1·c + x0·s}, no fused multiply-add).
 */
final class RopeGemm {
    private static final VectorSpecies<Float> S = Gemm.S;

    private RopeGemm() {}

    /**
     * Whether the fused product takes {@code M} rows of {@code heads + 2·kvHeads} heads of {@code hd} columns at depth
     * {@code K}: the plain path's blocked product over one depth block, and heads of whole panels (so each panel of a
     * q/k head holds {@code L} whole rotation pairs: hd 32, 64, 128 at 512-bit vectors).
     */
    static boolean fits(int M, int heads, int kvHeads, int hd, int K) {
        return K > 0 && K <= KC && heads > 0 && kvHeads > 0 && hd % NR == 0 && NC / NR % (hd / NR) == 0 && M > Math.max(2 * L, Gemm.SMALL_M);
    }

    /**
     * {@code qkv[i, ·] = rope(a[i, ·]·wᵀ + bias)} for rows at {@code positions[i]}, with {@link Rope#rotate}'s tables
     * ({@code [positions, hd/2]}); {@code bias} may be null. Row slabs claimed from a counter when the pool has threads
     * to spare; inside a pool task (whole sequences per core) the calling thread runs it all.
     */
    static void run(float[] qkv, int qOff, float[] a, int aOff, float[] w, int wOff, float[] bias, int bOff,
                    int[] positions, float[] cos, int co, float[] sin, int so, int M, int heads, int kvHeads, int hd, int K) {
        Shape s = new Shape(heads, kvHeads, hd, K);
        Gemm.check("qkv", qkv, qOff, M, s.n, s.n);
        Gemm.check("a", a, aOff, M, K, K);
        Gemm.check("w", w, wOff, s.n, K, K);
        if (bias != null) Gemm.check("bias", bias, bOff, 1, s.n, s.n);
        Out out = new Out(qkv, qOff, bias, bOff, positions, cos, co, sin, so);
        int rowBlocks = (M + MR - 1) / MR;
        int threads = (long) M * s.n * K < Gemm.PARALLEL_MIN_FMAS ? 1 : Math.min(Parallel.width(), rowBlocks);
        if (threads == 1) {
            slab(Gemm.WORK.get(), out, a, aOff, w, wOff, s, 0, M);
            return;
        }
        int units = Math.min(rowBlocks, Math.max(threads, Math.min(Gemm.SLABS_PER_THREAD * threads, M / Gemm.SLAB_MIN)));
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, units), 1, (from, to) -> {
            Gemm.Work work = Gemm.WORK.get();
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                int s0 = (int) ((long) rowBlocks * u / units), s1 = (int) ((long) rowBlocks * (u + 1) / units);
                slab(work, out, a, aOff, w, wOff, s, s0 * MR, Math.min(M, s1 * MR));
            }
        });
    }

    /** The product's sizes: {@code n} columns in {@code NR}-wide panels, the first {@code rotated} of them q/k pairs. */
    private record Shape(int n, int hd, int half, int rotated, int perHead, int K) {
        Shape(int heads, int kvHeads, int hd, int K) {
            this((heads + 2 * kvHeads) * hd, hd, hd / 2, (heads + kvHeads) * hd / NR, hd / NR, K);
        }

        /** The first column of panel {@code q}'s first vector (its second starts {@link #second} further on). */
        int column(int q) {
            return q < rotated ? q / perHead * hd + q % perHead * L : q * NR;
        }

        int second(int q) {
            return q < rotated ? half : L;
        }
    }

    /** Where the rotated rows go and what the epilogue reads: the output, the bias (or null), positions and tables. */
    private record Out(float[] qkv, int qOff, float[] bias, int bOff, int[] positions, float[] cos, int co, float[] sin, int so) {}

    /**
     * Rows {@code [r0, r1)} on the calling thread, in {@link Gemm}'s loop order: per block of {@link Gemm#NC} packed
     * columns the weight (and the bias) is packed once, and the rows are packed once for the whole slab where that fits
     * ({@link Gemm#PACK_A_ONCE}'s rule), else {@link Gemm#MC} rows at a time per block.
     */
    private static void slab(Gemm.Work work, Out out, float[] a, int aOff, float[] w, int wOff, Shape s, int r0, int r1) {
        int K = s.K, kcp = (K + 1) & ~1, slabPanels = (r1 - r0 + MR - 1) / MR;
        boolean once = Gemm.PACK_A_ONCE && s.n > NC && (long) slabPanels * PANEL_A <= Gemm.PACKED_A_MAX;
        float[] packedA = once ? work.packedA(slabPanels * PANEL_A) : work.ap, biasTiles = BIAS.get();
        if (once) Gemm.packA(packedA, a, aOff, K, 1, r0, r1, r1, 0, K, kcp);
        for (int jc = 0; jc < s.n; jc += NC) {
            int q0 = jc / NR, q1 = Math.min(s.n, jc + NC) / NR;
            packWeight(work.bp, w, wOff, s, kcp, q0, q1);
            if (out.bias != null) packBias(biasTiles, out.bias, out.bOff, s, q0, q1);
            for (int ic = r0; ic < r1; ic += MC) {
                int ie = Math.min(r1, ic + MC), apI = 0;
                if (once) apI = (ic - r0) / MR * PANEL_A;
                else Gemm.packA(packedA, a, aOff, K, 1, ic, ie, r1, 0, K, kcp);
                kernels(work, packedA, apI, biasTiles, out, s, ic, ie, r1, q0, q1, kcp);
            }
        }
    }

    /**
     * Rows {@code [ic, ie)} against panels {@code [q0, q1)} into a per-thread buffer ({@code MC × NC}, in L2), then the
     * epilogue over the buffer as a loop of its own (placed as {@link SwiGluGemm}'s, for the reason given there). Full
     * row panels start from the bias tiles (or zeros); a partial last one from zeros, with the bias added after.
     */
    private static void kernels(Gemm.Work work, float[] ap, int apI, float[] biasTiles, Out out, Shape s, int ic, int ie, int r1,
                                int q0, int q1, int kcp) {
        float[] bp = work.bp, zeros = work.zeros, buf = BLOCK.get(), start = out.bias == null ? zeros : biasTiles;
        int panels = q1 - q0;
        for (int i0 = ic; i0 < ie; i0 += MR) {
            int aI = apI + (i0 - ic) / MR * PANEL_A, t = (i0 - ic) * NC;
            boolean full = i0 + MR <= r1;
            float[] cin = full ? start : zeros;
            int step = cin == biasTiles ? NR : 0;
            for (int q = 0; q < panels; q++) Gemm.kernel(ap, aI, bp, q * kcp * NR, kcp, cin, q * step, 0, buf, t + q * NR, NC);
            if (!full && out.bias != null) addBias(buf, t, biasTiles, r1 - i0, panels);
        }
        int rows = Math.min(ie, r1) - ic, rotatedEnd = Math.min(q1, Math.max(q0, s.rotated));
        rotate(buf, out, s, ic, rows, q0, rotatedEnd);
        copy(buf, out, s, ic, rows, q0, rotatedEnd, q1);
    }

    /** Per thread: a block of rows' tiles, {@code buf[r·NC + q·NR + j]} (a kernel's tile past the last row included). */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[(MC + MR) * NC]);
    /** Per thread: a block's bias in panel order, {@code NR} floats per panel (read as a tile with row stride 0). */
    private static final ThreadLocal<float[]> BIAS = ThreadLocal.withInitial(() -> new float[NC]);

    /** The plain path's edge tile: summed from zero, then added to the bias ({@code c + tile}, the same sum either way round). */
    private static void addBias(float[] buf, int t, float[] biasTiles, int rows, int panels) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < panels * NR; j++) buf[t + r * NC + j] += biasTiles[j];
        }
    }

    /**
     * Panels {@code [q0, q1)} of q/k heads (whole heads: {@link #fits}): {@link Rope#rotate}'s vector formula on each row's
     * pairs, each angle's cos/sin loaded once for the block's heads. A row's rotated columns go into a row in L1 in their
     * natural order, then to the output as one run: stored pair by pair straight into the output rows, the epilogue took
     * 0.65–0.70 ms a product (bench-m part, one thread) against 0.23–0.25 ms for the whole {@link Rope#rotate} pass.
     */
    private static void rotate(float[] buf, Out out, Shape s, int ic, int rows, int q0, int q1) {
        if (q0 == q1) return;
        float[] qkv = out.qkv, cos = out.cos, sin = out.sin, row = ROW.get();
        int h0 = q0 / s.perHead, h1 = q1 / s.perHead, per = s.perHead, hd = s.hd, half = s.half, width = (q1 - q0) * NR;
        for (int r = 0; r < rows; r++) {
            int angle = out.positions[ic + r] * half, t = r * NC - q0 * NR;
            for (int g = 0; g < per; g++) {
                int i0 = g * L;
                FloatVector c = FloatVector.fromArray(S, cos, out.co + angle + i0), sn = FloatVector.fromArray(S, sin, out.so + angle + i0);
                for (int h = h0; h < h1; h++) {
                    int x = (h - h0) * hd + i0, b = t + (h * per + g) * NR;
                    FloatVector x0 = FloatVector.fromArray(S, buf, b), x1 = FloatVector.fromArray(S, buf, b + L);
                    x0.mul(c).sub(x1.mul(sn)).intoArray(row, x);
                    x1.mul(c).add(x0.mul(sn)).intoArray(row, x + half);
                }
            }
            System.arraycopy(row, 0, qkv, out.qOff + (ic + r) * s.n + h0 * hd, width);
        }
    }

    /** Per thread: one row's rotated columns of a block in their natural order, stored to the output as one run. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[NC]);

    /** Panels {@code [q0, q1)} of v heads ({@code qs} the block's first panel): stored as they are. */
    private static void copy(float[] buf, Out out, Shape s, int ic, int rows, int qs, int q0, int q1) {
        if (q0 == q1) return;
        int width = (q1 - q0) * NR;
        for (int r = 0; r < rows; r++)
            System.arraycopy(buf, r * NC + (q0 - qs) * NR, out.qkv, out.qOff + (ic + r) * s.n + q0 * NR, width);
    }

    /** Packs panels {@code [q0, q1)} over the whole depth ({@code kcp} steps, the last a zero step for an odd depth). */
    private static void packWeight(float[] bp, float[] w, int wOff, Shape s, int kcp, int q0, int q1) {
        for (int q = q0; q < q1; q++) {
            int base = (q - q0) * kcp * NR, first = wOff + s.column(q) * s.K, second = first + s.second(q) * s.K;
            if (L == 16 && Gemm.TRANSPOSE) SwiGluGemm.packPanel16(bp, base, w, first, second, s.K);
            else SwiGluGemm.packPanelScalar(bp, base, w, first, second, s.K, L);
            Gemm.zeroSteps(bp, base + s.K * NR, (kcp - s.K) * NR);
        }
    }

    private static void packBias(float[] tiles, float[] bias, int bOff, Shape s, int q0, int q1) {
        for (int q = q0; q < q1; q++) {
            int j = bOff + s.column(q), t = (q - q0) * NR;
            System.arraycopy(bias, j, tiles, t, L);
            System.arraycopy(bias, j + s.second(q), tiles, t + L, L);
        }
    }
}
