package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.grpo4j.backend.Tensor;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The decode-time weight copy ({@link DecodeGemm}): its products are bit-identical to {@link Gemm#matmulNT}'s (the same
 * depth blocks, the same additions), at the row counts of batched decode, with column and depth tails, bias, accumulate,
 * views at offsets, on 1 and 2 threads; a decode lane's few rows match those rows of a rows-as-lanes product; shapes
 * it does not take fall back to the plain product.
 */
class DecodeGemmTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    @Test
    void productsOverTheCopyAreBitIdenticalToThePlainProduct() {
        SplittableRandom r = new SplittableRandom(7);
        CpuBackend be = new CpuBackend();
        int taken = 0;
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int m : new int[] {3, 4, 5, 8, 9, 12, 16, 17, 24, 31, 32, 33})
                for (int[] nk : new int[][] {{8, 16}, {30, 7}, {32, 128}, {45, 33}, {64, 100}, {100, 352}, {704, 128}, {37, 530}}) {
                    int n = nk[0], k = nk[1];
                    if (DecodeGemm.takes(m, n, k)) taken++;
                    for (boolean bias : new boolean[] {false, true})
                        for (boolean acc : new boolean[] {false, true}) check(be, r, m, n, k, bias, acc);
                }
        }
        assertTrue(taken > 40, "the copy's kernel ran for " + taken + " shapes");
    }

    private static void check(CpuBackend be, SplittableRandom r, int m, int n, int k, boolean withBias, boolean acc) {
        Tensor w = be.allocate(3 + (long) n * k).slice(3, (long) n * k), x = be.allocate((long) m * k);
        Tensor bias = withBias ? be.allocate(n) : null;
        fill(be, r, w);
        fill(be, r, x);
        if (bias != null) fill(be, r, bias);
        Tensor plain = be.allocate((long) m * n), viaCopy = be.allocate((long) m * n);
        fill(be, r, plain);
        be.copy(viaCopy, plain);
        assertEquals(4 * DecodeGemm.layoutFloats(n, k), be.decodeLayoutBytes(w, n, k));
        Tensor copy = be.decodeLayout(w, n, k, null);
        be.matmulDecode(viaCopy, x, w, copy, bias, m, n, k, acc);
        if (DecodeGemm.takes(m, n, k) && m > 2 * Gemm.L) plain = inParts(be, r, plain, x, w, bias, m, n, k, acc);
        else if (DecodeGemm.takes(m, n, k) && !Gemm.rowsAsLanes(m, k)) plain = rowsAsLanes(be, r, plain, x, w, bias, m, n, k, acc);
        else be.matmul(plain, x, w, bias, m, n, k, acc);
        assertArrayEquals(be.read(plain), be.read(viaCopy), m + " × " + n + " × " + k + (withBias ? " bias" : "") + (acc ? " acc" : ""));
    }

    /**
     * A prefill's many rows ({@link DecodeGemm#PREFILL}): each part of 8 rows as the rows-as-lanes kernel computes them, so a
     * prompt's keys and values round as a decode step's rows do. Without the switch, the plain (packed) product.
     */
    private static Tensor inParts(CpuBackend be, SplittableRandom r, Tensor plain, Tensor x, Tensor w, Tensor bias, int m, int n, int k, boolean acc) {
        if (!DecodeGemm.PREFILL) {
            be.matmul(plain, x, w, bias, m, n, k, acc);
            return plain;
        }
        Tensor out = be.allocate((long) m * n);
        for (int r0 = 0; r0 < m; r0 += DecodeGemm.ROWS) {
            int rows = Math.min(DecodeGemm.ROWS, m - r0);
            Tensor part = be.allocate((long) rows * n);
            be.copy(part, plain.slice((long) r0 * n, (long) rows * n));
            Tensor done = rowsAsLanes(be, r, part, x.slice((long) r0 * k, (long) rows * k), w, bias, rows, n, k, acc);
            be.copy(out.slice((long) r0 * n, (long) rows * n), done);
        }
        return out;
    }

    /**
     * A decode lane's few rows (fewer than the rows-as-lanes kernel takes): the first {@code m} rows of that kernel's
     * product over more rows, so a row's outputs do not depend on how many rows share its step.
     */
    private static Tensor rowsAsLanes(CpuBackend be, SplittableRandom r, Tensor plain, Tensor x, Tensor w, Tensor bias, int m, int n, int k, boolean acc) {
        int mm = m + 1;
        while (!Gemm.rowsAsLanes(mm, k)) mm++;
        Tensor xx = be.allocate((long) mm * k), yy = be.allocate((long) mm * n);
        fill(be, r, xx);
        fill(be, r, yy);
        be.copy(xx.slice(0, (long) m * k), x);
        be.copy(yy.slice(0, (long) m * n), plain);
        be.matmul(yy, xx, w, bias, mm, n, k, acc);
        return yy.slice(0, (long) m * n);
    }

    @Test
    void aRebuiltCopyReusesItsMemoryAndFollowsTheWeight() {
        CpuBackend be = new CpuBackend();
        SplittableRandom r = new SplittableRandom(3);
        int m = 16, n = 40, k = 48;
        Tensor w = be.allocate((long) n * k), x = be.allocate((long) m * k), plain = be.allocate((long) m * n), viaCopy = be.allocate((long) m * n);
        fill(be, r, w);
        fill(be, r, x);
        Tensor copy = be.decodeLayout(w, n, k, null);
        fill(be, r, w); // an optimizer step
        Tensor again = be.decodeLayout(w, n, k, copy);
        assertSame(copy, again);
        be.matmul(plain, x, w, null, m, n, k, false);
        be.matmulDecode(viaCopy, x, w, again, null, m, n, k, false);
        assertArrayEquals(be.read(plain), be.read(viaCopy));
    }

    @Test
    void packedWeightsHaveNoCopy() {
        CpuBackend be = new CpuBackend();
        float[] values = new float[32 * 64];
        for (int i = 0; i < values.length; i++) values[i] = (i % 13) * 0.01f;
        Tensor packed = be.pack(WeightFormat.INT8, 32, 64, values, 0);
        assertEquals(0, be.decodeLayoutBytes(packed, 32, 64));
        assertNull(be.decodeLayout(packed, 32, 64, null));
    }

    private static void fill(CpuBackend be, SplittableRandom r, Tensor t) {
        float[] v = new float[(int) t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        be.write(t, v);
    }
}
