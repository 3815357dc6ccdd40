package org.grpo4j.grpo.critic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.CpuTensor;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraConfig;
import org.grpo4j.lora.LoraModule;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * Finite differences through the critic: the value head and every tensor of the decoder under it (the policy's own
 * {@code Transformer}, run by {@code forwardHidden}/{@code backwardHidden}); the values sit on the rows that predict
 * each completion token.
 */
class CriticGradientCheckTest {
    static ModelConfig tiny() {
        return new ModelConfig(Architecture.QWEN2, 23, 16, 24, 2, 4, 2, 4, 1e-6f, 10000.0, null, true, 64, true, 1, new int[] {2}, "float32");
    }

    static Critic critic() {
        Transformer policy = Transformer.create(tiny(), new CpuBackend()).initialise(7, 0.3);
        Critic c = Critic.fromPolicy(policy, AdamW.Settings.defaults(), 5);
        // a head of the decoder's scale, so the decoder's gradients are not tiny next to the finite-difference noise
        float[] w = new float[16];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(1.7 * i + 0.3);
        c.head().setWeights(w);
        return c;
    }

    static final TokenBatch BATCH = TokenBatch.of(List.of(new int[] {1, 5, 9, 3, 22, 7}, new int[] {1, 4, 4}, new int[] {2, 8, 0, 11, 12}), new int[] {2, 1, 3});

    @Test
    void valueHeadAndDecoderMatchFiniteDifferences() {
        Critic c = critic();
        SplittableRandom rng = new SplittableRandom(3);
        float[] coef = new float[BATCH.targets()];
        for (int i = 0; i < coef.length; i++) coef[i] = (float) (rng.nextDouble() * 2 - 1);
        c.zeroGrad();
        c.values(BATCH);
        c.backward(coef);
        float[] params = ((CpuTensor) c.model().params()).array(), grads = ((CpuTensor) c.model().grads()).array();
        int checked = 0;
        for (ParameterLayout.Param p : c.model().layout().params()) {
            if (p.name().equals("lm_head.weight")) continue; // the critic has no language-model head in its loss
            for (int k = 0; k < 3; k++) {
                int i = (int) (p.offset() + rng.nextInt((int) p.size()));
                check(c, coef, params, i, grads[i], p.name());
                checked++;
            }
        }
        float[] head = ((CpuTensor) c.head().params()).array(), dHead = ((CpuTensor) c.head().grads()).array();
        for (int i = 0; i < head.length; i++) check(c, coef, head, i, dHead[i], "score.weight");
        assertTrue(checked > 20, "checked " + checked);
    }

    @Test
    void theCriticStartsAsACopyOfThePolicyAndTrainsApart() {
        Transformer policy = Transformer.create(tiny(), new CpuBackend()).initialise(7, 0.3);
        Critic c = Critic.fromPolicy(policy, AdamW.Settings.defaults(), 5);
        float[] before = policy.backend().read(policy.params());
        assertTrue(java.util.Arrays.equals(before, c.model().backend().read(c.model().params())));
        c.zeroGrad();
        float[] v = c.values(BATCH);
        float[] d = new float[v.length];
        java.util.Arrays.fill(d, 1f);
        c.backward(d);
        c.step(1e-2, 1.0, org.grpo4j.distributed.Communicator.single());
        assertTrue(java.util.Arrays.equals(before, policy.backend().read(policy.params())), "the policy's weights must not move");
        assertTrue(!java.util.Arrays.equals(before, c.model().backend().read(c.model().params())), "the critic's weights must move");
        assertEquals(v.length, BATCH.targets());
    }

