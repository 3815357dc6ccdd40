package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SwiGluGemm} writes the bits of {@link Gemm#matmulNT} followed by {@link SwiGlu#forward} (the path
 * {@code -Dgrpo4j.swigluEpilogue=false} restores): tails of rows, of gate columns (a partial vector) and of depth (odd),
 * several column blocks, the whole slab's rows packed once or per block, on one and two threads, at offsets.
 */
class SwiGluGemmTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    /** {M, F, K}: bench-m's gate/up (F 1376, K 512) on a part's rows, edges of every kind, more columns than a block. */
    private static final int[][] SHAPES = {
            {Gemm.MR * 3 + 5, 1376, 512}, {33, 45, 33}, {97, 272, 64}, {200, Gemm.NC + 40, Gemm.KC - 1},
            {Gemm.MR * 11, 16, 7}, {300, 3 * Gemm.NC / 2 + 3, 128}, {1536, 1376, 512}};

    @Test
    void sameBitsAsTheProductThenSwiglu() {
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] s : SHAPES) check(s[0], s[1], s[2], threads);
        }
    }

    private static void check(int M, int F, int K, int threads) {
        assertTrue(SwiGluGemm.fits(M, F, K), "the shapes take the fused path");
        SplittableRandom r = new SplittableRandom(31L * M + F + K);
        int aOff = 3, wOff = 5, oOff = 7;
        float[] a = random(r, aOff + M * K, 1f), w = random(r, wOff + 2 * F * K, 0.2f);
        float[] gateUp = new float[M * 2 * F], expected = new float[oOff + M * F], actual = new float[oOff + M * F];
        java.util.Arrays.fill(actual, Float.NaN);
        java.util.Arrays.fill(expected, Float.NaN);
        Gemm.matmulNT(gateUp, 0, a, aOff, w, wOff, null, 0, M, 2 * F, K, false);
        SwiGlu.forward(expected, oOff, gateUp, 0, M, F);
        SwiGluGemm.run(actual, oOff, a, aOff, w, wOff, M, F, K);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    M + "x" + F + "x" + K + " on " + threads + " threads, element " + i + ": " + expected[i] + " vs " + actual[i]);
    }

    /** The backend op equals its default body (the product into the scratch, then SwiGLU) and, fused, leaves the scratch alone. */
    @Test
    void backendOpMatchesItsDefault() {
        int M = 64, F = 48, K = 40;
        SplittableRandom r = new SplittableRandom(7);
        CpuBackend be = new CpuBackend();
        float[] a = random(r, M * K, 1f), w = random(r, 2 * F * K, 0.2f);
        CpuTensor in = CpuBackend.wrap(a), weight = CpuBackend.wrap(w);
        CpuTensor fused = CpuBackend.wrap(new float[M * F]), plain = CpuBackend.wrap(new float[M * F]);
        CpuTensor scratch = CpuBackend.wrap(new float[M * 2 * F]), scratch2 = CpuBackend.wrap(new float[M * 2 * F]);
        be.matmulSwiglu(fused, scratch, in, weight, M, F, K);
        // the default body, run on the CPU backend's own matmul and swiglu
        be.matmul(scratch2, in, weight, null, M, 2 * F, K, false);
        be.swiglu(plain, scratch2, M, F);
        float[] x = fused.data, y = plain.data;
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(x[i]), "element " + i);
        boolean untouched = true;
        for (float v : scratch.data) untouched &= v == 0f;
        assertEquals(CpuBackend.SWIGLU_EPILOGUE, untouched, "the fused path writes no gate/up rows");
    }

    private static float[] random(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble(-1, 1) * scale);
        return x;
    }
}
