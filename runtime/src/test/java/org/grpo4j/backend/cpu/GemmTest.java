package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Checks every {@link Gemm} product against {@link GemmReference} (double precision) on random inputs: odd
 * sizes, tails in every dimension, block boundaries, views at non-zero offsets, overwrite and accumulate, with
 * and without bias, the few-row path and the blocked path, on 1 and 2 threads.
 */
class GemmTest {
    /** Relative to the sum of absolute terms of each element: fp32 accumulation stays well inside this. */
    private static final double TOL = 1e-5;
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    private static final int[] SMALL = {1, 2, 3, 5, 8, 15, 16, 17, 31, 33};

    /** Shapes that cross the tile, panel and block edges of both paths. */
    private static List<int[]> shapes() {
        List<int[]> s = new ArrayList<>();
        for (int m : SMALL) for (int n : SMALL) for (int k : new int[] {1, 7, 16, 33}) s.add(new int[] {m, n, k});
        int kc = Gemm.KC, nc = Gemm.NC, nr = Gemm.NR, mr = Gemm.MR;
        s.add(new int[] {mr * 3 + 1, nr * 2 + 3, kc + 1});
        s.add(new int[] {mr * 2, nr * 3, 2 * kc + 5});
        s.add(new int[] {Gemm.SMALL_M, 2 * nr + 1, kc + 17});
        s.add(new int[] {Gemm.SMALL_M + 1, 2 * nr + 1, kc - 1});
        // few rows but a long input: the blocked path, not the streaming one
        s.add(new int[] {20, 37, Gemm.SMALL_M_INPUT_FLOATS / 20 + 3});
        s.add(new int[] {19, nc + nr + 5, 9});
        s.add(new int[] {70, 130, 300});
        // batched decode (rows as vector lanes): one and two vectors of rows, depth past a block of 16, a weight-row tail
        s.add(new int[] {12, 43, 530});
        s.add(new int[] {32, 75, 150});
        s.add(new int[] {24, 9, 40});
        s.add(new int[] {4, 1100, 70});
        s.add(new int[] {100, 64, 64});
        // whole 16-row vectors (the input and the output transposed in registers), whole and partial column tiles
        s.add(new int[] {16, 48, 160});
        s.add(new int[] {16, 37, 133});
        s.add(new int[] {32, 64, 48});
        // big enough to run in parallel: row slabs (few panels) and column slabs, with edge tiles
        s.add(new int[] {203, 75, 150});
        s.add(new int[] {300, 40, 300});
        s.add(new int[] {45, 1100, 60});
        // several column blocks per slab: the slab's rows packed once per depth block, edges in rows and depth
        s.add(new int[] {mr * 3 + 5, 2 * nc + nr + 3, kc + 9});
        s.add(new int[] {260, 4 * nc + 7, 40});
        return s;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static void assertClose(String what, GemmReference.Result ref, float[] out, int outOff, float[] before) {
        double[] v = ref.value(), s = ref.scale();
        for (int i = 0; i < v.length; i++) {
            double err = Math.abs(out[outOff + i] - v[i]);
            if (err > TOL * s[i] + 1e-30)
                fail(what + ": element " + i + " is " + out[outOff + i] + ", expected " + v[i]
                        + " (error " + err + " > " + TOL + " × " + s[i] + ")");
        }
        // the views must not write outside their range
        for (int i = 0; i < outOff; i++) assertEquals(before[i], out[i], what + ": wrote before the view at " + i);
        for (int i = outOff + v.length; i < out.length; i++) assertEquals(before[i], out[i], what + ": wrote after the view at " + i);
    }

    private void checkAll(int threads) {
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(42 + threads);
        for (int[] sh : shapes()) {
            int M = sh[0], N = sh[1], K = sh[2];
            for (int variant = 0; variant < 4; variant++) {
                boolean acc = (variant & 1) != 0, withBias = (variant & 2) != 0;
                int off = variant * 3;
                String tag = "M=" + M + " N=" + N + " K=" + K + " acc=" + acc + " t=" + threads;

                float[] a = random(rnd, off + M * K + 2), w = random(rnd, off + N * K + 1);
                float[] bias = withBias ? random(rnd, off + N) : null;
                float[] out = random(rnd, off + M * N + 3), before = out.clone();
                GemmReference.Result ref = GemmReference.matmulNT(out, off, a, off, w, off, bias, off, M, N, K, acc);
                Gemm.matmulNT(out, off, a, off, w, off, bias, off, M, N, K, acc);
                assertClose("NT " + tag + " bias=" + withBias, ref, out, off, before);

                float[] g = random(rnd, off + M * N + 1);
                float[] dIn = random(rnd, off + M * K + 5);
                before = dIn.clone();
                ref = GemmReference.matmulNN(dIn, off, g, off, w, off, M, N, K, acc);
                Gemm.matmulNN(dIn, off, g, off, w, off, M, N, K, acc);
                assertClose("NN " + tag, ref, dIn, off, before);

                float[] dW = random(rnd, off + N * K + 4);
                before = dW.clone();
                ref = GemmReference.matmulTN(dW, off, g, off, a, off, M, N, K, acc);
                Gemm.matmulTN(dW, off, g, off, a, off, M, N, K, acc);
                assertClose("TN " + tag, ref, dW, off, before);
            }
        }
    }

    @Test
    void allProductsMatchTheReferenceOnOneThread() {
        checkAll(1);
    }

    @Test
    void allProductsMatchTheReferenceOnTwoThreads() {
        checkAll(2);
    }

    @Test
    void trainingShapesMatchTheReference() {
        // a bench-m like layer at reduced row count: enough tiles to split across threads, K over one block
        SplittableRandom rnd = new SplittableRandom(7);
        int M = 96, N = 1376 / 4, K = 512;
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            float[] a = random(rnd, M * K), w = random(rnd, N * K), bias = random(rnd, N), out = new float[M * N];
            GemmReference.Result ref = GemmReference.matmulNT(out, 0, a, 0, w, 0, bias, 0, M, N, K, false);
            Gemm.matmulNT(out, 0, a, 0, w, 0, bias, 0, M, N, K, false);
            assertClose("NT training shape t=" + threads, ref, out, 0, out.clone());
            float[] dW = new float[N * K], g = random(rnd, M * N);
            ref = GemmReference.matmulTN(dW, 0, g, 0, a, 0, M, N, K, false);
            Gemm.matmulTN(dW, 0, g, 0, a, 0, M, N, K, false);
            assertClose("TN training shape t=" + threads, ref, dW, 0, dW.clone());
        }
    }

