package org.grpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWTest {
    static Transformer model() {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 17, 8, 12, 1, 2, 1, 4, 1e-6f, 1e4, null, true, 32, true, -1, new int[] {1}, "float32");
        return Transformer.create(c, new CpuBackend()).initialise(3, 0.1);
    }

    @Test
    void weightDecaySkipsBiasesAndNorms() {
        Transformer m = model();
        var be = m.backend();
        float[] before = be.read(m.params());
        be.fill(m.grads(), 0f); // zero gradient: only weight decay moves parameters
        new AdamW(m, new AdamW.Settings(0.1, 0.9, 0.999, 1e-8, 0.5)).step(0.1);
        float[] after = be.read(m.params());
        for (ParameterLayout.Param p : m.layout().params()) {
            int i = (int) p.offset();
            float expected = p.weightDecay() ? before[i] * (1 - 0.1f * 0.5f) : before[i];
            assertEquals(expected, after[i], 1e-7, p.name());
        }
        assertTrue(!m.layout().param("model.layers.0.self_attn.q_proj.bias").weightDecay());
        assertTrue(!m.layout().param("model.norm.weight").weightDecay());
        assertTrue(m.layout().param("model.embed_tokens.weight").weightDecay());
    }

    @Test
    void gradientClippingReturnsThePreClipNorm() {
        Transformer m = model();
        var be = m.backend();
        be.fill(m.grads(), 2f);
        double n = Math.sqrt(4.0 * m.layout().size());
        assertEquals(n, AdamW.clipGradNorm(m, 1.0), 1e-6 * n);
        assertEquals(1.0, Math.sqrt(be.sumOfSquares(m.grads())), 1e-5);
    }

    /** The one-pass step (groups and clipping fused) is bit-identical to clipping, then one kernel call per decay group. */
    @Test
    void clipAndStepIsClippingThenAStepPerGroupBitForBit() {
        // large enough that the fused pass splits across threads inside a group
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 4000, 16, 24, 2, 2, 1, 8, 1e-6f, 1e4, null, true, 32, true, -1, new int[] {1}, "float32");
        Transformer a = Transformer.create(c, new CpuBackend()).initialise(5, 0.1), b = Transformer.create(c, new CpuBackend()).initialise(5, 0.1);
        var be = a.backend();
        float[] g = new float[Math.toIntExact(a.layout().size())];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
        AdamW.Settings s = new AdamW.Settings(1e-3, 0.9, 0.999, 1e-8, 0.1);
        AdamW oa = new AdamW(a, s);
        for (int step = 1; step <= 3; step++) {
            for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian() * 0.05f;
            be.write(a.grads(), g);
            be.write(b.grads(), g);
            double maxNorm = step == 2 ? 1e9 : 1.0; // step 2 is not clipped
            double na = oa.clipAndStep(1e-3, maxNorm);
            double nb = AdamW.clipGradNorm(b, maxNorm);
            assertEquals(nb, na);
            // what every step was before the fused pass: one kernel call per decay group, moments in b's own state
            stepPerGroup(b, s, step);
            assertArrayEquals(be.read(b.params()), be.read(a.params()), "step " + step);
            assertArrayEquals(be.read(b.grads()), be.read(a.grads()), "clipped gradients, step " + step);
        }
    }

    private org.grpo4j.backend.Tensor bm, bv;

    private void stepPerGroup(Transformer b, AdamW.Settings s, int t) {
        var be = b.backend();
        if (bm == null) {
            bm = be.allocate(b.params().size());
            bv = be.allocate(b.params().size());
        }
        for (long[] grp : b.decayGroups())
            be.adamw(b.params().slice(grp[0], grp[1]), b.grads().slice(grp[0], grp[1]), bm.slice(grp[0], grp[1]), bv.slice(grp[0], grp[1]),
                    1e-3f, 0.9f, 0.999f, 1e-8f, grp[2] == 1 ? 0.1f : 0f, t);
    }

    @Test
    void stateRoundTripsThroughACheckpointFile(@TempDir Path dir) throws Exception {
        Transformer a = model(), b = model();
        var be = a.backend();
        be.fill(a.grads(), 0.3f);
        be.fill(b.grads(), 0.3f);
        AdamW oa = new AdamW(a, AdamW.Settings.defaults()), ob = new AdamW(b, AdamW.Settings.defaults());
        oa.step(1e-3);
        Path f = dir.resolve("optimizer.safetensors");
        oa.save(f);
        assertTrue(Files.size(f) > 0);
        ob.load(f);
        b.copyFrom(a);
        oa.step(1e-3);
        ob.step(1e-3);
        assertEquals(2, ob.stepCount());
        assertArrayEquals(be.read(a.params()), be.read(b.params()));
    }
}
