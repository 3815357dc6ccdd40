package org.grpo4j.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The few-row products of batched decode over a copy of the weight laid out for them: {@code w[N,K]} held as tiles of
 * {@value #VECTORS} vectors of columns, {@code [N/TILE][K][TILE]} (zero columns past N). A register block is 8 input
 * rows × the tile's two column vectors, so each input element is broadcast once for two FMAs, where the kernel over the
 * weight as it is ({@link Gemm}'s rows-as-lanes) broadcasts one weight element per FMA, its bound at decode shapes.
 *
 * <p>The copy costs a transposition of every weight, so it is built once per generate call (the weights only change
 * between optimizer steps) and read only inside decode. The depth is summed exactly as the rows-as-lanes kernel
 * sums it, blocks of {@value #DEPTH_BLOCK} steps added into running totals, and bias and old value are added in the
 * same order: the outputs are bit-identical to {@link Gemm#matmulNT} for the rows it sends through that kernel.
 */
final class DecodeGemm {
    private static final VectorSpecies<Float> S = Gemm.S;
    private static final int L = Gemm.L;
    static final int VECTORS = 2;
    /** Columns per tile. */
    static final int TILE = VECTORS * L;
    /** Input rows per register block. */
    static final int ROWS = 8;
    /** Depth steps per partial sum: the same blocks as the rows-as-lanes kernel's, hence the same rounding. */
    static final int DEPTH_BLOCK = 16;
    private static final ThreadLocal<float[]> OT = ThreadLocal.withInitial(() -> new float[ROWS * TILE]);

    private DecodeGemm() {
    }

    /** Floats of the copy of an {@code N × K} weight. */
    static long layoutFloats(int N, int K) {
        return (long) (N + TILE - 1) / TILE * TILE * K;
    }

    /** Whether {@link #matmulNT} takes {@code M} rows of an {@code N × K} weight, i.e. where today's decode runs rows as lanes. */
    static boolean takes(int M, int N, int K) {
        return N >= ROWS && Gemm.rowsAsLanes(M, K);
    }

    /** {@code wt[t·TILE·K + k·TILE + j] = w[(t·TILE + j)·K + k]}, zeros past column N: 16 × 16 register transposes where whole. */
    static void build(float[] wt, int wtOff, float[] w, int wOff, int N, int K) {
        int tiles = (N + TILE - 1) / TILE;
        Parallel.forRange(tiles, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int base = wtOff + t * TILE * K, n0 = t * TILE;
                for (int h = 0; h < TILE; h += 16) {
                    int n = n0 + h, kt = L == 16 && n + 16 <= N ? K - K % 16 : 0;
                    for (int k0 = 0; k0 < kt; k0 += 16) Gemm.transpose16(w, wOff + n * K + k0, K, wt, base + k0 * TILE + h, TILE);
                    for (int j = h, end = Math.min(h + 16, TILE); j < end; j++) {
                        int src = wOff + (n0 + j) * K;
                        if (n0 + j >= N) for (int k = 0; k < K; k++) wt[base + k * TILE + j] = 0f;
                        else for (int k = kt; k < K; k++) wt[base + k * TILE + j] = w[src + k];
                    }
                }
            }
        });
    }

    /** {@code out[M,N] (+)= a[M,K] · w[N,K]ᵀ (+ bias)} with the weight read from its copy {@code wt} ({@link #build}). */
    static void matmulNT(float[] out, int outOff, int ldo, float[] a, int aOff, int lda, float[] wt, int wtOff,
                         float[] bias, int biasOff, int M, int N, int K, boolean acc) {
        int tiles = (N + TILE - 1) / TILE, rows = (M + ROWS - 1) / ROWS * ROWS;
        int grain = (int) Math.max(1, (1L << 18) / ((long) TILE * rows * K));
        Parallel.forRange(tiles, grain, (from, to) -> {
            float[] ot = OT.get();
            for (int t = from; t < to; t++) {
                int n0 = t * TILE, cols = Math.min(TILE, N - n0);
                for (int r0 = 0; r0 < M; r0 += ROWS) {
                    block(ot, a, aOff, lda, r0, M, wt, wtOff + t * TILE * K, K);
                    store(ot, out, outOff + r0 * ldo + n0, ldo, bias, biasOff + n0, Math.min(ROWS, M - r0), cols, acc);
                }
            }
        });
    }

    /**
     * {@code ot[i·TILE + j] = Σ_k a[r0 + i, k] · wt[k·TILE + j]} for eight rows (rows past M repeat row M−1 and are not
     * stored): per depth block, sixteen partial sums in registers, then added into the running totals in {@code ot}.
     */
    private static void block(float[] ot, float[] a, int aOff, int lda, int r0, int M, float[] wt, int wo, int K) {
        int a0 = row(aOff, lda, r0, M), a1 = row(aOff, lda, r0 + 1, M), a2 = row(aOff, lda, r0 + 2, M), a3 = row(aOff, lda, r0 + 3, M);
        int a4 = row(aOff, lda, r0 + 4, M), a5 = row(aOff, lda, r0 + 5, M), a6 = row(aOff, lda, r0 + 6, M), a7 = row(aOff, lda, r0 + 7, M);
        Arrays.fill(ot, 0f);
        FloatVector z = FloatVector.zero(S);
        for (int k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
            FloatVector p00 = z, p01 = z, p10 = z, p11 = z, p20 = z, p21 = z, p30 = z, p31 = z;
            FloatVector p40 = z, p41 = z, p50 = z, p51 = z, p60 = z, p61 = z, p70 = z, p71 = z;
            for (int k = k0, end = Math.min(K, k0 + DEPTH_BLOCK); k < end; k++) {
                int o = wo + k * TILE;
                FloatVector x = FloatVector.fromArray(S, wt, o), y = FloatVector.fromArray(S, wt, o + L);
                FloatVector b = FloatVector.broadcast(S, a[a0 + k]);
                p00 = x.fma(b, p00); p01 = y.fma(b, p01);
                b = FloatVector.broadcast(S, a[a1 + k]); p10 = x.fma(b, p10); p11 = y.fma(b, p11);
                b = FloatVector.broadcast(S, a[a2 + k]); p20 = x.fma(b, p20); p21 = y.fma(b, p21);
                b = FloatVector.broadcast(S, a[a3 + k]); p30 = x.fma(b, p30); p31 = y.fma(b, p31);
                b = FloatVector.broadcast(S, a[a4 + k]); p40 = x.fma(b, p40); p41 = y.fma(b, p41);
                b = FloatVector.broadcast(S, a[a5 + k]); p50 = x.fma(b, p50); p51 = y.fma(b, p51);
                b = FloatVector.broadcast(S, a[a6 + k]); p60 = x.fma(b, p60); p61 = y.fma(b, p61);
                b = FloatVector.broadcast(S, a[a7 + k]); p70 = x.fma(b, p70); p71 = y.fma(b, p71);
            }
            add(ot, 0, p00); add(ot, L, p01); add(ot, TILE, p10); add(ot, TILE + L, p11);
            add(ot, 2 * TILE, p20); add(ot, 2 * TILE + L, p21); add(ot, 3 * TILE, p30); add(ot, 3 * TILE + L, p31);
            add(ot, 4 * TILE, p40); add(ot, 4 * TILE + L, p41); add(ot, 5 * TILE, p50); add(ot, 5 * TILE + L, p51);
            add(ot, 6 * TILE, p60); add(ot, 6 * TILE + L, p61); add(ot, 7 * TILE, p70); add(ot, 7 * TILE + L, p71);
        }
    }

    private static int row(int aOff, int lda, int r, int M) {
        return aOff + Math.min(r, M - 1) * lda;
    }

    private static void add(float[] ot, int o, FloatVector p) {
        FloatVector.fromArray(S, ot, o).add(p).intoArray(ot, o);
    }

    /** {@code out (+)= ot + bias} for {@code rows × cols}: the value plus bias first, then the old value, as {@link Gemm} does. */
    private static void store(float[] ot, float[] out, int o, int ldo, float[] bias, int bI, int rows, int cols, boolean acc) {
        for (int i = 0; i < rows; i++, o += ldo) {
            int j = 0;
            if (cols == TILE) {
                for (; j < TILE; j += L) {
                    FloatVector v = FloatVector.fromArray(S, ot, i * TILE + j);
                    if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bI + j));
                    if (acc) v = FloatVector.fromArray(S, out, o + j).add(v);
                    v.intoArray(out, o + j);
                }
            }
            for (; j < cols; j++) {
                float v = ot[i * TILE + j];
                if (bias != null) v += bias[bI + j];
                out[o + j] = acc ? out[o + j] + v : v;
            }
        }
    }
}