    /** Copies a compact {@code rows × cols} matrix into a buffer of row stride {@code ld} at {@code off}, padding with noise. */
    private static float[] strided(SplittableRandom rnd, float[] compact, int rows, int cols, int off, int ld) {
        float[] x = random(rnd, off + rows * ld + 7);
        for (int i = 0; i < rows; i++) System.arraycopy(compact, i * cols, x, off + i * ld, cols);
        return x;
    }

    /** Checks the view's rows against the reference and that the padding between rows is untouched. */
    private static void assertStridedClose(String what, GemmReference.Result ref, float[] out, float[] before,
                                           int off, int rows, int cols, int ld) {
        double[] v = ref.value(), sc = ref.scale();
        boolean[] inView = new boolean[out.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                int idx = off + i * ld + j;
                inView[idx] = true;
                double err = Math.abs(out[idx] - v[i * cols + j]);
                if (err > TOL * sc[i * cols + j] + 1e-30)
                    fail(what + ": (" + i + "," + j + ") is " + out[idx] + ", expected " + v[i * cols + j]);
            }
        for (int i = 0; i < out.length; i++)
            if (!inView[i]) assertEquals(before[i], out[i], what + ": wrote outside the view at " + i);
    }

    private static float[] compact(float[] x, int off, int rows, int cols, int ld) {
        float[] c = new float[rows * cols];
        for (int i = 0; i < rows; i++) System.arraycopy(x, off + i * ld, c, i * cols, cols);
        return c;
    }

