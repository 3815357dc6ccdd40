package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against PyTorch (fixtures from {@code tools/oracle/engine_oracle.py}, float64): hidden states,
 * log-probs at every position, entropies, every parameter gradient of the GRPO / NLL loss, one AdamW step,
 * BF16/F16 weight files and a sharded checkpoint. Errors are measured relative to each tensor's largest
 * magnitude: {@code max|java − torch| / max|torch| ≤ 1e-4}, the bar for an fp32 engine against fp64.
 */
class OracleFixtureTest {
    static final double TOL = 1e-4;

    static Path fixture(String name) {
        Path p = Path.of("src/test/resources/oracle", name);
        if (!Files.isDirectory(p)) p = Path.of(System.getProperty("grpo4j.root", "."), "runtime/src/test/resources/oracle", name);
        return p;
    }

    /** A fixture directory's inputs and expected outputs. */
    record Fixture(Path dir, JsonNode grpo, SafetensorsFile io, int B, int T, int C, int[] ids, int[] lengths, int[] prompt) {
        static Fixture open(String name) throws IOException {
            Path dir = fixture(name);
            JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            SafetensorsFile io = SafetensorsFile.open(dir.resolve("io.safetensors"));
            long[] shape = io.info("input_ids").shape();
            int C = (int) io.info("completion_mask").shape()[1];
            return new Fixture(dir, cfg.get("grpo"), io, (int) shape[0], (int) shape[1], C, io.readInts("input_ids"),
                    io.readInts("lengths"), io.readInts("prompt_lengths"));
        }

        TokenBatch batch(boolean allPositions) {
            List<int[]> seqs = new ArrayList<>();
            int[] first = new int[B];
            for (int b = 0; b < B; b++) {
                seqs.add(java.util.Arrays.copyOfRange(ids, b * T, b * T + lengths[b]));
                first[b] = allPositions ? 1 : prompt[b];
            }
            return TokenBatch.of(seqs, first);
        }

        float temperature() {
            return (float) grpo.path("temperature").asDouble(1.0);
        }

        /** Takes the (B, C) left-aligned per-completion-token values out of packed target order. */
        double[] unpack(TokenBatch batch, float[] packed) {
            double[] out = new double[B * C];
            for (int b = 0; b < B; b++)
                for (int i = batch.targetStart()[b]; i < batch.targetStart()[b + 1]; i++) out[b * C + i - batch.targetStart()[b]] = packed[i];
            return out;
        }
    }

    static Transformer load(Fixture f, String weightsFile, Backend be) throws IOException {
        ModelConfig c = ModelConfig.load(f.dir());
        Transformer m = Transformer.create(c, be);
        try (SafetensorsModel w = SafetensorsModel.of(f.dir().resolve(weightsFile))) {
            m.loadWeights(w);
        }
        return m;
    }