    @Test
    void aCriticStartsFromAnEarlierRunsCriticFolder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Critic a = critic();
        a.save(dir.resolve("critic"));
        Transformer policy = Transformer.create(tiny(), new CpuBackend()).initialise(99, 0.3);
        Critic b = Critic.fromFolder(dir.resolve("critic"), policy, AdamW.Settings.defaults(), 1);
        assertTrue(java.util.Arrays.equals(a.model().backend().read(a.model().params()), b.model().backend().read(b.model().params())));
        assertTrue(java.util.Arrays.equals(a.head().weights(), b.head().weights()), "the value head comes from value_head.safetensors");
        assertTrue(java.util.Arrays.equals(a.values(BATCH), b.values(BATCH)));
        ModelConfig other = new ModelConfig(Architecture.QWEN2, 30, 16, 24, 2, 4, 2, 4, 1e-6f, 10000.0, null, true, 64, true, 1, new int[] {2}, "float32");
        Transformer wrongVocab = Transformer.create(other, new CpuBackend()).initialise(1, 0.1);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Critic.fromFolder(dir.resolve("critic"), wrongVocab, AdamW.Settings.defaults(), 1));
        assertTrue(e.getMessage().contains("vocab_size 23 but the policy has 30"), e.getMessage());
    }

    /** A LoRA policy (fp32 base, adapters on every linear layer) and its critic, whose adapters get random B so every gradient is non-zero. */
    static Transformer loraPolicy() {
        Transformer policy = Transformer.create(tiny(), new CpuBackend()).initialise(7, 0.3);
        LoraConfig lc = new LoraConfig(2, 4.0, 0.0, java.util.EnumSet.allOf(LoraModule.class), false);
        return policy.withLora(new LoraAdapters(lc, tiny(), policy.backend()).initialise(1));
    }

    static Critic loraCritic(Transformer policy) {
        Critic c = Critic.fromPolicy(policy, AdamW.Settings.defaults(), 5);
        float[] a = c.model().backend().read(c.model().lora().params());
        SplittableRandom rng = new SplittableRandom(8);
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() - 0.5);
        c.model().backend().write(c.model().lora().params(), a);
        float[] w = new float[16];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(1.7 * i + 0.3);
        c.head().setWeights(w);
        return c;
    }

    @Test
    void aLoraCriticsAdaptersAndHeadMatchFiniteDifferences() {
        Critic c = loraCritic(loraPolicy());
        SplittableRandom rng = new SplittableRandom(4);
        float[] coef = new float[BATCH.targets()];
        for (int i = 0; i < coef.length; i++) coef[i] = (float) (rng.nextDouble() * 2 - 1);
        c.zeroGrad();
        c.values(BATCH);
        c.backward(coef);
        LoraAdapters ad = c.model().lora();
        float[] params = ((CpuTensor) ad.params()).array(), grads = ((CpuTensor) ad.grads()).array();
        int checked = 0;
        for (LoraAdapters.Adapter a : ad.adapters()) {
            for (long off : new long[] {a.a(), a.b()}) {
                int size = 2 * (off == a.a() ? a.in() : a.out());
                int i = (int) (off + rng.nextInt(size));
                check(c, coef, params, i, grads[i], a.peftPrefix() + (off == a.a() ? ".lora_A" : ".lora_B"));
                checked++;
            }
        }
        float[] head = ((CpuTensor) c.head().params()).array(), dHead = ((CpuTensor) c.head().grads()).array();
        for (int i = 0; i < head.length; i++) check(c, coef, head, i, dHead[i], "score.weight");
        assertTrue(checked >= 2 * 7 * 2, "checked " + checked);
    }

    @Test
    void aLoraCriticSharesThePolicysFrozenBaseAndTrainsOnlyItsAdaptersAndHead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Transformer policy = loraPolicy();
        Critic c = Critic.fromPolicy(policy, AdamW.Settings.defaults(), 5);
        org.junit.jupiter.api.Assertions.assertSame(policy.params(), c.model().params(), "the critic's base is the policy's, not a copy");
        org.junit.jupiter.api.Assertions.assertNotSame(policy.lora(), c.model().lora());
        float[] base = policy.backend().read(policy.params()), policyAdapters = policy.backend().read(policy.lora().params());
        float[] critic = c.model().backend().read(c.model().lora().params());
        c.zeroGrad();
        float[] v = c.values(BATCH), d = new float[v.length];
        java.util.Arrays.fill(d, 1f);
        c.backward(d);
        c.step(1e-2, 1.0, org.grpo4j.distributed.Communicator.single());
        assertTrue(java.util.Arrays.equals(base, policy.backend().read(policy.params())), "the shared base must not move");
        assertTrue(java.util.Arrays.equals(policyAdapters, policy.backend().read(policy.lora().params())), "the policy's adapters must not move");
        assertTrue(!java.util.Arrays.equals(critic, c.model().backend().read(c.model().lora().params())), "the critic's adapters move");
        // its folder is PEFT's (a value model: TOKEN_CLS) beside the value head; a later run starts from it on its own shared base
        c.save(dir.resolve("critic"));
        assertTrue(java.nio.file.Files.readString(dir.resolve("critic/adapter_config.json")).contains("\"TOKEN_CLS\""));
        assertTrue(!java.nio.file.Files.exists(dir.resolve("critic/model.safetensors")), "no copy of the base");
        Transformer other = loraPolicy();
        Critic b = Critic.fromFolder(dir.resolve("critic"), other, AdamW.Settings.defaults(), 1);
        org.junit.jupiter.api.Assertions.assertSame(other.params(), b.model().params());
        assertTrue(java.util.Arrays.equals(c.values(BATCH), b.values(BATCH)));
        Critic resumed = Critic.fromPolicy(loraPolicy(), AdamW.Settings.defaults(), 9);
        resumed.load(dir.resolve("critic"));
        assertTrue(java.util.Arrays.equals(c.values(BATCH), resumed.values(BATCH)));
    }

    @Test
    void aLoraCriticOnAPackedBf16BaseSharesItToo() {
        Transformer policy = Transformer.random(tiny(), new CpuBackend(), org.grpo4j.quant.WeightFormat.BF16, 7, 0.3);
        policy.withLora(new LoraAdapters(LoraConfig.of(2, 4.0), tiny(), policy.backend()).initialise(1));
        Critic c = Critic.fromPolicy(policy, AdamW.Settings.defaults(), 5);
        org.junit.jupiter.api.Assertions.assertSame(policy.frozenBase(), c.model().frozenBase(), "the packed base is the policy's, not a copy");
        float[] adapters = c.model().backend().read(c.model().lora().params());
        c.zeroGrad();
        float[] v = c.values(BATCH), d = new float[v.length];
        java.util.Arrays.fill(d, 1f);
        c.backward(d);
        c.step(1e-2, 1.0, org.grpo4j.distributed.Communicator.single());
        assertTrue(!java.util.Arrays.equals(adapters, c.model().backend().read(c.model().lora().params())), "the critic's adapters move");
        assertTrue(!java.util.Arrays.equals(v, c.values(BATCH)), "and its values with them");
    }

    private static void check(Critic c, float[] coef, float[] params, int i, double analytic, String name) {
        float saved = params[i];
        double h = 2e-2;
        params[i] = (float) (saved + h);
        double plus = loss(c, coef);
        params[i] = (float) (saved - h);
        double minus = loss(c, coef);
        params[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        double err = Math.abs(numeric - analytic) / Math.max(2e-2, Math.abs(numeric) + Math.abs(analytic));
        assertTrue(err < 3e-2, name + "[" + i + "]: numeric " + numeric + " vs analytic " + analytic);
    }

    private static double loss(Critic c, float[] coef) {
        float[] v = c.values(BATCH);
        double s = 0;
        for (int i = 0; i < v.length; i++) s += (double) coef[i] * v[i];
        return s;
    }
}
