package org.grpo4j.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with a frozen {@link CpuPackedTensor} weight. The weight is never widened whole: each thread widens
 * one tile of at most {@value #TILE_ROWS} × {@value #TILE_DEPTH} values into its own buffer (L2-sized, like the
 * fp32 GEMM's packed panels) and hands the tile to {@link Gemm}'s blocked kernel on strided views. Widening costs
 * one pass over the tile per product, against {@code 2·M} flops per weight for the product, so for training-sized
 * {@code M} the packed product runs at the fp32 GEMM's speed while reading 2–8× fewer weight bytes.
 *
 * <p>Threads claim tiles from a counter, a few per thread (as {@link Gemm} claims slabs): a static split of the
 * 4–5 tiles of a {@code d}-wide projection left one core idle for a third of the product, and a core shared with
 * another process delays only the tiles it has not claimed yet. Tiles go straight to the blocked kernel, never to
 * {@link Gemm}'s few-row path: for the 64-row chunks of the output head that path re-reads the input once per four
 * weight rows and runs at a third of the kernel's speed.
 *
 * <p>Few-row products (decode) stream the weight row by row instead: widen one row into L1, then a dot product
 * with every input row, so the bytes read from memory are the packed bytes.
 */
final class PackedGemm {
    static final int TILE_ROWS = 256, TILE_DEPTH = 512;
    /** Tiles (column blocks) per thread a product is cut into when its size allows. */
    private static final int TILES_PER_THREAD = 3;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[TILE_ROWS * TILE_DEPTH]);

    private PackedGemm() {}

    /** {@code out[M,N] (+)= a[M,K] · W[N,K]ᵀ (+ bias)}, W packed. */
    static void matmulNT(float[] out, int outOff, float[] a, int aOff, CpuPackedTensor w, float[] bias, int biasOff,
                         int M, int N, int K, boolean accumulate) {
        checkShape(w, N, K);
        if (M == 0 || N == 0) return;
        if (M <= Gemm.L / 2) {
            streamRows(out, outOff, a, aOff, w, bias, biasOff, M, N, K, accumulate);
            return;
        }
        if (M <= 2 * Gemm.L) {
            widenedBlocks(out, outOff, a, aOff, w, bias, biasOff, M, N, K, accumulate);
            return;
        }
        int rows = split(N, TILE_ROWS), tiles = (N + rows - 1) / rows;
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(tiles, Parallel.threads()), 1, (from, to) -> {
            float[] tile = TILE.get();
            for (int t = next.getAndIncrement(); t < tiles; t = next.getAndIncrement()) {
                int n0 = t * rows, nb = Math.min(rows, N - n0);
                boolean acc = accumulate;
                if (bias != null) {
                    addBias(out, outOff + n0, N, bias, biasOff + n0, M, nb, accumulate);
                    acc = true;
                }
                for (int k0 = 0; k0 < K; k0 += TILE_DEPTH) {
                    int kb = Math.min(TILE_DEPTH, K - k0);
                    for (int r = 0; r < nb; r++) w.widenRow(n0 + r, k0, kb, tile, r * kb);
                    // B(p, j) = tile[j·kb + p]: the widened rows are the transposed right operand
                    Gemm.gemm(out, outOff + n0, N, a, aOff + k0, K, 1, tile, 0, 1, kb, null, M, nb, kb, acc || k0 > 0);
                }
            }
        });
    }

    /**
     * Rows (columns) per tile for an output dimension of {@code n}: {@value #TILES_PER_THREAD} tiles per thread where
     * that leaves them at least 32 wide (the kernel's panel width), at most {@code max}.
     */
    private static int split(int n, int max) {
        int per = (n + TILES_PER_THREAD * Parallel.threads() - 1) / (TILES_PER_THREAD * Parallel.threads());
        return Math.min(max, Math.max(32, (per + 31) & ~31));
    }

    private static void addBias(float[] out, int outOff, int ldOut, float[] bias, int biasOff, int M, int nb, boolean accumulate) {
        for (int m = 0; m < M; m++) {
            int o = outOff + m * ldOut;
            if (accumulate) VectorMath.axpy(out, o, 1f, bias, biasOff, nb);
            else System.arraycopy(bias, biasOff, out, o, nb);
        }
    }

    private static void streamRows(float[] out, int outOff, float[] a, int aOff, CpuPackedTensor w, float[] bias, int biasOff,
                                   int M, int N, int K, boolean accumulate) {
        // four weight rows at a time: four independent FMA chains per input row (one chain is latency-bound)
        int blocks = (N + 3) / 4;
        Parallel.forRange(blocks, Math.max(1, (1 << 13) / K), (from, to) -> {
            float[] rows = TILE.get();
            for (int blk = from; blk < to; blk++) {
                int n0 = blk * 4, nb = Math.min(4, N - n0);
                for (int r = 0; r < nb; r++) w.widenRow(n0 + r, 0, K, rows, r * K);
                for (int m = 0; m < M; m++) {
                    int x = aOff + m * K, o = outOff + m * N + n0;
                    if (nb == 4) dot4(a, x, rows, K, out, o, bias, biasOff + n0, accumulate);
                    else for (int r = 0; r < nb; r++) {
                        float s = VectorMath.dot(a, x, rows, r * K, K) + (bias == null ? 0f : bias[biasOff + n0 + r]);
                        out[o + r] = accumulate ? out[o + r] + s : s;
                    }
                }
            }
        });
    }

    /**
     * A batched decode step (one or two vectors' worth of rows): blocks of up to 128 weight rows are widened whole and
     * handed to the fp32 product, which runs these row counts with the rows as vector lanes (no horizontal sums; the
     * four-row dot products of {@link #streamRows} spent ~30% more CPU time on 16 rows). Each output is the sum the fp32
     * product computes over the widened weights: the kernel's result for a weight row does not depend on its block.
     */
    private static void widenedBlocks(float[] out, int outOff, float[] a, int aOff, CpuPackedTensor w, float[] bias, int biasOff,
                                      int M, int N, int K, boolean accumulate) {
        int rows = Math.max(8, Math.min(128, TILE_ROWS * TILE_DEPTH / K) & ~7), blocks = (N + rows - 1) / rows;
        Parallel.forRange(blocks, Math.max(1, (1 << 16) / (rows * K)), (from, to) -> {
            float[] tile = TILE.get();
            if (tile.length < rows * K) TILE.set(tile = new float[rows * K]);
            for (int blk = from; blk < to; blk++) {
                int n0 = blk * rows, nb = Math.min(rows, N - n0);
                for (int r = 0; r < nb; r++) w.widenRow(n0 + r, 0, K, tile, r * K);
                Gemm.matmulNT(out, outOff + n0, N, a, aOff, K, tile, 0, K, bias, biasOff + n0, M, nb, K, accumulate);
            }
        });
    }

    /** {@code out[o + r] (+)= a[x..x+K) · rows[r·K..(r+1)·K) (+ bias)} for the four widened rows r. */
    private static void dot4(float[] a, int x, float[] rows, int K, float[] out, int o, float[] bias, int biasOff, boolean accumulate) {
        VectorSpecies<Float> F = VectorMath.F;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int k = 0;
        for (int bound = F.loopBound(K); k < bound; k += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, a, x + k);
            s0 = FloatVector.fromArray(F, rows, k).fma(xv, s0);
            s1 = FloatVector.fromArray(F, rows, K + k).fma(xv, s1);
            s2 = FloatVector.fromArray(F, rows, 2 * K + k).fma(xv, s2);
            s3 = FloatVector.fromArray(F, rows, 3 * K + k).fma(xv, s3);
        }
        float d0 = VectorMath.sum(s0), d1 = VectorMath.sum(s1);
        float d2 = VectorMath.sum(s2), d3 = VectorMath.sum(s3);
        for (; k < K; k++) {
            float xs = a[x + k];
            d0 += xs * rows[k];
            d1 += xs * rows[K + k];
            d2 += xs * rows[2 * K + k];
            d3 += xs * rows[3 * K + k];
        }
        if (bias != null) {
            d0 += bias[biasOff];
            d1 += bias[biasOff + 1];
            d2 += bias[biasOff + 2];
            d3 += bias[biasOff + 3];
        }
        if (accumulate) {
            d0 += out[o];
            d1 += out[o + 1];
            d2 += out[o + 2];
            d3 += out[o + 3];
        }
        out[o] = d0;
        out[o + 1] = d1;
        out[o + 2] = d2;
        out[o + 3] = d3;
    }

    /**
     * {@code dIn[M,K] (+)= dOut[M,N] · W[N,K]}, W packed: threads claim column blocks of dIn and run down W in tiles
     * of rows, each tile the right operand of the blocked kernel as it is (no transpose).
     */
    static void matmulNN(float[] dIn, int dInOff, float[] dOut, int dOutOff, CpuPackedTensor w, int M, int N, int K, boolean accumulate) {
        checkShape(w, N, K);
        if (M == 0 || K == 0) return;
        int width = split(K, TILE_DEPTH), blocks = (K + width - 1) / width;
        int depth = Math.min(2 * TILE_ROWS, TILE_ROWS * TILE_DEPTH / width & ~7);
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(blocks, Parallel.threads()), 1, (from, to) -> {
            float[] tile = TILE.get();
            for (int b = next.getAndIncrement(); b < blocks; b = next.getAndIncrement()) {
                int k0 = b * width, kb = Math.min(width, K - k0);
                if (N == 0 && !accumulate) for (int m = 0; m < M; m++) java.util.Arrays.fill(dIn, dInOff + m * K + k0, dInOff + m * K + k0 + kb, 0f);
                for (int n0 = 0; n0 < N; n0 += depth) {
                    int nb = Math.min(depth, N - n0);
                    for (int r = 0; r < nb; r++) w.widenRow(n0 + r, k0, kb, tile, r * kb);
                    Gemm.gemm(dIn, dInOff + k0, K, dOut, dOutOff + n0, N, 1, tile, 0, kb, 1, null, M, kb, nb, accumulate || n0 > 0);
                }
            }
        });
    }

    /** {@code out[r,:] = W[tokens[r],:]}: an embedding lookup in a packed table. */
    static void gather(float[] out, int outOff, int[] tokens, CpuPackedTensor w, int rows, int dim) {
        checkShape(w, w.rows(), dim);
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = tokens[r];
                if (t < 0 || t >= w.rows()) throw new IndexOutOfBoundsException("token id " + t + " outside the vocabulary of " + w.rows());
                w.widenRow(t, 0, dim, out, outOff + r * dim);
            }
        });
    }

    private static void checkShape(CpuPackedTensor w, int N, int K) {
        if (w.rows() != N || w.cols() != K)
            throw new IllegalArgumentException("packed weight is " + w.rows() + "×" + w.cols() + ", the product needs " + N + "×" + K);
    }
}
