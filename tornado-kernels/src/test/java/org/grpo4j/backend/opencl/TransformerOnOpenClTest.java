package org.grpo4j.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole engine on the OpenCL backend: a Llama, a Qwen2 (q/k/v biases) and a Qwen3 (q/k norm) decoder's
 * forward, backward, gradient clipping and two AdamW steps against the CPU backend on a ragged batch; and the
 * PyTorch oracle fixtures of the runtime module (float64 torch) replayed on the OpenCL backend. Errors are
 * relative to each tensor's largest magnitude, {@code max|a − b| / max|b| ≤ 1e-4}, the engine's fp32 bar.
 */
class TransformerOnOpenClTest extends OnOpenCl {
    static final double TOL = 1e-4;

    static double relErr(double[] expected, double[] actual) {
        double max = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        return diff / Math.max(max, 1e-30);
    }

    static double[] d(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static void close(float[] expected, float[] actual, String what) {
        double e = relErr(d(expected), d(actual));
        assertTrue(e < TOL, what + ": OpenCL off the CPU backend by " + e + " (relative to the largest magnitude)");
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> architecturesAndShapes() {
        List<org.junit.jupiter.params.provider.Arguments> all = new ArrayList<>();
        for (Architecture a : Architecture.values())
            for (boolean gpuShaped : new boolean[] {false, true}) all.add(org.junit.jupiter.params.provider.Arguments.of(a, gpuShaped));
        return all.stream();
    }

    /** {@code gpuShaped}: the kernel shapes a GPU gets (tiled GEMM, 256-wide reductions), on this machine's device. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("architecturesAndShapes")
    void forwardBackwardAndAdamWMatchTheCpuBackend(Architecture arch, boolean gpuShaped) {
        OpenClBackend cl = gpuShaped ? OpenClBackend.gpuShaped(session) : TransformerOnOpenClTest.cl;
        ModelConfig c = new ModelConfig(arch, 97, 48, 80, 2, 6, 2, 8, 1e-6f, 1_000_000, null, arch != Architecture.QWEN2,
                64, arch == Architecture.QWEN2, 1, new int[] {2}, "float32");
        Backend cpu = new CpuBackend();
        Transformer a = Transformer.create(c, cpu).initialise(7, 0.3), b = Transformer.create(c, cl).initialise(7, 0.3);
        Random rnd = new Random(3);
        List<int[]> seqs = new ArrayList<>();
        for (int len : new int[] {9, 3, 14, 1 + 1}) {
            int[] s = new int[len];
            for (int i = 0; i < len; i++) s[i] = rnd.nextInt(c.vocabSize());
            seqs.add(s);
        }
        TokenBatch batch = TokenBatch.of(seqs, new int[] {4, 1, 6, 1});
        float temperature = 0.9f;
        Transformer.Scores sa = a.forward(batch, temperature), sb = b.forward(batch, temperature);
        close(sa.logp(), sb.logp(), arch + " logp");
        close(sa.entropy(), sb.entropy(), arch + " entropy");
        for (int k = 0; k <= c.numLayers(); k++) close(a.hiddenState(k), b.hiddenState(k), arch + " hidden state " + k);

        float[] dLogp = new float[batch.targets()];
        for (int i = 0; i < dLogp.length; i++) dLogp[i] = rnd.nextFloat() - 0.5f;
        AdamW oa = new AdamW(a, new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0.1));
        AdamW ob = new AdamW(b, new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0.1));
        for (int step = 0; step < 2; step++) {
            a.zeroGrad();
            b.zeroGrad();
            if (step > 0) {
                a.forward(batch, temperature);
                b.forward(batch, temperature);
            }
            a.backward(dLogp);
            b.backward(dLogp);
            float[] ga = cpu.read(a.grads()), gb = cl.read(b.grads());
            for (ParameterLayout.Param p : a.layout().params()) {
                int o = (int) p.offset(), n = (int) p.size();
                close(java.util.Arrays.copyOfRange(ga, o, o + n), java.util.Arrays.copyOfRange(gb, o, o + n), arch + " step " + step + " gradient of " + p.name());
            }
            double na = AdamW.clipGradNorm(a, 0), nb = AdamW.clipGradNorm(b, 0);
            assertEquals(na, nb, na * 1e-5, arch + " gradient norm");
            // Adam divides by sqrt(v): where a gradient is near zero it turns fp32 rounding into a ±lr step, so the
            // optimiser is compared on the same gradients (the CPU's), and the gradients above on their own
            cl.write(b.grads(), ga);
            AdamW.clipGradNorm(a, 1.0);
            AdamW.clipGradNorm(b, 1.0);
            oa.step(1e-2);
            ob.step(1e-2);
            close(cpu.read(a.params()), cl.read(b.params()), arch + " parameters after AdamW step " + (step + 1));
        }
        close(a.forward(batch, temperature).logp(), b.forward(batch, temperature).logp(), arch + " logp after training");
        if (gpuShaped) cl.close();
    }

    /** Greedy generation with the KV cache (groups share their prompt) picks the same tokens on both backends. */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void greedyGenerationMatchesTheCpuBackend(Architecture arch) {
        ModelConfig c = new ModelConfig(arch, 97, 48, 80, 2, 6, 2, 8, 1e-6f, 10_000, null, true, 64, arch == Architecture.QWEN2,
                1, new int[] {2}, "float32");
        Transformer a = Transformer.create(c, new CpuBackend()).initialise(5, 0.5), b = Transformer.create(c, cl).initialise(5, 0.5);
        List<int[]> prompts = List.of(new int[] {3, 14, 15, 92, 65}, new int[] {35}, new int[] {89, 79, 32, 38, 46, 26, 43, 38, 32});
        SamplingParams p = new SamplingParams(2, 0.0, false, 0, 1.0, 0.0, 1.0, 12, null, List.of(), true, 1);
        List<Completion> ca = new Generator(a).generate(prompts, p), cb = new Generator(b).generate(prompts, p);
        assertEquals(ca.size(), cb.size());
        for (int i = 0; i < ca.size(); i++) {
            assertArrayEquals(ca.get(i).tokenIds(), cb.get(i).tokenIds(), arch + " completion " + i);
            close(ca.get(i).logprobs(), cb.get(i).logprobs(), arch + " completion " + i + " logprobs");
        }
    }

    // ------------------------------------------------------------------ PyTorch fixtures on the OpenCL backend

    static Path fixture(String name) {
        Path p = Path.of(System.getProperty("grpo4j.root", ".."), "runtime/src/test/resources/oracle", name);
        if (!Files.isDirectory(p)) fail("PyTorch fixture " + p + " is missing (it belongs to the runtime module's tests)");
        return p;
    }

    /** Packed rows of a (B, T, d) fixture tensor, in TokenBatch row order. */
    static double[] packRows(double[] btd, int B, int T, int[] lengths, int dim) {
        int rows = 0;
        for (int len : lengths) rows += len;
        double[] out = new double[rows * dim];
        int r = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < lengths[b]; t++, r++) System.arraycopy(btd, (b * T + t) * dim, out, r * dim, dim);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tied-f64", "qwen2-bias-f64", "llama-untied-f64", "qwen3-f64", "nll-f64"})
    void pytorchFixturesHoldOnOpenCl(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode grpo = new ObjectMapper().readTree(dir.resolve("config.json").toFile()).get("grpo");
        ModelConfig c = ModelConfig.load(dir);
        Transformer m = Transformer.create(c, cl);
        try (SafetensorsModel w = SafetensorsModel.of(dir.resolve("weights.safetensors"))) {
            m.loadWeights(w);
        }
        try (SafetensorsFile io = SafetensorsFile.open(dir.resolve("io.safetensors"))) {
            long[] shape = io.info("input_ids").shape();
            int B = (int) shape[0], T = (int) shape[1], C = (int) io.info("completion_mask").shape()[1];
            int[] ids = io.readInts("input_ids"), lengths = io.readInts("lengths"), prompt = io.readInts("prompt_lengths");
            List<int[]> seqs = new ArrayList<>();
            for (int b = 0; b < B; b++) seqs.add(java.util.Arrays.copyOfRange(ids, b * T, b * T + lengths[b]));
            TokenBatch batch = TokenBatch.of(seqs, prompt);
            float temperature = (float) grpo.path("temperature").asDouble(1.0);

            // every row to the end for the hidden states; the gradients below come from the default forward (the last
            // layer past attention on the target rows only)
            m.setTrainTail(false);
            Transformer.Scores s = m.forward(batch, temperature);
            for (int k = 0; k <= c.numLayers(); k++) {
                double[] expected = packRows(io.readDoubles("hidden_states." + k), B, T, lengths, c.hiddenSize());
                double e = relErr(expected, d(m.hiddenState(k)));
                assertTrue(e < TOL, name + ": hidden_states." + k + " off by " + e);
            }
            double[] logps = io.readDoubles("logps"), entropy = io.readDoubles("entropy"), mask = io.readDoubles("completion_mask");
            double[] lp = new double[logps.length], en = new double[logps.length], wantLp = new double[logps.length], wantEn = new double[logps.length];
            for (int b = 0; b < B; b++)
                for (int i = batch.targetStart()[b]; i < batch.targetStart()[b + 1]; i++) {
                    int j = b * C + i - batch.targetStart()[b];
                    lp[j] = s.logp()[i];
                    en[j] = s.entropy()[i];
                    wantLp[j] = logps[j];
                    wantEn[j] = entropy[j];
                }
            assertTrue(relErr(wantLp, lp) < TOL, name + ": logps off by " + relErr(wantLp, lp));
            assertTrue(relErr(wantEn, en) < TOL, name + ": entropy off by " + relErr(wantEn, en));

            // d loss / d logp exactly as the runtime's OracleFixtureTest derives it from the fixture's loss
            float[] dLogp = new float[batch.targets()];
            boolean isGrpo = grpo.path("loss").asText().equals("grpo");
            double[] ref = isGrpo ? io.readDoubles("ref_logps") : null, adv = isGrpo ? io.readDoubles("advantages") : null;
            double beta = grpo.path("beta").asDouble(0), totalMask = 0;
            for (double v : mask) totalMask += v;
            for (int b = 0; b < B; b++) {
                double rowMask = 0;
                for (int j = 0; j < C; j++) rowMask += mask[b * C + j];
                for (int i = batch.targetStart()[b]; i < batch.targetStart()[b + 1]; i++) {
                    int j = i - batch.targetStart()[b];
                    double M = mask[b * C + j];
                    dLogp[i] = isGrpo
                            ? (float) (M / (B * Math.max(1, rowMask)) * (-adv[b] + beta * (1 - Math.exp(ref[b * C + j] - s.logp()[i]))))
                            : (float) (-M / Math.max(1, totalMask));
                }
            }
            m.zeroGrad();
            m.setTrainTail(true);
            m.forward(batch, temperature);
            m.backward(dLogp);
            float[] grads = cl.read(m.grads());
            try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("grads.safetensors"))) {
                for (ParameterLayout.Param p : m.layout().params()) {
                    double[] expected = g.readDoubles(p.name());
                    double[] actual = new double[expected.length];
                    for (int i = 0; i < actual.length; i++) actual[i] = grads[(int) p.offset() + i];
                    double e = relErr(expected, actual);
                    assertTrue(e < TOL, name + ": gradient of " + p.name() + " off by " + e);
                }
                float[] oracleGrads = new float[grads.length];
                for (ParameterLayout.Param p : m.layout().params()) g.readFloats(p.name(), oracleGrads, (int) p.offset());
                var gt = cl.allocate(grads.length);
                cl.write(gt, oracleGrads);
                cl.adamw(m.params(), gt, cl.allocate(grads.length), cl.allocate(grads.length), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
            }
            float[] after = cl.read(m.params());
            try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("weights_after_adamw.safetensors"))) {
                for (ParameterLayout.Param p : m.layout().params()) {
                    double[] expected = w.readDoubles(p.name());
                    for (int i = 0; i < expected.length; i++)
                        assertEquals(expected[i], after[(int) p.offset() + i], 1e-6 + 1e-6 * Math.abs(expected[i]), name + ": AdamW " + p.name() + "[" + i + "]");
                }
            }
        }
    }
}
