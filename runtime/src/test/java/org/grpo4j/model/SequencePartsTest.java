package org.grpo4j.model;

import static org.grpo4j.model.PassAssertions.assertClose;
import static org.grpo4j.model.PassAssertions.assertGradientsClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.OpProfile;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.TwoThreads;
import org.grpo4j.backend.cpu.CpuTensor;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.bench.BenchModels;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A pass run in whole sequences per core ({@link SequenceParts}) gives the scores and gradients of the same pass run
 * whole (each op split over the threads): random small models of every architecture, ragged batches of 2–7
 * sequences, two micro-batches accumulated, gradient checkpointing and a chunked head; the scoring pass; the models
 * and backends that must run whole do; a failure in one part is thrown to the caller.
 */
@ExtendWith(TwoThreads.class)
class SequencePartsTest {
    private final Backend be = new CpuBackend();

    private static TokenBatch ragged(SplittableRandom rng, int sequences, int vocab, boolean groups) {
        return ragged(rng, sequences, vocab, groups, 1, 6, 14);
    }

    /**
     * {@code sequences} random sequences: a prompt of {@code minPrompt + [0, promptSpread)} tokens and a completion of
     * {@code 1 + [0, completionSpread)}; {@code groups}: GRPO groups of up to 3 completions of one prompt.
     */
    static TokenBatch ragged(SplittableRandom rng, int sequences, int vocab, boolean groups, int minPrompt, int promptSpread, int completionSpread) {
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[sequences];
        int[] prompt = null;
        for (int s = 0; s < sequences; s++) {
            boolean sameGroup = groups && s % 3 != 0; // GRPO groups of up to 3: one prompt, several completions
            int p = sameGroup ? prompt.length : minPrompt + rng.nextInt(promptSpread), n = p + 1 + rng.nextInt(completionSpread);
            int[] t = new int[n];
            for (int i = 0; i < t.length; i++) t[i] = rng.nextInt(vocab);
            if (sameGroup) System.arraycopy(prompt, 0, t, 0, p);
            if (groups && s % 3 == 0) prompt = java.util.Arrays.copyOf(t, p);
            seqs.add(t);
            first[s] = p;
        }
        return TokenBatch.of(seqs, first);
    }

