package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SwiGluGemm} writes the bits of {@link Gemm#matmulNT} followed by {@link SwiGlu#forward} (the path
 * {@code -Dgrpo4j.swigluEpilogue=false} restores): tails of rows, of gate columns (a partial vector) and of depth (odd),
 * several column blocks, the whole slab's rows packed once or per block, on one and two threads, at offsets; with the
 * weight packed per product or read from a copy packed once ({@link SwiGluGemm#panels}).
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
        // packed per product, then read from a copy packed once (a fixed weight's, CpuBackend.fixedLayout)
        float[] panels = new float[(int) SwiGluGemm.panelFloats(F, K)];
        SwiGluGemm.panels(panels, w, wOff, F, K);
        for (float[] copy : new float[][] {null, panels}) {
            SwiGluGemm.run(actual, oOff, a, aOff, w, wOff, copy, M, F, K);
            for (int i = 0; i < expected.length; i++)
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), M + "x" + F + "x" + K + " on " + threads
                        + " threads" + (copy != null ? ", weight copy" : "") + ", element " + i + ": " + expected[i] + " vs " + actual[i]);
        }
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

    /**
     * A whole scoring pass, its MLPs fused on the CPU backend against the same backend with the op's default body (the
     * product into the gate/up rows, then SwiGLU): the same log-probs and entropies, bit for bit; Qwen2 (biases on q/k/v
     * only) with an intermediate size that leaves a partial vector of gate columns, in parts and whole.
     */
    @Test
    void scoringPassSameBitsAsThePlainPath() {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 97, 128, 360, 2, 4, 2, 32, 1e-6f, 10000.0, null, true, 256, true,
                -1, new int[0], "float32");
        CpuBackend cpu = new CpuBackend();
        Backend plain = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            if (m.getName().equals("matmulSwiglu")) {
                int n = args.length, rows = (int) args[n - 3], F = (int) args[n - 2], K = (int) args[n - 1];
                cpu.matmul((Tensor) args[1], (Tensor) args[2], (Tensor) args[3], null, rows, 2 * F, K, false);
                cpu.swiglu((Tensor) args[0], (Tensor) args[1], rows, F);
                return null;
            }
            try {
                return m.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        SplittableRandom r = new SplittableRandom(3);
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
            Transformer.Scores x = Transformer.random(c, cpu, WeightFormat.FP32, 5, 0.05).score(batch, 1f);
            Transformer.Scores y = Transformer.random(c, plain, WeightFormat.FP32, 5, 0.05).score(batch, 1f);
            for (int i = 0; i < x.logp().length; i++) {
                assertEquals(Float.floatToRawIntBits(y.logp()[i]), Float.floatToRawIntBits(x.logp()[i]), sequences + " sequences, log-prob " + i);
                assertEquals(Float.floatToRawIntBits(y.entropy()[i]), Float.floatToRawIntBits(x.entropy()[i]), sequences + " sequences, entropy " + i);
            }
        }
    }

    private static float[] random(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble(-1, 1) * scale);
        return x;
    }
}
