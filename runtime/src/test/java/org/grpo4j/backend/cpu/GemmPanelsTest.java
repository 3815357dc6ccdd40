package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm#matmulNTPanels}, the product over a weight copy already in the packed panel layout (a fixed model's), writes
 * the bits of {@link Gemm#matmulNT}: column and row tails, several column and depth blocks (a depth whose blocks would
 * be odd), bias, accumulation, at offsets, on one and two threads; and the backend op reads the copy it lays out.
 */
class GemmPanelsTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    /**
     * {M, N, K}: bench-m's q/k/v and head on a part's rows, tails, more columns than a block, odd depths and a 2 × 513
     * one (packed as usual), a long depth cut into parts, few rows (the few-row paths, which never read the copy).
     */
    private static final int[][] SHAPES = {
            {1536, 1024, 512}, {256, 2048, 512}, {33, 45, 34}, {97, 272, 64}, {200, Gemm.NC + 40, 1026}, {200, Gemm.NC + 40, 1028},
            {300, 3 * Gemm.NC / 2 + 3, 128}, {64, 48, 33}, {100, 40, 4 * Gemm.KC}, {4, 48, 64}, {20, 700, 64}};

    @Test
    void sameBitsAsPackingTheWeight() {
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] s : SHAPES)
                for (boolean bias : new boolean[] {false, true})
                    for (boolean acc : new boolean[] {false, true}) check(s[0], s[1], s[2], bias, acc, threads);
        }
    }

    private static void check(int M, int N, int K, boolean withBias, boolean acc, int threads) {
        SplittableRandom r = new SplittableRandom(31L * M + N + K);
        int off = 3;
        float[] a = random(r, off + M * K, 1f), w = random(r, off + N * K, 0.2f), bias = withBias ? random(r, off + N, 1f) : null;
        float[] before = random(r, off + M * N, 1f), expected = before.clone(), actual = before.clone();
        float[] panels = new float[(int) DecodeGemm.layoutFloats(N, K) + 5];
        DecodeGemm.build(panels, 5, w, off, N, K);
        Gemm.matmulNT(expected, off, a, off, w, off, bias, off, M, N, K, acc);
        Gemm.matmulNTPanels(actual, off, a, off, w, off, panels, 5, bias, off, M, N, K, acc);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), M + "x" + N + "x" + K + (withBias ? " +bias" : "")
                    + (acc ? " accumulating" : "") + " on " + threads + " threads, element " + i + ": " + expected[i] + " vs " + actual[i]);
    }

    @Test
    void theBackendOpReadsTheFixedCopy() {
        CpuBackend be = new CpuBackend();
        SplittableRandom r = new SplittableRandom(5);
        int M = 200, N = 72, K = 64;
        CpuTensor a = CpuBackend.wrap(random(r, M * K, 1f)), w = CpuBackend.wrap(random(r, N * K, 0.2f)), bias = CpuBackend.wrap(random(r, N, 1f));
        CpuTensor want = CpuBackend.wrap(new float[M * N]), got = CpuBackend.wrap(new float[M * N]);
        be.matmul(want, a, w, bias, M, N, K, false);
        be.matmulFixed(got, a, w, be.fixedLayout(w, N, K, false, null), bias, M, N, K, false);
        for (int i = 0; i < M * N; i++)
            assertEquals(Float.floatToRawIntBits(want.array()[i]), Float.floatToRawIntBits(got.array()[i]), "element " + i);
        assertEquals(4 * DecodeGemm.layoutFloats(N, K), be.fixedLayoutBytes(w, N, K, false));
        assertEquals(4 * SwiGluGemm.panelFloats(N / 2, K), be.fixedLayoutBytes(w, N, K, true));
    }

    private static float[] random(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1) * scale;
        return x;
    }
}
