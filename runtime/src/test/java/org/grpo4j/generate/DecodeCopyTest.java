package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * The decode-time weight copies ({@link Transformer#beginDecode}) are of the weights of the generate call that reads
 * them: generate, an optimizer step, generate again gives what a fresh model with the stepped weights generates.
 */
class DecodeCopyTest {

    @Test
    void aGenerateCallAfterAnOptimizerStepReadsTheSteppedWeights() {
        Transformer m = GeneratorTest.model(Architecture.QWEN2);
        assertTrue(m.decodeCopyBytes() > 0, "the tiny model's weights get decode copies");
        // 3 prompts × 4 samples: 12-row decode steps, the rows the copies' kernel takes
        SamplingParams p = SamplingParams.defaults().withNumGenerations(4).withTemperature(1f).withMaxCompletionLength(8)
                .withIgnoreEos(true).withSeed(9);
        Generator gen = new Generator(m);
        List<Completion> before = gen.generate(GeneratorTest.PROMPTS, p);

        // one real optimizer step: raise the log-prob of one sequence's tokens
        int[] seq = {1, 5, 9, 2, 17, 3};
        int[] positions = {0, 1, 2, 3, 4, 5};
        TokenBatch batch = new TokenBatch(seq, positions, new int[] {6}, new int[] {0, 1, 2, 3, 4}, new int[] {5, 9, 2, 17, 3}, new int[] {0, 5});
        m.backend().fill(m.grads(), 0f);
        m.forward(batch, 1f);
        float[] dLogp = new float[5];
        Arrays.fill(dLogp, -1f);
        m.backward(dLogp);
        new AdamW(m, AdamW.Settings.defaults()).step(0.05);

        List<Completion> after = gen.generate(GeneratorTest.PROMPTS, p);
        Transformer fresh = Transformer.create(m.config(), new CpuBackend());
        fresh.copyFrom(m);
        List<Completion> expected = new Generator(fresh).generate(GeneratorTest.PROMPTS, p);
        boolean changed = false;
        for (int s = 0; s < expected.size(); s++) {
            assertArrayEquals(expected.get(s).tokenIds(), after.get(s).tokenIds(), "sequence " + s);
            assertArrayEquals(expected.get(s).logprobs(), after.get(s).logprobs(), "sequence " + s);
            changed |= !Arrays.equals(before.get(s).logprobs(), after.get(s).logprobs());
        }
        assertTrue(changed, "the optimizer step changed what the model generates");
        assertEquals(before.size(), after.size());
    }

    @Test
    void aTrainingForwardAfterGenerationIsTheSameAsBefore() {
        Transformer m = GeneratorTest.model(Architecture.LLAMA);
        int[] seq = {1, 7, 3, 22, 8, 8, 14, 2, 5, 6};
        int[] positions = new int[seq.length];
        for (int i = 0; i < seq.length; i++) positions[i] = i;
        int[] rows = new int[9], targets = new int[9];
        for (int i = 0; i < 9; i++) {
            rows[i] = i;
            targets[i] = seq[i + 1];
        }
        TokenBatch batch = new TokenBatch(seq, positions, new int[] {seq.length}, rows, targets, new int[] {0, 9});
        float[] first = m.forward(batch, 1f).logp().clone();
        new Generator(m).generate(GeneratorTest.PROMPTS, SamplingParams.defaults().withNumGenerations(4).withMaxCompletionLength(4).withSeed(1));
        assertArrayEquals(first, m.forward(batch, 1f).logp());
        assertFalse(Arrays.equals(new float[9], first));
    }
}
