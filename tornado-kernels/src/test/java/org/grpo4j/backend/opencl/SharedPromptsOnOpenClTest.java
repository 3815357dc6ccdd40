package org.grpo4j.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A batch whose groups share their prompt rows ({@code TokenBatch.of}) on the OpenCL backend: attention's gathers into
 * the full layout and back, and the prompt rows' q/k/v gradients summed over their copies, run through the backend's
 * own gather, scatter-add, fill and add ops; forward, every gradient and the scoring pass against the CPU backend.
 */
class SharedPromptsOnOpenClTest extends OnOpenCl {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void aSharedBatchMatchesTheCpuBackend(Architecture arch) {
        ModelConfig c = new ModelConfig(arch, 97, 48, 80, 2, 6, 2, 8, 1e-6f, 1_000_000, null, arch != Architecture.QWEN2,
                64, arch == Architecture.QWEN2, 1, new int[] {2}, "float32");
        Backend cpu = new CpuBackend();
        Transformer a = Transformer.create(c, cpu).initialise(7, 0.3), b = Transformer.create(c, cl).initialise(7, 0.3);
        Random rnd = new Random(3);
        int[][] prompts = {ids(rnd, 11, c), ids(rnd, 6, c)};
        int[] groupOf = {0, 1, 0, 0, -1, 1};
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[groupOf.length];
        for (int k = 0; k < groupOf.length; k++) {
            int[] p = groupOf[k] < 0 ? ids(rnd, 5, c) : prompts[groupOf[k]], own = ids(rnd, 2 + rnd.nextInt(7), c);
            int[] s = java.util.Arrays.copyOf(p, p.length + own.length);
            System.arraycopy(own, 0, s, p.length, own.length);
            seqs.add(s);
            first[k] = p.length;
        }
        TokenBatch batch = TokenBatch.of(seqs, first);
        assertNotNull(batch.shared(), "the batch shares its prompts");
        Transformer.Scores sa = a.forward(batch, 0.9f), sb = b.forward(batch, 0.9f);
        TransformerOnOpenClTest.close(sa.logp(), sb.logp(), arch + " logp");
        TransformerOnOpenClTest.close(sa.entropy(), sb.entropy(), arch + " entropy");
        float[] dLogp = new float[batch.targets()];
        for (int i = 0; i < dLogp.length; i++) dLogp[i] = rnd.nextFloat() - 0.5f;
        a.zeroGrad();
        b.zeroGrad();
        a.backward(dLogp);
        b.backward(dLogp);
        float[] ga = cpu.read(a.grads()), gb = cl.read(b.grads());
        for (ParameterLayout.Param p : a.layout().params()) {
            int o = (int) p.offset(), n = (int) p.size();
            TransformerOnOpenClTest.close(java.util.Arrays.copyOfRange(ga, o, o + n), java.util.Arrays.copyOfRange(gb, o, o + n), arch + " gradient of " + p.name());
        }
        TransformerOnOpenClTest.close(a.score(batch, 0.9f).logp(), b.score(batch, 0.9f).logp(), arch + " score logp");
    }

    private static int[] ids(Random rnd, int n, ModelConfig c) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(c.vocabSize());
        return a;
    }
}
