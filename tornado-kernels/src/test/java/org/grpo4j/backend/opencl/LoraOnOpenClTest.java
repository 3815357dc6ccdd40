package org.grpo4j.backend.opencl;

import static org.grpo4j.backend.opencl.TransformerOnOpenClTest.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraConfig;
import org.grpo4j.lora.LoraModule;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.Test;

/**
 * LoRA on the OpenCL backend (PoCL): adapters on every linear layer with dropout and gradient checkpointing give
 * the CPU backend's log-probs and adapter gradients, and the same dropout masks; packed (bf16/int8/NF4) frozen
 * bases are not implemented there and say so instead of falling back.
 */
class LoraOnOpenClTest extends OnOpenCl {
    private static Transformer model(ModelConfig c, Backend be, float[] adapters) {
        Transformer m = Transformer.create(c, be).initialise(7, 0.3);
        LoraAdapters a = new LoraAdapters(new LoraConfig(4, 8, 0.2, EnumSet.allOf(LoraModule.class), false), c, be);
        be.write(a.params(), adapters);
        a.setDropoutSeed(5);
        m.withLora(a);
        m.setGradientCheckpointing(true);
        m.setTraining(true);
        return m;
    }

    @Test
    void adaptersWithDropoutMatchTheCpuBackend() {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 97, 48, 80, 2, 6, 2, 8, 1e-6f, 1_000_000, null, true, 64, true, 1, new int[] {2}, "float32");
        Backend cpu = new CpuBackend();
        Random rnd = new Random(3);
        int n = (int) new LoraAdapters(new LoraConfig(4, 8, 0.2, EnumSet.allOf(LoraModule.class), false), c, cpu).params().size();
        float[] adapters = TestDevice.random(rnd, n, 0.3f);
        Transformer a = model(c, cpu, adapters), b = model(c, cl, adapters);
        TokenBatch batch = TokenBatch.of(List.of(new int[] {5, 9, 13, 2, 77, 40, 3, 8, 1}, new int[] {4, 4, 60, 12}), new int[] {3, 1});
        Transformer.Scores sa = a.forward(batch, 1f), sb = b.forward(batch, 1f);
        close(sa.logp(), sb.logp(), "LoRA logp");
        float[] dLogp = TestDevice.random(rnd, batch.targets(), 0.5f);
        a.zeroGrad();
        b.zeroGrad();
        a.backward(dLogp);
        b.backward(dLogp);
        close(cpu.read(a.trainable().grads()), cl.read(b.trainable().grads()), "LoRA adapter gradients");

        float[] x = TestDevice.random(rnd, 1000, 1f);
        var xc = cpu.allocate(1000);
        var xg = cl.allocate(1000);
        cpu.write(xc, x);
        cl.write(xg, x);
        var oc = cpu.allocate(1000);
        var og = cl.allocate(1000);
        cpu.dropout(oc, xc, 123456789L, 0.3f, 1000, false);
        cl.dropout(og, xg, 123456789L, 0.3f, 1000, false);
        assertArrayEquals(cpu.read(oc), cl.read(og), "the same dropout mask on both backends");
    }

    /** Generation applies a projection's adapters as two products (stacked A, block-diagonal B): the same on both backends. */
    @Test
    void greedyGenerationWithAdaptersMatchesTheCpuBackend() {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 97, 48, 80, 2, 6, 2, 8, 1e-6f, 10_000, null, true, 64, true, 1, new int[] {2}, "float32");
        Backend cpu = new CpuBackend();
        int n = (int) new LoraAdapters(new LoraConfig(4, 8, 0.2, EnumSet.allOf(LoraModule.class), false), c, cpu).params().size();
        float[] adapters = TestDevice.random(new Random(4), n, 0.3f);
        Transformer a = model(c, cpu, adapters), b = model(c, cl, adapters);
        a.setTraining(false);
        b.setTraining(false);
        List<int[]> prompts = List.of(new int[] {3, 14, 15, 92, 65}, new int[] {89, 79, 32, 38});
        SamplingParams p = new SamplingParams(2, 0.0, false, 0, 1.0, 0.0, 1.0, 10, null, List.of(), true, 1);
        List<Completion> ca = new Generator(a).generate(prompts, p), cb = new Generator(b).generate(prompts, p);
        assertEquals(ca.size(), cb.size());
        for (int i = 0; i < ca.size(); i++) {
            assertArrayEquals(ca.get(i).tokenIds(), cb.get(i).tokenIds(), "completion " + i);
            close(ca.get(i).logprobs(), cb.get(i).logprobs(), "completion " + i + " logprobs");
        }
    }

    @Test
    void packedBasesAreRefusedByName() {
        for (WeightFormat f : new WeightFormat[] {WeightFormat.BF16, WeightFormat.INT8, WeightFormat.NF4}) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> cl.pack(f, 2, 64, new float[128], 0));
            assertTrue(e.getMessage().contains(f.settingName()) && e.getMessage().contains("CPU backend"), e.getMessage());
        }
        assertThrows(UnsupportedOperationException.class, () -> cl.packBf16(2, 2, new short[4]));
    }
}
