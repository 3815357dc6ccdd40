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
