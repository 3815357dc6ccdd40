package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.Tensor;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RopeGemm} writes the bits of {@link Gemm#matmulNT} followed by {@link Rope#rotate} (the path
 * {@code -Dgrpo4j.ropeEpilogue=false} restores): with and without a bias (whose edge tiles the plain path sums another
 * way), GQA and MHA, head sizes 32/64/128, tails of rows and of depth (odd), several column blocks, the whole slab's rows
 * packed once or per block, on one and two threads, at offsets.
 */
class RopeGemmTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    /** {M, heads, kvHeads, hd, K}: bench-m's q/k/v on a part's rows, then edges of every kind and more columns than a block. */
    private static final int[][] SHAPES = {
            {1536, 8, 4, 64, 512}, {Gemm.MR * 3 + 5, 4, 2, 32, 33}, {97, 2, 2, 64, 64}, {200, 14, 2, 64, Gemm.KC - 1},
            {Gemm.MR * 11, 16, 16, 32, 128}, {50, 4, 1, 128, 7}, {300, 6, 3, 64, 96}};

    @Test
    void sameBitsAsTheProductThenRope() {
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] s : SHAPES) {
                check(s[0], s[1], s[2], s[3], s[4], false, threads);
                check(s[0], s[1], s[2], s[3], s[4], true, threads);
            }
        }
    }

    private static void check(int M, int H, int KV, int hd, int K, boolean withBias, int threads) {
        assertTrue(RopeGemm.fits(M, H, KV, hd, K), "the shapes take the fused path");
        SplittableRandom r = new SplittableRandom(31L * M + 7L * H + KV + hd + K);
        int N = (H + 2 * KV) * hd, half = hd / 2, positions = 400, aOff = 3, wOff = 5, oOff = 7, bOff = 2, co = 4, so = 6;
        float[] a = random(r, aOff + M * K, 1f), w = random(r, wOff + N * K, 0.2f), bias = withBias ? random(r, bOff + N, 0.5f) : null;
        float[] cos = random(r, co + positions * half, 1f), sin = random(r, so + positions * half, 1f);
        int[] pos = new int[M];
        for (int i = 0; i < M; i++) pos[i] = r.nextInt(positions);
        float[] expected = new float[oOff + M * N], actual = new float[oOff + M * N];
        Arrays.fill(actual, Float.NaN);
        Arrays.fill(expected, Float.NaN);
        Gemm.matmulNT(expected, oOff, a, aOff, w, wOff, bias, bOff, M, N, K, false);
        Rope.rotate(expected, oOff, pos, cos, co, sin, so, M, H, KV, hd, 1f);
        RopeGemm.run(actual, oOff, a, aOff, w, wOff, bias, bOff, pos, cos, co, sin, so, M, H, KV, hd, K);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    M + "x" + H + "/" + KV + "x" + hd + "x" + K + (withBias ? " with bias" : "") + " on " + threads + " threads, element " + i
                            + ": " + expected[i] + " vs " + actual[i]);
    }

    /** The backend op equals its default body (the product, then RoPE), with a bias. */
    @Test
    void backendOpMatchesItsDefault() {
        int M = 64, H = 4, KV = 2, hd = 32, K = 40, N = (H + 2 * KV) * hd, positions = 100;
        SplittableRandom r = new SplittableRandom(7);
        CpuBackend be = new CpuBackend();
        CpuTensor in = CpuBackend.wrap(random(r, M * K, 1f)), weight = CpuBackend.wrap(random(r, N * K, 0.2f)), bias = CpuBackend.wrap(random(r, N, 0.5f));
        CpuTensor cos = CpuBackend.wrap(random(r, positions * hd / 2, 1f)), sin = CpuBackend.wrap(random(r, positions * hd / 2, 1f));
        int[] p = new int[M];
        for (int i = 0; i < M; i++) p[i] = r.nextInt(positions);
        IntTensor pos = be.ints(p);
        CpuTensor fused = CpuBackend.wrap(new float[M * N]), plain = CpuBackend.wrap(new float[M * N]);
        be.matmulRope(fused, in, weight, bias, pos, cos, sin, M, H, KV, hd, K);
        be.matmul(plain, in, weight, bias, M, N, K, false);
        be.rope(plain, pos, cos, sin, M, H, KV, hd);
        for (int i = 0; i < M * N; i++)
            assertEquals(Float.floatToRawIntBits(plain.data[i]), Float.floatToRawIntBits(fused.data[i]), "element " + i);
    }

    /**
     * A whole scoring pass, its q/k/v products rotated on the CPU backend against the same backend with the op's default
     * body (the product, then RoPE): the same log-probs and entropies, bit for bit; Qwen2 (q/k/v biases, GQA 4/2, hd 32)
     * and Llama (no bias, MHA, hd 64), in parts and whole.
     */
    @Test
    void scoringPassSameBitsAsThePlainPath() {
        ModelConfig qwen2 = new ModelConfig(Architecture.QWEN2, 97, 128, 360, 2, 4, 2, 32, 1e-6f, 10000.0, null, true, 256, true,
                -1, new int[0], "float32");
        ModelConfig llama = new ModelConfig(Architecture.LLAMA, 97, 128, 344, 2, 2, 2, 64, 1e-5f, 500000.0, null, false, 256, false,
                -1, new int[0], "float32");
        CpuBackend cpu = new CpuBackend();
        Backend plain = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            if (m.getName().equals("matmulRope")) {
                int rows = (int) args[7], H = (int) args[8], KV = (int) args[9], hd = (int) args[10], K = (int) args[11];
                cpu.matmul((Tensor) args[0], (Tensor) args[1], (Tensor) args[2], (Tensor) args[3], rows, (H + 2 * KV) * hd, K, false);
                cpu.rope((Tensor) args[0], (IntTensor) args[4], (Tensor) args[5], (Tensor) args[6], rows, H, KV, hd);
                return null;
            }
            try {
                return m.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        SplittableRandom r = new SplittableRandom(3);
        for (ModelConfig c : new ModelConfig[] {qwen2, llama}) {
            for (int sequences : new int[] {1, 4}) {
                List<int[]> seqs = new ArrayList<>();
                int[] first = new int[sequences];
                for (int b = 0; b < sequences; b++) {
                    int[] ids = new int[40 + 7 * b];
                    for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(c.vocabSize());
                    seqs.add(ids);
                    first[b] = 10;
                }
                TokenBatch batch = TokenBatch.of(seqs, first);
                Transformer.Scores x = withBiases(Transformer.random(c, cpu, WeightFormat.FP32, 5, 0.05)).score(batch, 1f);
                Transformer.Scores y = withBiases(Transformer.random(c, plain, WeightFormat.FP32, 5, 0.05)).score(batch, 1f);
                String what = c.architecture() + ", " + sequences + " sequences, ";
                for (int i = 0; i < x.logp().length; i++) {
                    assertEquals(Float.floatToRawIntBits(y.logp()[i]), Float.floatToRawIntBits(x.logp()[i]), what + "log-prob " + i);
                    assertEquals(Float.floatToRawIntBits(y.entropy()[i]), Float.floatToRawIntBits(x.entropy()[i]), what + "entropy " + i);
                }
            }
        }
    }

    /** Random q/k/v biases (a random model's are zero, which would hide where the bias goes in). */
    private static Transformer withBiases(Transformer model) {
        SplittableRandom r = new SplittableRandom(11);
        for (ParameterLayout.Param p : model.layout().params()) {
            if (!p.name().endsWith(".bias")) continue;
            CpuTensor b = (CpuTensor) model.param(p.name());
            for (int i = 0; i < p.size(); i++) b.data[b.offset + i] = (float) r.nextDouble(-0.5, 0.5);
        }
        return model;
    }

    private static float[] random(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble(-1, 1) * scale);
        return x;
    }
}
