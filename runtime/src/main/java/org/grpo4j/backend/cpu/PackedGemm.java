package org.grpo4j.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;

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
        if (M <= 16) {
            streamRows(out, outOff, a, aOff, w, bias, biasOff, M, N, K, accumulate);
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
                    Gemm.gemm(out, outOff + n0, N, a, aOff + k0, K, 1, tile, 0, 1, kb, M, nb, kb, acc || k0 > 0);
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
        Parallel.forRange(N, Math.max(1, (1 << 15) / K), (from, to) -> {
            float[] row = TILE.get();
            for (int n = from; n < to; n++) {
                w.widenRow(n, 0, K, row, 0);
                float b = bias == null ? 0f : bias[biasOff + n];
                for (int m = 0; m < M; m++) {
                    float s = VectorMath.dot(a, aOff + m * K, row, 0, K) + b;
                    int o = outOff + m * N + n;
                    out[o] = accumulate ? out[o] + s : s;
                }
            }
        });
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
                    Gemm.gemm(dIn, dInOff + k0, K, dOut, dOutOff + n0, N, 1, tile, 0, kb, 1, M, kb, nb, accumulate || n0 > 0);
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
