package org.grpo4j.backend.cpu;

/**
 * Products with a frozen {@link CpuPackedTensor} weight. The weight is never widened whole: each thread widens
 * one tile of at most {@value #TILE_ROWS} × {@value #TILE_DEPTH} values into its own buffer (L2-sized, like the
 * fp32 GEMM's packed panels) and hands the tile to {@link Gemm} on strided views. Widening costs one pass over
 * the tile per product, against {@code 2·M} flops per weight for the product, so for training-sized {@code M}
 * the packed product runs at the fp32 GEMM's speed while reading 2–8× fewer weight bytes.
 *
 * <p>Few-row products (decode) stream the weight row by row instead: widen one row into L1, then a dot product
 * with every input row, so the bytes read from memory are the packed bytes.
 */
final class PackedGemm {
    static final int TILE_ROWS = 256, TILE_DEPTH = 512;
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
        int tiles = (N + TILE_ROWS - 1) / TILE_ROWS;
        Parallel.forRange(tiles, (from, to) -> {
            float[] tile = TILE.get();
            for (int t = from; t < to; t++) {
                int n0 = t * TILE_ROWS, nb = Math.min(TILE_ROWS, N - n0);
                for (int k0 = 0; k0 < K; k0 += TILE_DEPTH) {
                    int kb = Math.min(TILE_DEPTH, K - k0);
                    for (int r = 0; r < nb; r++) w.widenRow(n0 + r, k0, kb, tile, r * kb);
                    boolean first = k0 == 0;
                    Gemm.matmulNT(out, outOff + n0, N, a, aOff + k0, K, tile, 0, kb, first ? bias : null, biasOff + n0,
                            M, nb, kb, accumulate || !first);
                }
            }
        });
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

    /** {@code dIn[M,K] (+)= dOut[M,N] · W[N,K]}, W packed: threads own column blocks of dIn. */
    static void matmulNN(float[] dIn, int dInOff, float[] dOut, int dOutOff, CpuPackedTensor w, int M, int N, int K, boolean accumulate) {
        checkShape(w, N, K);
        if (M == 0 || K == 0) return;
        // at least two column blocks per thread when K allows (K = d is a single 512-wide block otherwise: one thread)
        int depth = Math.max(64, Math.min(TILE_DEPTH, (K + 2 * Parallel.threads() - 1) / (2 * Parallel.threads()) + 63 & ~63));
        int blocks = (K + depth - 1) / depth;
        Parallel.forRange(blocks, (from, to) -> {
            float[] tile = TILE.get();
            for (int b = from; b < to; b++) {
                int k0 = b * depth, kb = Math.min(depth, K - k0);
                if (N == 0 && !accumulate) for (int m = 0; m < M; m++) java.util.Arrays.fill(dIn, dInOff + m * K + k0, dInOff + m * K + k0 + kb, 0f);
                for (int n0 = 0; n0 < N; n0 += TILE_ROWS) {
                    int nb = Math.min(TILE_ROWS, N - n0);
                    for (int r = 0; r < nb; r++) w.widenRow(n0 + r, k0, kb, tile, r * kb);
                    Gemm.matmulNN(dIn, dInOff + k0, K, dOut, dOutOff + n0, N, tile, 0, kb, M, nb, kb, accumulate || n0 > 0);
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
