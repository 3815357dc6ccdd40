package org.grpo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.PackedTensor;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.CpuPackedTensor;
import org.junit.jupiter.api.Test;

/**
 * The products with a packed weight (widened tile by tile inside the GEMM) equal widen-then-fp32-GEMM, for every
 * format, the few-row (decode) and tiled (training) paths, tails in every dimension, bias and accumulation.
 */
class PackedGemmTest {
    private final CpuBackend be = new CpuBackend();

    private static void assertClose(float[] want, float[] got, String what) {
        double max = 0;
        for (float x : want) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 2e-6 * max + 1e-7, what + " at " + i);
    }

    @Test
    void forwardEqualsWidenThenGemm() {
        int N = 300, K = 700; // one full and one partial tile in both the row and the depth direction
        float[] wv = QuantFormatsTest.realShaped(N, K, 5);
        float[] biasV = QuantFormatsTest.gaussian(N, 0.1, 6);
        for (WeightFormat f : new WeightFormat[] {WeightFormat.BF16, WeightFormat.INT8, WeightFormat.NF4}) {
            PackedTensor packed = be.pack(f, N, K, wv, 0);
            Tensor wide = CpuBackend.wrap(((CpuPackedTensor) packed).widen());
            Tensor bias = CpuBackend.wrap(biasV);
            for (int M : new int[] {1, 5, 16, 24, 40}) { // 16, 24: a batched decode step (widened blocks, rows as lanes)
                Tensor in = CpuBackend.wrap(QuantFormatsTest.gaussian(M * K, 1, M));
                for (boolean acc : new boolean[] {false, true}) {
                    float[] start = QuantFormatsTest.gaussian(M * N, 1, 7);
                    Tensor want = CpuBackend.wrap(start.clone()), got = CpuBackend.wrap(start.clone());
                    be.matmul(want, in, wide, bias, M, N, K, acc);
                    be.matmul(got, in, packed, bias, M, N, K, acc);
                    assertClose(be.read(want), be.read(got), f + " M=" + M + " acc=" + acc);
                }
            }
        }
    }

    @Test
    void backwardInputEqualsWidenThenGemm() {
        int N = 300, K = 700;
        float[] wv = QuantFormatsTest.realShaped(N, K, 8);
        for (WeightFormat f : new WeightFormat[] {WeightFormat.BF16, WeightFormat.INT8, WeightFormat.NF4}) {
            PackedTensor packed = be.pack(f, N, K, wv, 0);
            Tensor wide = CpuBackend.wrap(((CpuPackedTensor) packed).widen());
            for (int M : new int[] {3, 40}) {
                Tensor dOut = CpuBackend.wrap(QuantFormatsTest.gaussian(M * N, 1, 9));
                for (boolean acc : new boolean[] {false, true}) {
                    float[] start = QuantFormatsTest.gaussian(M * K, 1, 10);
                    Tensor want = CpuBackend.wrap(start.clone()), got = CpuBackend.wrap(start.clone());
                    be.matmulBackwardInput(want, dOut, wide, M, N, K, acc);
                    be.matmulBackwardInput(got, dOut, packed, M, N, K, acc);
                    assertClose(be.read(want), be.read(got), f + " M=" + M + " acc=" + acc);
                }
            }
        }
    }

    @Test
    void embeddingFromPackedTableWidensRows() {
        int V = 50, d = 96;
        float[] table = QuantFormatsTest.gaussian(V * d, 0.5, 11);
        PackedTensor packed = be.pack(WeightFormat.NF4, V, d, table, 0);
        float[] wide = ((CpuPackedTensor) packed).widen();
        IntTensor ids = be.ints(new int[] {3, 49, 0, 3});
        Tensor out = be.allocate(4L * d);
        be.embedding(out, ids, packed, 4, d);
        float[] got = be.read(out);
        int[] want = {3, 49, 0, 3};
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < d; j++) assertEquals(wide[want[r] * d + j], got[r * d + j]);
        assertThrows(IllegalArgumentException.class, () -> be.matmul(be.allocate(4L * 10), be.allocate(4L * d), packed, null, 4, 10, d, false));
        assertThrows(UnsupportedOperationException.class, () -> packed.slice(0, 10));
    }
}
