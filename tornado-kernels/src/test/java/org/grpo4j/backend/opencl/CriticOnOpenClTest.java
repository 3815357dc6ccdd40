package org.grpo4j.backend.opencl;

import static org.grpo4j.backend.opencl.TransformerOnOpenClTest.close;

import java.util.List;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.grpo.critic.Critic;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * PPO's critic on the OpenCL backend against the CPU backend: the decoder without its LM head
 * ({@code forwardHidden}), the values on a ragged batch, the gradients of the decoder and the value head
 * ({@code backwardHidden}) and one AdamW step, each within the engine's fp32 bar (relative 1e-4).
 */
class CriticOnOpenClTest extends OnOpenCl {
    static Critic critic(Backend backend) {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 29, 32, 48, 2, 4, 2, 8, 1e-6f, 10000.0, null, true, 64, true, 1, new int[] {2}, "float32");
        Transformer policy = Transformer.create(c, new CpuBackend()).initialise(13, 0.2);
        Transformer onBackend = Transformer.create(c, backend);
        backend.write(onBackend.params(), policy.backend().read(policy.params()));
        return Critic.fromPolicy(onBackend, AdamW.Settings.defaults(), 4);
    }

    @Test
    void valuesGradientsAndAStepMatchTheCpu() {
        TokenBatch batch = TokenBatch.of(List.of(new int[] {1, 5, 9, 3, 22, 7, 4}, new int[] {2, 4, 4}, new int[] {2, 8, 0, 11, 12, 28}), new int[] {2, 1, 3});
        Critic cpu = critic(new CpuBackend()), gpu = critic(cl);
        float[] dv = new float[batch.targets()];
        for (int i = 0; i < dv.length; i++) dv[i] = 0.4f - 0.09f * i;
        cpu.zeroGrad();
        gpu.zeroGrad();
        close(cpu.values(batch), gpu.values(batch), "values");
        cpu.backward(dv);
        gpu.backward(dv);
        close(cpu.model().backend().read(cpu.model().grads()), gpu.model().backend().read(gpu.model().grads()), "decoder gradients");
        cpu.step(1e-2, 1.0, Communicator.single());
        gpu.step(1e-2, 1.0, Communicator.single());
        close(cpu.model().backend().read(cpu.model().params()), gpu.model().backend().read(gpu.model().params()), "decoder after a step");
        close(cpu.values(batch), gpu.values(batch), "values after a step");
    }
}