    /**
     * A row of a few-row product gets the same bits whichever block of rows it falls in (a block of four rows sums
     * its accumulators through a transpose, a lone row through {@link VectorMath#sum}): batch invariance of decode.
     */
    @Test
    void fewRowProductsGiveEachRowTheBitsOfItsOwnProduct() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int[] sh : new int[][] {{5, 37, 133}, {8, 64, 512}, {7, 20, 16}}) {
            int M = sh[0], N = sh[1], K = sh[2];
            float[] a = random(rnd, M * K), w = random(rnd, N * K), bias = random(rnd, N), out = new float[M * N], row = new float[N];
            Gemm.matmulNT(out, 0, a, 0, w, 0, bias, 0, M, N, K, false);
            for (int i = 0; i < M; i++) {
                Gemm.matmulNT(row, 0, a, i * K, w, 0, bias, 0, 1, N, K, false);
                for (int j = 0; j < N; j++)
                    assertEquals(Float.floatToIntBits(row[j]), Float.floatToIntBits(out[i * N + j]), "M=" + M + " row " + i + " column " + j);
            }
        }
    }

    @Test
    void stridedViewsMatchTheReference() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[][] shapes = {{5, 7, 9}, {16, 40, 64}, {32, 48, 35}, {64, 33, 64}, {120, 70, 50}, {200, 64, 64}, {33, 100, 300}, {260, 96, 100}};
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] sh : shapes) {
                int M = sh[0], N = sh[1], K = sh[2];
                for (boolean acc : new boolean[] {false, true}) {
                    String tag = "strided M=" + M + " N=" + N + " K=" + K + " acc=" + acc + " t=" + threads;
                    float[] ac = random(rnd, M * K), wc = random(rnd, N * K), gc = random(rnd, M * N), bias = random(rnd, N);
                    int lda = K + 5, ldw = K + 3, ldg = N + 17, ldo;

                    ldo = N + 9;
                    float[] a = strided(rnd, ac, M, K, 2, lda), w = strided(rnd, wc, N, K, 1, ldw);
                    float[] out = random(rnd, 4 + M * ldo + 3), before = out.clone();
                    GemmReference.Result ref = GemmReference.matmulNT(compact(out, 4, M, N, ldo), 0, ac, 0, wc, 0, bias, 0, M, N, K, acc);
                    Gemm.matmulNT(out, 4, ldo, a, 2, lda, w, 1, ldw, bias, 0, M, N, K, acc);
                    assertStridedClose("NT " + tag, ref, out, before, 4, M, N, ldo);

                    ldo = K + 6;
                    float[] g = strided(rnd, gc, M, N, 3, ldg);
                    out = random(rnd, 1 + M * ldo + 2);
                    before = out.clone();
                    ref = GemmReference.matmulNN(compact(out, 1, M, K, ldo), 0, gc, 0, wc, 0, M, N, K, acc);
                    Gemm.matmulNN(out, 1, ldo, g, 3, ldg, w, 1, ldw, M, N, K, acc);
                    assertStridedClose("NN " + tag, ref, out, before, 1, M, K, ldo);

                    ldo = K + 2;
                    out = random(rnd, 5 + N * ldo + 1);
                    before = out.clone();
                    ref = GemmReference.matmulTN(compact(out, 5, N, K, ldo), 0, gc, 0, ac, 0, M, N, K, acc);
                    Gemm.matmulTN(out, 5, ldo, g, 3, ldg, a, 2, lda, M, N, K, acc);
                    assertStridedClose("TN " + tag, ref, out, before, 5, N, K, ldo);
                }
            }
        }
    }

    @Test
    void longReductionsCutIntoDepthPartsMatchTheReference() {
        // weight gradients over many tokens into a small output: on 2 threads the depth is cut in parts (odd depth,
        // strided views, accumulate and overwrite over NaN)
        SplittableRandom rnd = new SplittableRandom(13);
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] sh : new int[][] {{1031, 40, 70}, {2048, 128, 128}, {1536, 13, 300}}) {
                int M = sh[0], N = sh[1], K = sh[2];
                for (boolean acc : new boolean[] {false, true}) {
                    String tag = "depth parts M=" + M + " N=" + N + " K=" + K + " acc=" + acc + " t=" + threads;
                    float[] ac = random(rnd, M * K), gc = random(rnd, M * N);
                    int lda = K + 5, ldg = N + 17, ldo = K + 2;
                    float[] a = strided(rnd, ac, M, K, 2, lda), g = strided(rnd, gc, M, N, 3, ldg);
                    float[] out = random(rnd, 5 + N * ldo + 1);
                    if (!acc) for (int i = 0; i < N; i++) java.util.Arrays.fill(out, 5 + i * ldo, 5 + i * ldo + K, Float.NaN);
                    float[] before = out.clone();
                    GemmReference.Result ref = GemmReference.matmulTN(acc ? compact(out, 5, N, K, ldo) : new float[N * K], 0, gc, 0, ac, 0, M, N, K, acc);
                    Gemm.matmulTN(out, 5, ldo, g, 3, ldg, a, 2, lda, M, N, K, acc);
                    assertStridedClose("TN " + tag, ref, out, before, 5, N, K, ldo);
                }
            }
        }
    }

    @Test
    void sumRowsAddsColumnSums() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] sh : new int[][] {{1, 1}, {3, 17}, {17, 3}, {64, 100}, {300, 2051}}) {
                int M = sh[0], N = sh[1];
                float[] a = random(rnd, 5 + M * N), out = random(rnd, 2 + N + 1), before = out.clone();
                GemmReference.Result ref = GemmReference.sumRows(out, 2, a, 5, M, N);
                Gemm.sumRows(out, 2, a, 5, M, N);
                assertClose("sumRows M=" + M + " N=" + N + " t=" + threads, ref, out, 2, before);
            }
        }
    }

    @Test
    void overwritingIgnoresGarbageInTheOutput() {
        // reused activation buffers may hold anything, NaN included: overwrite mode must never read them
        SplittableRandom rnd = new SplittableRandom(5);
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] sh : new int[][] {{3, 5, 7}, {40, 70, 30}, {200, 96, 130}}) {
                int M = sh[0], N = sh[1], K = sh[2];
                float[] a = random(rnd, M * K), w = random(rnd, N * K), g = random(rnd, M * N), bias = random(rnd, N);
                float[] out = new float[M * N];
                java.util.Arrays.fill(out, Float.NaN);
                GemmReference.Result ref = GemmReference.matmulNT(new float[M * N], 0, a, 0, w, 0, bias, 0, M, N, K, false);
                Gemm.matmulNT(out, 0, a, 0, w, 0, bias, 0, M, N, K, false);
                assertClose("NT over NaN M=" + M + " t=" + threads, ref, out, 0, out.clone());
                float[] dIn = new float[M * K];
                java.util.Arrays.fill(dIn, Float.NaN);
                ref = GemmReference.matmulNN(new float[M * K], 0, g, 0, w, 0, M, N, K, false);
                Gemm.matmulNN(dIn, 0, g, 0, w, 0, M, N, K, false);
                assertClose("NN over NaN M=" + M + " t=" + threads, ref, dIn, 0, dIn.clone());
                float[] dW = new float[N * K];
                java.util.Arrays.fill(dW, Float.NaN);
                ref = GemmReference.matmulTN(new float[N * K], 0, g, 0, a, 0, M, N, K, false);
                Gemm.matmulTN(dW, 0, g, 0, a, 0, M, N, K, false);
                assertClose("TN over NaN M=" + M + " t=" + threads, ref, dW, 0, dW.clone());
            }
        }
    }

    @Test
    void emptyReductionWritesBiasOrKeepsOutput() {
        float[] out = {5, 6, 7, 8};
        Gemm.matmulNT(out, 0, new float[0], 0, new float[0], 0, new float[] {1, 2}, 0, 2, 2, 0, false);
        assertEquals(List.of(1f, 2f, 1f, 2f), List.of(out[0], out[1], out[2], out[3]));
        Gemm.matmulTN(out, 0, new float[0], 0, new float[0], 0, 0, 2, 2, true);
        assertEquals(List.of(1f, 2f, 1f, 2f), List.of(out[0], out[1], out[2], out[3]));
        Gemm.matmulNN(out, 0, new float[0], 0, new float[0], 0, 2, 0, 2, false);
        assertEquals(List.of(0f, 0f, 0f, 0f), List.of(out[0], out[1], out[2], out[3]));
    }

    @Test
    void badViewsNameTheOperand() {
        float[] x = new float[12];
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> Gemm.matmulNT(x, 0, x, 0, new float[5], 0, null, 0, 2, 3, 2, false));
        assertTrue(e.getMessage().startsWith("w:"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> Gemm.matmulNN(x, 7, x, 0, x, 0, 2, 2, 3, false));
        assertTrue(e.getMessage().startsWith("out:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.matmulTN(x, 0, x, 0, x, 0, -1, 2, 2, false));
        // a row stride shorter than the row, and a strided view running past the end
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmulNN(x, 0, 2, x, 0, 2, x, 0, 3, 2, 2, 3, false));
        assertTrue(s.getMessage().startsWith("out: row stride 2"), s.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> Gemm.matmulNT(x, 0, 2, x, 0, 11, x, 0, 2, null, 0, 2, 2, 2, false));
        assertTrue(e.getMessage().startsWith("a:"), e.getMessage());
    }

    /**
     * A product called inside a loop body (one part of a pass run in whole sequences per core) runs whole on that
     * thread ({@link Parallel#width()} is 1 there): the same sums as the slabs outside, bit for bit, where the product
     * is cut into output slabs; a weight gradient that is cut into depth parts outside is one part inside (to rounding).
     */
    @Test
    void aProductInsideALoopBodyRunsWholeWithTheSameSums() {
        Parallel.setThreads(2);
        SplittableRandom rng = new SplittableRandom(17);
        int M = 600, N = 256, K = 300;
        float[] a = new float[M * K], w = new float[N * K];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
        float[] outside = new float[M * N], inside = new float[M * N];
        Gemm.matmulNT(outside, 0, a, 0, w, 0, null, 0, M, N, K, false);
        int[] width = new int[1];
        Parallel.forRange(2, 1, (from, to) -> {
            if (from == 0) {
                width[0] = Parallel.width();
                Gemm.matmulNT(inside, 0, a, 0, w, 0, null, 0, M, N, K, false);
            }
        });
        assertEquals(1, width[0]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(outside, inside);
        // dW[128, 128] over 3,072 rows: depth parts outside, one pass inside
        int R = 3072, C = 128;
        float[] dy = new float[R * C], x = new float[R * C];
        for (int i = 0; i < dy.length; i++) {
            dy[i] = (float) rng.nextGaussian();
            x[i] = (float) rng.nextGaussian();
        }
        float[] dwOut = new float[C * C], dwIn = new float[C * C];
        Gemm.matmulTN(dwOut, 0, dy, 0, x, 0, R, C, C, false);
        Parallel.forRange(2, 1, (from, to) -> {
            if (from == 0) Gemm.matmulTN(dwIn, 0, dy, 0, x, 0, R, C, C, false);
        });
        // the sums of 3,072 products of unit normals (|terms| sum ~ 2,000) in another order: within 1e-6 of that
        for (int i = 0; i < dwOut.length; i++) assertEquals(dwOut[i], dwIn[i], 2e-3, "dW[" + i + "]");
    }
}
