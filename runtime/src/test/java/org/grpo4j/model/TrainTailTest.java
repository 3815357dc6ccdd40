package org.grpo4j.model;

import static org.grpo4j.model.PassAssertions.assertClose;
import static org.grpo4j.model.PassAssertions.assertGradientsClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.TwoThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A training forward whose last layer runs past attention on the target rows only, and its backward
 * ({@code Transformer.TRAIN_TAIL}), give the log-probs, entropies and every parameter's gradient of the pass over all
 * rows ({@code -Dgrpo4j.trainTail=false}): within 1e-5 on log-probs and entropies, and 2e-6 of each tensor's largest
 * gradient entry (the last layer's products and weight gradients sum over fewer rows, in another order); in whole
 * passes and in parts, with shared prompts (whose first targets share a row) and without, with gradient checkpointing,
 * a chunked head and LoRA adapters; under LoRA dropout the tail stays off and the pass is the same, bit for bit.
 */
@ExtendWith(TwoThreads.class)
class TrainTailTest {
    private final Backend be = new CpuBackend();

    /**
     * 2–7 ragged sequences; {@code groups}: GRPO groups of up to 3 completions of one prompt, which TokenBatch.of packs
     * once: prompts of at least 2 tokens, so that sharing them saves the 1/8 of the rows it needs.
     */
    private static TokenBatch ragged(SplittableRandom rng, int sequences, int vocab, boolean groups) {
        return SequencePartsTest.ragged(rng, sequences, vocab, groups, 2, 8, 10);
    }

    private static float[] dLogp(SplittableRandom rng, TokenBatch b) {
        float[] d = new float[b.targets()];
        for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextDouble() * 2 - 1);
        return d;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theTailGivesTheScoresAndGradientsOfThePassOverAllRows(Architecture arch) {
        ModelConfig c = TransformerGradientCheckTest.tiny(arch, arch != Architecture.LLAMA);
        int d = c.hiddenSize();
        SplittableRandom rng = new SplittableRandom(41 + arch.ordinal());
        for (boolean parts : new boolean[] {false, true}) {
            for (int variant = 0; variant < 3; variant++) { // plain, gradient checkpointing, head in chunks of 3 rows
                for (int sequences = 2; sequences <= 7; sequences += 5) {
                    Transformer old = Transformer.create(c, be).initialise(5, 0.3), tail = Transformer.create(c, be).initialise(5, 0.3);
                    old.setTrainTail(false);
                    for (Transformer m : new Transformer[] {old, tail}) {
                        m.sequenceParts(parts);
                        m.setGradientCheckpointing(variant == 1);
                        if (variant == 2) m.headChunkRows(3);
                        m.zeroGrad();
                    }
                    String what = arch + (parts ? ", in parts" : ", whole") + ", " + sequences + " sequences"
                            + (variant == 1 ? ", checkpointing" : variant == 2 ? ", head chunks of 3" : "");
                    for (int micro = 0; micro < 2; micro++) { // distinct prompts, then groups sharing prompts; the gradients accumulate
                        TokenBatch b = ragged(rng, sequences + micro, c.vocabSize(), micro == 1);
                        if (micro == 1) assertNotNull(b.shared(), what + ": the groups share their prompts");
                        float[] dLogp = dLogp(rng, b);
                        Transformer.Scores o = old.forward(b, 0.9f), t = tail.forward(b, 0.9f);
                        assertEquals(parts ? 2 : 1, tail.lastParts(), what);
                        String batch = what + (micro == 1 ? ", shared prompts" : "");
                        assertClose(o.logp(), t.logp(), 1e-5, batch + ": log-probs");
                        assertClose(o.entropy(), t.entropy(), 1e-5, batch + ": entropies");
                        // the tail ran: the final norm's output has one row per target, those of the pass over all rows
                        assertEquals(b.rows() * d, old.finalNormOutput().length, batch);
                        assertClose(targetRowsOf(old.finalNormOutput(), b, d), tail.finalNormOutput(), 1e-5, batch + ": final norm output of the targets");
                        old.backward(dLogp);
                        tail.backward(dLogp);
                    }
                    assertGradientsClose(old.layout(), be.read(old.grads()), be.read(tail.grads()), 2e-6, what);
                }
            }
        }
    }

    private static float[] targetRowsOf(float[] all, TokenBatch b, int d) {
        float[] out = new float[b.targets() * d];
        for (int t = 0; t < b.targets(); t++) System.arraycopy(all, b.targetRows()[t] * d, out, t * d, d);
        return out;
    }

    @Test
    void loraAdaptersTrainAsOverAllRows() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN2, false);
        SplittableRandom rng = new SplittableRandom(7);
        for (boolean checkpointing : new boolean[] {false, true}) {
            Transformer old = Transformer.create(c, be).initialise(3, 0.3), tail = Transformer.create(c, be).initialise(3, 0.3);
            old.setTrainTail(false);
            for (Transformer m : new Transformer[] {old, tail}) {
                m.withLora(PeftModelTest.adapters(be, c, 0.0));
                m.setTraining(true);
                m.setGradientCheckpointing(checkpointing);
                m.zeroGrad();
            }
            for (int micro = 0; micro < 2; micro++) {
                TokenBatch b = ragged(rng, 5, c.vocabSize(), micro == 1);
                float[] dLogp = dLogp(rng, b);
                Transformer.Scores o = old.forward(b, 1f), t = tail.forward(b, 1f);
                assertClose(o.logp(), t.logp(), 1e-5, "LoRA: log-probs");
                assertClose(o.entropy(), t.entropy(), 1e-5, "LoRA: entropies");
                assertEquals(b.targets() * c.hiddenSize(), tail.finalNormOutput().length, "LoRA: the tail ran");
                old.backward(dLogp);
                tail.backward(dLogp);
            }
            float[] go = be.read(old.trainable().grads()), gt = be.read(tail.trainable().grads());
            double max = 0;
            for (float g : go) max = Math.max(max, Math.abs(g));
            for (int i = 0; i < go.length; i++) assertEquals(go[i], gt[i], 2e-6 * max, "LoRA" + (checkpointing ? ", checkpointing" : "") + ": adapter gradient " + i);
        }
    }

    @Test
    void underLoraDropoutTheTailStaysOffAndThePassIsTheSame() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.LLAMA, true);
        SplittableRandom rng = new SplittableRandom(9);
        Transformer old = Transformer.create(c, be).initialise(4, 0.3), tail = Transformer.create(c, be).initialise(4, 0.3);
        old.setTrainTail(false);
        for (Transformer m : new Transformer[] {old, tail}) {
            m.withLora(PeftModelTest.adapters(be, c, 0.2));
            m.setTraining(true);
            m.zeroGrad();
        }
        TokenBatch b = ragged(rng, 4, c.vocabSize(), false);
        float[] dLogp = dLogp(rng, b);
        assertArrayEquals(old.forward(b, 1f).logp(), tail.forward(b, 1f).logp(), "the masks drawn over all rows");
        assertEquals(b.rows() * c.hiddenSize(), tail.finalNormOutput().length, "all rows to the end");
        old.backward(dLogp);
        tail.backward(dLogp);
        assertArrayEquals(be.read(old.trainable().grads()), be.read(tail.trainable().grads()));
    }

    @Test
    void aForwardWithATailHasNoHiddenBackwardAndTheCriticsPassKeepsEveryRow() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN3, false);
        Transformer m = Transformer.create(c, be).initialise(2, 0.3);
        m.sequenceParts(false);
        TokenBatch b = ragged(new SplittableRandom(3), 3, c.vocabSize(), false);
        m.forward(b, 1f);
        assertThrows(IllegalStateException.class, () -> m.backwardHidden(new float[b.rows() * c.hiddenSize()]));
        // forwardHidden: a head reads every row, so every row goes to the end
        assertEquals(b.rows() * c.hiddenSize(), m.forwardHidden(b).length);
        m.zeroGrad();
        m.backwardHidden(new float[b.rows() * c.hiddenSize()]);
    }

    @Test
    void theReservedActivationsHoldATailedPass() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN2, true);
        Transformer m = Transformer.create(c, be).initialise(2, 0.3);
        m.sequenceParts(false);
        int sequences = 4, prompt = 5, length = 12;
        m.reserveActivations(sequences, length, length - prompt);
        long reserved = m.activationBytes();
        List<int[]> seqs = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(1);
        for (int s = 0; s < sequences; s++) seqs.add(rng.ints(length, 0, c.vocabSize()).toArray());
        TokenBatch b = TokenBatch.of(seqs, new int[] {prompt, prompt, prompt, prompt});
        m.forward(b, 1f);
        m.zeroGrad();
        m.backward(new float[b.targets()]);
        assertEquals(reserved, m.activationBytes(), "the tail's tensors are in MemoryPlan's count");
    }
}