    static double relErr(double[] expected, double[] actual, boolean[] valid) {
        double max = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            if (valid != null && !valid[i]) continue;
            max = Math.max(max, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        return diff / Math.max(max, 1e-30);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Packed rows of a (B, T, d) fixture tensor, in TokenBatch row order. */
    static double[] packRows(Fixture f, double[] btd, int d) {
        int rows = 0;
        for (int len : f.lengths()) rows += len;
        double[] out = new double[rows * d];
        int r = 0;
        for (int b = 0; b < f.B(); b++)
            for (int t = 0; t < f.lengths()[b]; t++, r++) System.arraycopy(btd, (b * f.T() + t) * d, out, r * d, d);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tied-f64", "qwen2-bias-f64", "llama-untied-f64", "qwen3-f64", "nll-f64"})
    void forwardBackwardAndAdamWMatchPyTorch(String name) throws IOException {
        Fixture f = Fixture.open(name);
        Backend be = new CpuBackend();
        Transformer m = load(f, "weights.safetensors", be);
        ModelConfig c = m.config();
        TokenBatch batch = f.batch(false);
        float temperature = f.temperature();

        // every row to the end, so that the hidden states after the last layer and the final norm have all rows; the
        // gradients below come from the default forward, which runs the last layer past attention on the targets only
        m.setTrainTail(false);
        Transformer.Scores s = m.forward(batch, temperature);
        // hidden states after every layer and the final norm
        for (int k = 0; k <= c.numLayers(); k++) {
            double[] expected = packRows(f, f.io().readDoubles("hidden_states." + k), c.hiddenSize());
            assertTrue(relErr(expected, toDouble(m.hiddenState(k)), null) < TOL, name + ": hidden_states." + k);
        }
        double[] fn = packRows(f, f.io().readDoubles("final_norm"), c.hiddenSize());
        assertTrue(relErr(fn, toDouble(m.finalNormOutput()), null) < TOL, name + ": final_norm");

        double[] logps = f.io().readDoubles("logps"), entropy = f.io().readDoubles("entropy"), mask = f.io().readDoubles("completion_mask");
        boolean[] real = new boolean[f.B() * f.C()];
        for (int b = 0; b < f.B(); b++)
            for (int j = 0; j < f.lengths()[b] - f.prompt()[b]; j++) real[b * f.C() + j] = true;
        assertTrue(relErr(logps, f.unpack(batch, s.logp()), real) < TOL, name + ": logps");
        assertTrue(relErr(entropy, f.unpack(batch, s.entropy()), real) < TOL, name + ": entropy");

        // d loss / d logp as the fixture's loss defines it
        float[] dLogp = new float[batch.targets()];
        boolean grpo = f.grpo().path("loss").asText().equals("grpo");
        double[] ref = grpo ? f.io().readDoubles("ref_logps") : null;
        double[] adv = grpo ? f.io().readDoubles("advantages") : null;
        double beta = f.grpo().path("beta").asDouble(0), totalMask = 0;
        for (double v : mask) totalMask += v;
        for (int b = 0; b < f.B(); b++) {
            double rowMask = 0;
            for (int j = 0; j < f.C(); j++) rowMask += mask[b * f.C() + j];
            for (int i = batch.targetStart()[b]; i < batch.targetStart()[b + 1]; i++) {
                int j = i - batch.targetStart()[b];
                double M = mask[b * f.C() + j];
                if (grpo) {
                    double lp = s.logp()[i], r = ref[b * f.C() + j];
                    dLogp[i] = (float) (M / (f.B() * Math.max(1, rowMask)) * (-adv[b] + beta * (1 - Math.exp(r - lp))));
                } else {
                    dLogp[i] = (float) (-M / Math.max(1, totalMask));
                }
            }
        }
        if (grpo) {
            Transformer refModel = load(f, "ref_weights.safetensors", be);
            double[] refLogps = f.unpack(batch, refModel.forward(batch, temperature).logp());
            assertTrue(relErr(ref, refLogps, real) < TOL, name + ": ref_logps");
        }
        m.zeroGrad();
        m.setTrainTail(true);
        m.forward(batch, temperature);
        m.backward(dLogp);
        float[] grads = be.read(m.grads());
        try (SafetensorsFile g = SafetensorsFile.open(f.dir().resolve("grads.safetensors"))) {
            assertEquals(g.tensors().size(), m.layout().params().size(), name + ": number of gradient tensors");
            for (ParameterLayout.Param p : m.layout().params()) {
                double[] expected = g.readDoubles(p.name());
                double[] actual = new double[expected.length];
                for (int i = 0; i < actual.length; i++) actual[i] = grads[(int) p.offset() + i];
                double err = relErr(expected, actual, null);
                assertTrue(err < TOL, name + ": gradient of " + p.name() + " off by " + err);
            }
            // one AdamW step (weight decay on every parameter, as the fixture) from the fixture's own gradients
            float[] oracleGrads = new float[grads.length];
            for (ParameterLayout.Param p : m.layout().params()) g.readFloats(p.name(), oracleGrads, (int) p.offset());
            var gt = be.allocate(grads.length);
            be.write(gt, oracleGrads);
            var mom = be.allocate(grads.length);
            var vel = be.allocate(grads.length);
            be.adamw(m.params(), gt, mom, vel, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
        }
        float[] after = be.read(m.params());
        try (SafetensorsFile w = SafetensorsFile.open(f.dir().resolve("weights_after_adamw.safetensors"))) {
            for (ParameterLayout.Param p : m.layout().params()) {
                double[] expected = w.readDoubles(p.name());
                for (int i = 0; i < expected.length; i++)
                    assertEquals(expected[i], after[(int) p.offset() + i], 1e-6 + 1e-6 * Math.abs(expected[i]), name + ": AdamW " + p.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void logProbsAtEveryPositionMatchTheFullLogits() throws IOException {
        Fixture f = Fixture.open("llama-tied-f64");
        Transformer m = load(f, "weights.safetensors", new CpuBackend());
        checkAllPositions(f, m, f.io().readDoubles("logits"), "f32 weights");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bf16", "f16"})
    void halfPrecisionWeightFilesLoadExactly(String kind) throws IOException {
        Fixture f = Fixture.open("llama-tied-f64");
        Transformer m = load(f, "weights." + kind + ".safetensors", new CpuBackend());
        checkAllPositions(f, m, f.io().readDoubles("logits_" + kind), kind + " weights");
    }

    private static void checkAllPositions(Fixture f, Transformer m, double[] logits, String what) {
        TokenBatch batch = f.batch(true);
        float temperature = f.temperature();
        float[] logp = m.forward(batch, temperature).logp();
        int V = m.config().vocabSize();
        double[] expected = new double[logp.length], actual = toDouble(logp);
        int i = 0;
        for (int b = 0; b < f.B(); b++)
            for (int t = 0; t < f.lengths()[b] - 1; t++, i++) {
                int row = (b * f.T() + t) * V, target = f.ids()[b * f.T() + t + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[row + v] / temperature);
                for (int v = 0; v < V; v++) sum += Math.exp(logits[row + v] / temperature - max);
                expected[i] = logits[row + target] / temperature - max - Math.log(sum);
            }
        assertTrue(relErr(expected, actual, null) < TOL, what + ": log-probs at every position");
    }

    @Test
    void halfPrecisionConversionsAreBitExact() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(fixture("llama-tied-f64").resolve("dtype_cases.safetensors"))) {
            float[] src = f.readFloats("src"), bf = f.readFloats("bf16"), half = f.readFloats("f16");
            for (int i = 0; i < src.length; i++) {
                float expectedBf = bf[i];
                float ours = DType.bf16ToFloat(DType.floatToBf16(src[i]));
                if (Float.isNaN(expectedBf)) assertTrue(Float.isNaN(ours), "bf16 NaN case " + i);
                else assertEquals(Float.floatToRawIntBits(expectedBf), Float.floatToRawIntBits(ours), "bf16 case " + i + " (" + src[i] + ")");
                float oursHalf = Float.float16ToFloat(Float.floatToFloat16(src[i]));
                if (Float.isNaN(half[i])) assertTrue(Float.isNaN(oursHalf), "f16 NaN case " + i);
                else assertEquals(Float.floatToRawIntBits(half[i]), Float.floatToRawIntBits(oursHalf), "f16 case " + i + " (" + src[i] + ")");
            }
        }
    }

    @Test
    void shardedCheckpointLoadsTheSameWeights() throws IOException {
        Backend be = new CpuBackend();
        Transformer sharded = Transformer.load(fixture("llama-tied-f64-sharded"), be);
        Transformer single = load(Fixture.open("llama-tied-f64"), "weights.safetensors", be);
        org.junit.jupiter.api.Assertions.assertArrayEquals(be.read(single.params()), be.read(sharded.params()));
    }
}