    private static float[] grads(Transformer m) {
        return ((CpuTensor) m.grads()).array().clone();
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void partsGiveTheScoresAndGradientsOfTheWholePass(Architecture arch) {
        ModelConfig c = TransformerGradientCheckTest.tiny(arch, arch != Architecture.LLAMA);
        SplittableRandom rng = new SplittableRandom(11 + arch.ordinal());
        for (int sequences = 2; sequences <= 7; sequences++) {
            for (int variant = 0; variant < 3; variant++) { // plain, gradient checkpointing, head in chunks of 3 rows
                Transformer whole = Transformer.create(c, be).initialise(5, 0.3), parts = Transformer.create(c, be).initialise(5, 0.3);
                whole.sequenceParts(false);
                for (Transformer m : new Transformer[] {whole, parts}) {
                    m.setGradientCheckpointing(variant == 1);
                    if (variant == 2) m.headChunkRows(3);
                    m.zeroGrad();
                }
                String what = arch + ", " + sequences + " sequences" + (variant == 1 ? ", checkpointing" : variant == 2 ? ", head chunks of 3" : "");
                for (int micro = 0; micro < 2; micro++) { // two micro-batches accumulate into the gradients
                    TokenBatch b = ragged(rng, sequences + micro, c.vocabSize(), micro == 1);
                    float[] dLogp = new float[b.targets()];
                    for (int i = 0; i < dLogp.length; i++) dLogp[i] = (float) (rng.nextDouble() * 2 - 1);
                    Transformer.Scores w = whole.forward(b, 0.9f), p = parts.forward(b, 0.9f);
                    assertEquals(1, whole.lastParts());
                    assertEquals(2, parts.lastParts(), what + ": the batch ran in two parts");
                    assertClose(w.logp(), p.logp(), 1e-6, what + ": log-probs");
                    assertClose(w.entropy(), p.entropy(), 1e-6, what + ": entropies");
                    // the products over fewer rows may block differently (a few ulps); a row out of order would be off by O(1)
                    assertClose(whole.finalNormOutput(), parts.finalNormOutput(), 1e-5, what + ": final norm output, rows in order");
                    whole.backward(dLogp);
                    parts.backward(dLogp);
                }
                assertGradientsClose(whole.layout(), grads(whole), grads(parts), 1e-5, what);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void scoringPassInPartsEqualsTheWholeOne(Architecture arch) {
        ModelConfig c = TransformerGradientCheckTest.tiny(arch, arch == Architecture.QWEN2);
        SplittableRandom rng = new SplittableRandom(29);
        Transformer whole = Transformer.create(c, be).initialise(8, 0.3), parts = Transformer.create(c, be).initialise(8, 0.3);
        whole.sequenceParts(false);
        for (int sequences = 2; sequences <= 7; sequences++) {
            TokenBatch b = ragged(rng, sequences, c.vocabSize(), sequences % 2 == 0);
            Transformer.Scores w = whole.score(b, 1.1f), p = parts.score(b, 1.1f);
            assertEquals(2, parts.lastParts());
            assertClose(w.logp(), p.logp(), 1e-6, arch + ", " + sequences + " sequences: log-probs");
            assertClose(w.entropy(), p.entropy(), 1e-6, arch + ", " + sequences + " sequences: entropies");
            // a score keeps nothing for a backward, in parts as whole
            assertThrows(IllegalStateException.class, () -> parts.backward(new float[b.targets()]));
        }
    }

    @Test
    void groupsWithSharedPromptsStayInOnePartAndShareThere() {
        // two GRPO groups of 4 completions: TokenBatch.of packs each prompt once (SharedPrompts); each part is packed
        // again by TokenBatch.of, so each group's prompt is shared inside its part
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN2, false);
        SplittableRandom rng = new SplittableRandom(5);
        List<int[]> seqs = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
            int[] prompt = new int[12];
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(c.vocabSize());
            for (int k = 0; k < 4; k++) {
                int[] t = java.util.Arrays.copyOf(prompt, 12 + 2 + rng.nextInt(6));
                for (int i = 12; i < t.length; i++) t[i] = rng.nextInt(c.vocabSize());
                seqs.add(t);
            }
        }
        int[] first = new int[8];
        java.util.Arrays.fill(first, 12);
        TokenBatch b = TokenBatch.of(seqs, first);
        assertTrue(b.shared() != null, "the prompts are shared");
        Transformer whole = Transformer.create(c, be).initialise(3, 0.3), parts = Transformer.create(c, be).initialise(3, 0.3);
        whole.sequenceParts(false);
        SequenceParts sp = new SequenceParts(parts);
        TokenBatch[] split = sp.split(b, 2);
        assertEquals(4, split[0].batch(), "the cut falls between the groups");
        for (TokenBatch part : split) assertEquals(3, part.shared().copies(), "each part shares its group's prompt");
        whole.zeroGrad();
        parts.zeroGrad();
        float[] dLogp = new float[b.targets()];
        for (int i = 0; i < dLogp.length; i++) dLogp[i] = (float) (rng.nextDouble() - 0.5);
        Transformer.Scores w = whole.forward(b, 1f), p = parts.forward(b, 1f);
        assertEquals(2, parts.lastParts());
        assertClose(w.logp(), p.logp(), 1e-6, "shared prompts: log-probs");
        whole.backward(dLogp);
        parts.backward(dLogp);
        assertGradientsClose(whole.layout(), grads(whole), grads(parts), 1e-5, "shared prompts");
        assertClose(whole.score(b, 1f).logp(), parts.score(b, 1f).logp(), 1e-6, "shared prompts: scores");
        assertEquals(2, parts.lastParts());
    }

    @Test
    void theDecoderWithoutItsHeadRunsInPartsToo() {
        // a critic's pass (forwardHidden, backwardHidden): the final norm's rows in order, the same gradients
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN3, false);
        SplittableRandom rng = new SplittableRandom(41);
        Transformer whole = Transformer.create(c, be).initialise(6, 0.3), parts = Transformer.create(c, be).initialise(6, 0.3);
        whole.sequenceParts(false);
        whole.zeroGrad();
        parts.zeroGrad();
        for (int micro = 0; micro < 2; micro++) {
            TokenBatch b = ragged(rng, 5 + micro, c.vocabSize(), true);
            float[] h = whole.forwardHidden(b), hp = parts.forwardHidden(b);
            assertEquals(2, parts.lastParts());
            assertClose(h, hp, 1e-5, "hidden rows");
            float[] dHidden = new float[h.length];
            for (int i = 0; i < dHidden.length; i++) dHidden[i] = (float) (rng.nextDouble() - 0.5);
            whole.backwardHidden(dHidden);
            parts.backwardHidden(dHidden);
            assertThrows(IllegalStateException.class, () -> parts.backward(new float[b.targets()]), "a hidden forward has no head to go back through");
        }
        assertGradientsClose(whole.layout(), grads(whole), grads(parts), 1e-5, "hidden");
    }

    @Test
    void oneSequenceOneThreadTheSwitchLoraPackedBasesOneQueueBackendsAndProfilesRunWhole() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN2, false);
        SplittableRandom rng = new SplittableRandom(3);
        TokenBatch one = ragged(rng, 1, c.vocabSize(), false), three = ragged(rng, 3, c.vocabSize(), false);
        Transformer m = Transformer.create(c, be).initialise(2, 0.3);
        m.forward(one, 1f);
        assertEquals(1, m.lastParts(), "one sequence");
        Parallel.setThreads(1);
        m.forward(three, 1f);
        assertEquals(1, m.lastParts(), "one thread");
        Parallel.setThreads(2);
        m.forward(three, 1f);
        assertEquals(2, m.lastParts());
        m.sequenceParts(false);
        m.forward(three, 1f);
        assertEquals(1, m.lastParts(), "the switch (-Dgrpo4j.sequenceParts=false) runs the pass whole");
        // adapters keep per-pass state of their own (saved inputs, dropout): the model runs whole
        Transformer lora = Transformer.create(c, be).initialise(2, 0.3).withLora(PeftModelTest.adapters(be, c, 0.0));
        lora.forward(three, 1f);
        assertEquals(1, lora.lastParts(), "LoRA");
        Transformer packed = Transformer.random(c, be, WeightFormat.BF16, 2, 0.3);
        packed.score(three, 1f);
        assertEquals(1, packed.lastParts(), "a packed base");
        // a backend whose ops are issued from one thread at a time (decodeLanes() = 1, the default: OpenCL's one queue)
        Backend oneQueue = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("decodeLanes")) return 1;
                    try {
                        return method.invoke(be, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Transformer queued = Transformer.create(c, oneQueue).initialise(2, 0.3);
        queued.forward(three, 1f);
        assertEquals(1, queued.lastParts(), "one device queue");
        // an op profile times ops one after another
        Transformer profiled = Transformer.create(c, OpProfile.wrap(be)).initialise(2, 0.3);
        profiled.forward(three, 1f);
        assertEquals(1, profiled.lastParts(), "under an op profile");
    }

    @Test
    void aFailureInOnePartIsThrownAndThePoolRunsOn() {
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.LLAMA, true); // 64 positions
        Transformer m = Transformer.create(c, be).initialise(4, 0.3);
        int[] tooLong = new int[c.maxPositionEmbeddings() + 3];
        TokenBatch bad = TokenBatch.of(List.of(new int[] {1, 2, 3}, new int[] {4, 5, 6, 7}, tooLong), new int[] {1, 1, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(bad, 1f));
        assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.backward(new float[bad.targets()]), "no backward of a failed forward");
        TokenBatch good = TokenBatch.of(List.of(new int[] {1, 2, 3}, new int[] {4, 5, 6, 7}), new int[] {1, 2});
        float[] logp = m.forward(good, 1f).logp();
        assertEquals(2, m.lastParts());
        m.sequenceParts(false);
        assertArrayEquals(m.forward(good, 1f).logp(), logp, 1e-6f);
    }

    @Test
    void cutsBalanceTheWorkAndKeepGroupsTogether() {
        ModelConfig s = BenchModels.named("bench-s");
        // bench-s's GRPO batch: 2 prompts × 8 completions of 64 + 128 tokens: the cut falls between the groups
        List<int[]> seqs = new ArrayList<>();
        for (int g = 0; g < 2; g++)
            for (int k = 0; k < 8; k++) {
                int[] t = new int[192];
                for (int i = 0; i < 64; i++) t[i] = g + 1;
                for (int i = 64; i < t.length; i++) t[i] = (i + k) % 64;
                seqs.add(t);
            }
        int[] first = new int[16];
        java.util.Arrays.fill(first, 64);
        assertArrayEquals(new int[] {0, 8, 16}, SequenceParts.cuts(TokenBatch.of(seqs, first), 2, s));
        // one long sequence against several short ones: attention (~ length²) weighs in
        TokenBatch ragged = TokenBatch.of(List.of(new int[300], new int[100], new int[100], new int[100]), new int[] {1, 1, 1, 1});
        assertArrayEquals(new int[] {0, 1, 4}, SequenceParts.cuts(ragged, 2, s));
        assertArrayEquals(new int[] {0, 1, 2, 4}, SequenceParts.cuts(ragged, 3, s));
    }

    @Test
    void smallModelsQualifyQwen05bDoesNot() {
        assertTrue(SequenceParts.qualifies(BenchModels.named("bench-s"), 2));
        assertTrue(SequenceParts.qualifies(BenchModels.named("bench-m"), 2));
        assertFalse(SequenceParts.qualifies(BenchModels.named("qwen05b"), 2), "qwen05b: a second gradient set would be 2 GB");
        assertFalse(SequenceParts.qualifies(BenchModels.named("bench-s"), 1));
        // the memory plan counts the second part's gradients and activations, and nothing for qwen05b
        ModelConfig m = BenchModels.named("bench-m"), q = BenchModels.named("qwen05b");
        long params = 4 * new ParameterLayout(m).size();
        assertEquals(2 * params, MemoryPlan.training(m, 16, 192, 128, false).gradientBytes());
        assertEquals(2 * 4 * Activations.floatsForBatch(m, 8, 192, 128, false), MemoryPlan.training(m, 16, 192, 128, false).activationBytes(),
                "two parts of 8 sequences: the activations are split, not doubled");
        assertEquals(4 * new ParameterLayout(q).size(), MemoryPlan.training(q, 4, 192, 128, false).gradientBytes());
        assertEquals(4 * Activations.floatsForBatch(q, 4, 192, 128, false), MemoryPlan.training(q, 4, 192, 128, false).activationBytes());
        // what a run reserves at its start: each part its share, the model included
        ModelConfig c = TransformerGradientCheckTest.tiny(Architecture.QWEN2, false);
        Transformer t = Transformer.create(c, new CpuBackend());
        t.reserveActivations(6, 20, 10);
        assertEquals(2 * 4 * Activations.floatsForBatch(c, 3, 20, 10, false), t.activationBytes());
        assertEquals(MemoryPlan.training(c, 6, 20, 10, false).activationBytes(), t.activationBytes());
    }
}
