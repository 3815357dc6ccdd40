package org.grpo4j.model;

import static org.grpo4j.model.PassAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A batch whose group completions share their prompt packs the prompt's rows once ({@link TokenBatch#of},
 * {@link SharedPrompts}); the model then scores the same numbers and accumulates the same gradients as the batch packed
 * sequence by sequence ({@code -Dgrpo4j.sharedPrompts=false}), up to the order of a few sums (a prompt row's key and
 * value gradients are summed over its copies before the q/k/v product instead of inside it).
 */
class SharedPromptTest {
    private final Backend be = new CpuBackend();

    /** 3 prompts × 3-4 completions of ragged lengths, interleaved with one sequence whose prompt nobody shares. */
    static List<int[]> sequences(int vocab, long seed, int[] first) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] prompts = {ids(rng, 9, vocab), ids(rng, 12, vocab), ids(rng, 7, vocab)};
        int[] groupOf = {0, 0, 1, 0, 1, 1, -1, 2, 2, 1, 2};
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < groupOf.length; b++) {
            int[] p = groupOf[b] < 0 ? ids(rng, 10, vocab) : prompts[groupOf[b]];
            int[] c = ids(rng, 2 + rng.nextInt(9), vocab);
            int[] s = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, s, p.length, c.length);
            out.add(s);
            first[b] = p.length;
        }
        return out;
    }

    private static int[] ids(SplittableRandom rng, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextInt(vocab);
        return a;
    }

    /** {@code body} with {@code -Dgrpo4j.sharedPrompts} set to {@code on} (restored after). */
    static <T> T withSharing(boolean on, Supplier<T> body) {
        String old = System.getProperty("grpo4j.sharedPrompts");
        System.setProperty("grpo4j.sharedPrompts", Boolean.toString(on));
        try {
            return body.get();
        } finally {
            if (old == null) System.clearProperty("grpo4j.sharedPrompts");
            else System.setProperty("grpo4j.sharedPrompts", old);
        }
    }

    @Test
    void aGroupsPromptIsPackedOnceAndItsCompletionsContinueFromIt() {
        int[] first = new int[11];
        List<int[]> seqs = sequences(23, 5, first);
        TokenBatch off = withSharing(false, () -> TokenBatch.of(seqs, first));
        TokenBatch on = TokenBatch.of(seqs, first);
        assertNull(off.shared());
        SharedPrompts s = on.shared();
        assertNotNull(s);
        assertEquals(3, s.prompts());
        assertEquals(7, s.copies()); // 2 + 3 + 2 later copies
        assertEquals(off.rows(), on.sequenceTokens());
        assertEquals(off.rows() - (2 * 9 + 3 * 12 + 2 * 7), on.rows());
        assertArrayEquals(off.lengths(), on.lengths());
        assertArrayEquals(off.targetTokens(), on.targetTokens());
        assertArrayEquals(off.targetStart(), on.targetStart());
        // the full layout reads, row for row, what the unshared batch packs
        for (int f = 0; f < s.fullRowCount(); f++) {
            assertEquals(off.tokens()[f], on.tokens()[s.fullRows()[f]], "token of full row " + f);
            assertEquals(off.positions()[f], on.positions()[s.fullRows()[f]], "position of full row " + f);
        }
        for (int t = 0; t < on.targets(); t++)
            assertEquals(s.fullRows()[off.targetRows()[t]], on.targetRows()[t], "target " + t + " reads the same row");
        for (int r = 0; r < on.rows(); r++) assertEquals(r, s.fullRows()[s.ownerRows()[r]], "row " + r + "'s first copy");
    }

    @Test
    void sharingThatSavesLittleOrNothingIsNotDone() {
        // two sequences of one prompt of 2 tokens with 30 of their own: saves 2 rows of 64
        int[] p = {1, 2}, a = new int[32], b = new int[32];
        for (int i = 0; i < 32; i++) a[i] = b[i] = 3 + i % 5;
        System.arraycopy(p, 0, a, 0, 2);
        System.arraycopy(p, 0, b, 0, 2);
        assertNull(TokenBatch.of(List.of(a, b), new int[] {2, 2}).shared());
        // a sequence that is all prompt has nothing of its own to pack (a reward model's batch: every token its prompt)
        int[] c = {4, 5, 6, 7, 8, 9};
        assertNull(TokenBatch.of(List.of(c, c.clone()), new int[] {6, 6}).shared());
        assertEquals(12, TokenBatch.of(List.of(c, c.clone()), new int[] {6, 6}).rows());
        // the same tokens under another first target are another prompt
        assertNull(TokenBatch.of(List.of(c, c.clone()), new int[] {4, 3}).shared());
    }

    static ModelConfig config(Architecture arch) {
        return new ModelConfig(arch, 23, 16, 24, 2, 4, 2, arch == Architecture.QWEN3 ? 6 : 4, 1e-6f, 10000.0, null, arch != Architecture.LLAMA, 64,
                arch == Architecture.QWEN2, 1, new int[] {2}, "float32");
    }

    private record Pass(float[] logp, float[] entropy, float[] grads, float[] scoreLogp, float[] scoreEntropy) {}

    private Pass run(Architecture arch, boolean share, boolean checkpointing, int[] first, List<int[]> seqs) {
        return run(config(arch), share, checkpointing, first, seqs);
    }

    private Pass run(ModelConfig config, boolean share, boolean checkpointing, int[] first, List<int[]> seqs) {
        Transformer m = Transformer.create(config, be).initialise(7, 0.3);
        m.setGradientCheckpointing(checkpointing);
        TokenBatch batch = withSharing(share, () -> TokenBatch.of(seqs, first));
        assertEquals(share, batch.shared() != null);
        Transformer.Scores s = m.forward(batch, 0.7f);
        float[] dLogp = new float[s.logp().length];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < dLogp.length; i++) dLogp[i] = (float) (rng.nextDouble() * 2 - 1);
        m.zeroGrad();
        m.backward(dLogp);
        Transformer.Scores sc = m.score(batch, 0.7f);
        return new Pass(s.logp(), s.entropy(), be.read(m.grads()), sc.logp(), sc.entropy());
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void scoresAndEveryGradientEqualTheUnsharedBatch(Architecture arch) {
        assertSharedEqualsUnshared(config(arch), arch.toString());
    }

    /**
     * Heads of 32 (bench-s, the query-lane kernels) and 64 (bench-m, the key-lane loops): the CPU backend's attention reads
     * the shared prompts in place ({@code SharedPromptAttention}; {@code SharedPromptAttentionTest} pins it to the gather
     * path bit for bit).
     */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void headsThatReadSharedPromptsInPlaceScoreAsTheUnsharedBatch(Architecture arch) {
        ModelConfig c = config(arch);
        for (int hd : new int[] {32, 64}) {
            ModelConfig wide = new ModelConfig(arch, c.vocabSize(), 32, c.intermediateSize(), c.numLayers(), 4, 2, hd, c.rmsNormEps(), c.ropeTheta(),
                    null, c.tieWordEmbeddings(), c.maxPositionEmbeddings(), c.attentionBias(), c.bosTokenId(), c.eosTokenIds(), c.torchDtype());
            assertTrue(be.sharedAttentionAlignment(4, 2, hd, 4) > 0, "this backend reads them in place at hd " + hd);
            assertSharedEqualsUnshared(wide, arch + ", hd " + hd);
        }
    }

    private void assertSharedEqualsUnshared(ModelConfig config, String name) {
        int[] first = new int[11];
        List<int[]> seqs = sequences(23, 11, first);
        for (boolean checkpointing : new boolean[] {false, true}) {
            Pass off = run(config, false, checkpointing, first, seqs), on = run(config, true, checkpointing, first, seqs);
            String what = name + (checkpointing ? ", gradient checkpointing" : "");
            assertClose(off.logp(), on.logp(), 1e-5, what + ": log-probs");
            assertClose(off.entropy(), on.entropy(), 1e-5, what + ": entropies");
            // the gradients sum up to thousands of terms of both signs: against their largest entry (~15 here), as a
            // norm-wise bound; the largest difference seen is 1.2e-5 on QWEN3 (8.8e-7 of its largest gradient)
            double largest = 0;
            for (float g : off.grads()) largest = Math.max(largest, Math.abs(g));
            for (int i = 0; i < off.grads().length; i++)
                assertEquals(off.grads()[i], on.grads()[i], 2e-6 * largest, what + ": gradient [" + i + "]");
            assertClose(off.scoreLogp(), on.scoreLogp(), 1e-5, what + ": score log-probs");
            assertClose(off.scoreEntropy(), on.scoreEntropy(), 1e-5, what + ": score entropies");
        }
    }

    /**
     * A prompt's last row is the first target of each of its copies, so the head's backward adds several gradient rows
     * onto one row. {@code scatterAddRows} wants distinct rows (threads or work-items adding to one row lose updates);
     * a backend that refuses repeated rows there runs a shared batch's passes, with the training tail on and off.
     */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theHeadNeverScattersTwoGradientsOntoOneRow(Architecture arch) {
        Backend strict = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("scatterAddRows")) {
                        int[] rows = ((org.grpo4j.backend.cpu.CpuIntTensor) args[2]).array();
                        java.util.Set<Integer> seen = new java.util.HashSet<>();
                        for (int i = 0; i < (int) args[3]; i++) assertTrue(seen.add(rows[i]), "scatterAddRows onto row " + rows[i] + " twice");
                    }
                    try {
                        return method.invoke(be, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        int[] first = new int[11];
        List<int[]> seqs = sequences(23, 11, first);
        TokenBatch batch = TokenBatch.of(seqs, first);
        assertNotNull(batch.shared());
        for (boolean tail : new boolean[] {true, false}) {
            Transformer m = Transformer.create(config(arch), strict).initialise(7, 0.3);
            m.setTrainTail(tail);
            m.forward(batch, 1f);
            m.backward(new float[batch.targets()]);
        }
    }

    /** The run's activation plan ({@link MemoryPlan}) holds a shared batch at the least saving that shares (1/8 of its rows). */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void aSharedBatchFitsTheActivationsTheRunPlanned(Architecture arch) {
        int[] a = new int[32], b = new int[32];
        for (int i = 0; i < 32; i++) {
            a[i] = i % 23;
            b[i] = i < 8 ? a[i] : (i * 7) % 23;
        }
        TokenBatch batch = TokenBatch.of(List.of(a, b), new int[] {8, 8});
        assertNotNull(batch.shared(), "8 of 64 rows saved: shared");
        assertEquals(56, batch.rows());
        for (boolean checkpointing : new boolean[] {false, true}) {
            Transformer m = Transformer.create(config(arch), be).initialise(7, 0.3);
            m.setGradientCheckpointing(checkpointing);
            m.reserveActivations(2, 32, 24);
            long planned = m.activationBytes();
            m.forward(batch, 1f);
            m.backward(new float[batch.targets()]);
            m.score(batch, 1f);
            assertEquals(planned, m.activationBytes(), arch + (checkpointing ? ", checkpointing" : "") + ": the block did not grow");
        }
    }
}
