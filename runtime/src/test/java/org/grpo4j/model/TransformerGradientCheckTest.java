package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.CpuTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Finite differences through the whole model, for every tensor of every architecture. */
class TransformerGradientCheckTest {

    static ModelConfig tiny(Architecture arch, boolean tied) {
        return new ModelConfig(arch, 23, 16, 24, 2, 4, 2, arch == Architecture.QWEN3 ? 6 : 4, 1e-6f, 10000.0, null, tied, 64,
                arch == Architecture.QWEN2, 1, new int[] {2}, "float32");
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void everyParameterTensorMatchesFiniteDifferences(Architecture arch) {
        Transformer m = Transformer.create(tiny(arch, arch != Architecture.LLAMA), new CpuBackend()).initialise(7, 0.3);
        TokenBatch batch = TokenBatch.of(List.of(new int[] {1, 5, 9, 3, 22, 7}, new int[] {1, 4, 4}, new int[] {2, 8, 0, 11, 12}), new int[] {2, 1, 3});
        SplittableRandom rng = new SplittableRandom(3);
        float[] r = new float[batch.targets()];
        for (int i = 0; i < r.length; i++) r[i] = (float) (rng.nextDouble() * 2 - 1);
        float temperature = 0.8f;
        m.zeroGrad();
        m.forward(batch, temperature);
        m.backward(r);
        float[] params = ((CpuTensor) m.params()).array(), grads = ((CpuTensor) m.grads()).array();
        for (ParameterLayout.Param p : m.layout().params()) {
            for (int k = 0; k < 4; k++) {
                int i = (int) (p.offset() + rng.nextInt((int) p.size()));
                float saved = params[i];
                double h = 2e-2;
                params[i] = (float) (saved + h);
                double plus = loss(m, batch, r, temperature);
                params[i] = (float) (saved - h);
                double minus = loss(m, batch, r, temperature);
                params[i] = saved;
                double numeric = (plus - minus) / (2 * h), analytic = grads[i];
                double err = Math.abs(numeric - analytic) / Math.max(2e-2, Math.abs(numeric) + Math.abs(analytic));
                assertTrue(err < 3e-2, arch + " " + p.name() + "[" + (i - p.offset()) + "]: numeric " + numeric + " vs analytic " + analytic);
            }
        }
    }

    private static double loss(Transformer m, TokenBatch batch, float[] r, float temperature) {
        float[] logp = m.forward(batch, temperature).logp();
        double s = 0;
        for (int i = 0; i < logp.length; i++) s += (double) r[i] * logp[i];
        return s;
    }

    @Test
    void chunkedHeadGivesTheSameScoresAndGradients() {
        // the head in chunks of 3 target rows (recomputed in the backward, the last one reused) against one chunk
        ModelConfig c = tiny(Architecture.LLAMA, true);
        Transformer m = Transformer.create(c, new CpuBackend()).initialise(1, 0.2);
        TokenBatch batch = TokenBatch.of(List.of(new int[] {1, 5, 9, 3, 22, 7, 4, 4, 4, 2}, new int[] {3, 8, 1, 6}), new int[] {1, 2});
        float[] dLogp = new float[batch.targets()];
        for (int i = 0; i < dLogp.length; i++) dLogp[i] = 0.3f - 0.07f * i;
        m.zeroGrad();
        Transformer.Scores whole = m.forward(batch, 0.8f);
        m.backward(dLogp);
        float[] g1 = ((CpuTensor) m.grads()).array().clone();
        m.headChunkRows(3);
        m.zeroGrad();
        Transformer.Scores chunked = m.forward(batch, 0.8f);
        m.backward(dLogp);
        float[] g2 = ((CpuTensor) m.grads()).array();
        assertTrue(m.logitsBytes() == 4L * 3 * c.vocabSize());
        for (int i = 0; i < dLogp.length; i++) {
            assertEquals(whole.logp()[i], chunked.logp()[i], 1e-6f);
            assertEquals(whole.entropy()[i], chunked.entropy()[i], 1e-6f);
        }
        // the whole batch's 11 head rows and the chunks of 3 go through different GEMM kernels (rows as vector lanes for
        // 9..16 rows, dot products below), which round differently: relative to the gradients' scale, not to values
        // that cancel to near zero (a wrong row or chunk would be off by the scale itself)
        double worst = 0, scale = 0;
        for (float g : g1) scale = Math.max(scale, Math.abs(g));
        for (int i = 0; i < g1.length; i++) worst = Math.max(worst, Math.abs(g1[i] - g2[i]) / (1e-3 * scale + Math.abs(g1[i])));
        assertTrue(worst < 1e-4, "chunked head gradients differ by " + worst);
    }
}
