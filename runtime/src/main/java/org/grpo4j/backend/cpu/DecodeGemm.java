package org.grpo4j.backend.cpu;

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
    /** Depth steps per partial sum: the rows-as-lanes kernel's blocks, hence the same rounding. */
    static final int DEPTH_BLOCK = Gemm.RowsOfL.DEPTH_BLOCK;
    private static final ThreadLocal<float[]> OT = ThreadLocal.withInitial(() -> new float[ROWS * TILE]);

    private DecodeGemm() {
    }

    /** Floats of the copy of an {@code N × K} weight. */
    static long layoutFloats(int N, int K) {
        return (long) (N + TILE - 1) / TILE * TILE * K;
    }

    /** Fewest rows {@link #matmulNT} takes below the rows-as-lanes shapes ({@code -Dgrpo4j.decode.copyMinRows}): one register block, half of it or more in use: at 4 to 8 rows 1.3–2.4× the plain product at bench-s shapes, one thread. */
    static final int MIN_ROWS = Integer.getInteger("grpo4j.decode.copyMinRows", ROWS / 2);

    /**
     * Whether {@link #matmulNT} takes {@code M} rows of an {@code N × K} weight: where today's decode runs rows as lanes,
     * and the {@value #ROWS} rows or fewer of one register block (a decode lane's share of a step's rows).
     */
    static boolean takes(int M, int N, int K) {
        return N >= 8 && (M >= MIN_ROWS && M <= ROWS || Gemm.rowsAsLanes(M, K) || PREFILL && M > ROWS);
    }

    /**
     * Whether a prefill's many rows ({@code -Dgrpo4j.decode.copyPrefill}, default on) read the copy too: its tiles are
     * already transposed, where the packed product packs the weight again at every call (at bench-s's depth of 128 the
     * packing is about a third of the product).
     */
    static final boolean PREFILL = !"false".equals(System.getProperty("grpo4j.decode.copyPrefill"));

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
     * stored): per depth block sixteen partial sums, added into sixteen running totals; all 32 in registers, where C2
     * spills the few the loop needs room for (still 1.1–1.6× the rows-as-lanes kernel at bench-s and bench-m shapes,
     * one thread; the totals kept in {@code ot} instead, a load and store per block, ran 0.6–0.7×).
     */
    private static void block(float[] ot, float[] a, int aOff, int lda, int r0, int M, float[] wt, int wo, int K) {
        int a0 = row(aOff, lda, r0, M), a1 = row(aOff, lda, r0 + 1, M), a2 = row(aOff, lda, r0 + 2, M), a3 = row(aOff, lda, r0 + 3, M);
        int a4 = row(aOff, lda, r0 + 4, M), a5 = row(aOff, lda, r0 + 5, M), a6 = row(aOff, lda, r0 + 6, M), a7 = row(aOff, lda, r0 + 7, M);
        FloatVector z = FloatVector.zero(S), c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
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
            c00 = c00.add(p00); c01 = c01.add(p01); c10 = c10.add(p10); c11 = c11.add(p11);
            c20 = c20.add(p20); c21 = c21.add(p21); c30 = c30.add(p30); c31 = c31.add(p31);
            c40 = c40.add(p40); c41 = c41.add(p41); c50 = c50.add(p50); c51 = c51.add(p51);
            c60 = c60.add(p60); c61 = c61.add(p61); c70 = c70.add(p70); c71 = c71.add(p71);
        }
        c00.intoArray(ot, 0); c01.intoArray(ot, L); c10.intoArray(ot, TILE); c11.intoArray(ot, TILE + L);
        c20.intoArray(ot, 2 * TILE); c21.intoArray(ot, 2 * TILE + L); c30.intoArray(ot, 3 * TILE); c31.intoArray(ot, 3 * TILE + L);
        c40.intoArray(ot, 4 * TILE); c41.intoArray(ot, 4 * TILE + L); c50.intoArray(ot, 5 * TILE); c51.intoArray(ot, 5 * TILE + L);
        c60.intoArray(ot, 6 * TILE); c61.intoArray(ot, 6 * TILE + L); c70.intoArray(ot, 7 * TILE); c71.intoArray(ot, 7 * TILE + L);
    }

    private static int row(int aOff, int lda, int r, int M) {
        return aOff + Math.min(r, M - 1) * lda;
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
