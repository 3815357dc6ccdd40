package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.TwoThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A model whose weights are fixed ({@link Transformer#fixWeights}, GRPO's reference model) reads copies of its weights
 * laid out once instead of packing them in every product, and scores the same bits as the same weights unfixed:
 * every architecture, even and odd widths (an odd depth keeps the packing path), in sequence parts and whole, the
 * training forward too. Every writer of the weights lays the copies out again, so a fixed model never scores stale
 * weights; a fixed model does not train.
 */
@ExtendWith(TwoThreads.class)
class FixedWeightsTest {
    private final Backend be = new CpuBackend();

    /** Wide enough that the products take the blocked GEMM (more than 32 rows per part) and SwiGLU's fused product. */
    static ModelConfig small(Architecture arch, int hidden) {
        return new ModelConfig(arch, 97, hidden, 72, 2, 4, 2, 12, 1e-6f, 10000.0, null, arch != Architecture.LLAMA, 64,
                arch == Architecture.QWEN2, 1, new int[] {2}, "float32");
    }

    private static TokenBatch batch(long seed) {
        return SequencePartsTest.ragged(new SplittableRandom(seed), 6, 97, false, 12, 8, 20);
    }

    private Transformer fixedCopyOf(Transformer m) {
        Transformer r = Transformer.create(m.config(), be);
        r.copyFrom(m);
        return r.fixWeights(true);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void aFixedModelScoresTheSameBits(Architecture arch) {
        for (int hidden : new int[] {48, 47}) {
            Transformer m = Transformer.create(small(arch, hidden), be).initialise(5, 0.2);
            Transformer fixed = fixedCopyOf(m);
            assertTrue(fixed.fixedCopyBytes() > 0, "the CPU lays small weights out");
            for (boolean parts : new boolean[] {true, false}) {
                m.sequenceParts(parts);
                fixed.sequenceParts(parts);
                TokenBatch b = batch(hidden);
                String what = arch + ", hidden " + hidden + (parts ? ", in parts" : ", whole");
                Transformer.Scores want = m.score(b, 0.9f), got = fixed.score(b, 0.9f);
                assertArrayEquals(want.logp(), got.logp(), what + ": log-probs");
                assertArrayEquals(want.entropy(), got.entropy(), what + ": entropies");
                assertArrayEquals(m.forward(b, 0.9f).logp(), fixed.forward(b, 0.9f).logp(), what + ": the training forward");
            }
        }
    }

    @Test
    void everyWriterLaysTheCopiesOutAgain() throws Exception {
        ModelConfig c = small(Architecture.QWEN2, 48);
        Transformer a = Transformer.create(c, be).initialise(1, 0.2), b = Transformer.create(c, be).initialise(2, 0.2);
        Transformer fixed = fixedCopyOf(a);
        TokenBatch batch = batch(3);
        assertArrayEquals(a.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "copied");
        fixed.copyFrom(b);
        assertArrayEquals(b.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "copyFrom");
        fixed.initialise(1, 0.2);
        assertArrayEquals(a.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "initialise");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fixed");
        b.save(dir);
        try (org.grpo4j.safetensors.SafetensorsModel w = org.grpo4j.safetensors.SafetensorsModel.open(dir)) {
            fixed.loadWeights(w);
        }
        assertArrayEquals(b.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "loadWeights");
        // a writer through params() (GrpoTrainer's reference sync) says so
        be.write(fixed.params(), be.read(a.params()));
        fixed.weightsChanged();
        assertArrayEquals(a.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "a write through params(), then weightsChanged");
        fixed.fixWeights(false);
        assertFalse(fixed.weightsFixed());
        assertArrayEquals(a.score(batch, 1f).logp(), fixed.score(batch, 1f).logp(), "unfixed");
    }

    @Test
    void aFixedModelDoesNotTrain() {
        Transformer m = Transformer.create(small(Architecture.LLAMA, 48), be).initialise(1, 0.2);
        Transformer fixed = fixedCopyOf(m);
        assertThrows(IllegalStateException.class, fixed::grads);
        m.grads();
        assertThrows(IllegalStateException.class, () -> m.fixWeights(true), "a model with gradients trains");
    }

    @Test
    void adaptersReadTheWeightsAsTheyAre() {
        Transformer m = Transformer.create(small(Architecture.QWEN2, 48), be).initialise(1, 0.2).fixWeights(true);
        assertTrue(m.fixedCopyBytes() > 0);
        m.withLora(PeftModelTest.adapters(be, m.config(), 0.0));
        assertEquals(0, m.fixedCopyBytes());
    }
}
