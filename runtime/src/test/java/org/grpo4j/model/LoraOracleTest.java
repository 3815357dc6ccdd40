package org.grpo4j.model;

import static org.grpo4j.model.OracleFixtureTest.relErr;
import static org.grpo4j.model.OracleFixtureTest.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.cli.MergeCommand;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA against PyTorch ({@code tools/oracle/lora_oracle.py}, fixture {@code lora-qwen2-f64}): a PEFT adapter folder
 * loads onto the fp32 base; log-probs with adapters on, reference log-probs with them off (the same weights), the
 * GRPO gradient of every lora_A / lora_B, and one AdamW step over the adapters only. Then the PEFT round trip and
 * {@code grpo merge}: the merged model's log-probs equal the adapted model's.
 */
class LoraOracleTest {
    static final String NAME = "lora-qwen2-f64";

    record Loaded(OracleFixtureTest.Fixture f, Transformer m, LoraAdapters lora, TokenBatch batch) {}

    static Loaded load(Backend be) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(NAME);
        Transformer m = OracleFixtureTest.load(f, "weights.safetensors", be);
        LoraAdapters lora = PeftAdapter.load(f.dir().resolve("adapter"), m.config(), be);
        m.withLora(lora);
        return new Loaded(f, m, lora, f.batch(false));
    }

    @Test
    void logProbsGradientsAndAdamWMatchPyTorch() throws IOException {
        Backend be = new CpuBackend();
        Loaded x = load(be);
        OracleFixtureTest.Fixture f = x.f();
        TokenBatch batch = x.batch();
        double[] mask = f.io().readDoubles("completion_mask"), adv = f.io().readDoubles("advantages"), ref = f.io().readDoubles("ref_logps");
        boolean[] real = new boolean[f.B() * f.C()];
        for (int b = 0; b < f.B(); b++)
            for (int j = 0; j < f.lengths()[b] - f.prompt()[b]; j++) real[b * f.C() + j] = true;

        x.lora().setEnabled(false);
        double[] refLogps = f.unpack(batch, x.m().forward(batch, 1f).logp());
        assertTrue(relErr(ref, refLogps, real) < OracleFixtureTest.TOL, "reference log-probs = base with adapters off");
        x.lora().setEnabled(true);

        x.m().zeroGrad();
        Transformer.Scores s = x.m().forward(batch, 1f);
        assertTrue(relErr(f.io().readDoubles("logps"), f.unpack(batch, s.logp()), real) < OracleFixtureTest.TOL, "log-probs with adapters");
        double beta = f.grpo().path("beta").asDouble();
        float[] dLogp = new float[batch.targets()];
        for (int b = 0; b < f.B(); b++) {
            double rowMask = 0;
            for (int j = 0; j < f.C(); j++) rowMask += mask[b * f.C() + j];
            for (int i = batch.targetStart()[b]; i < batch.targetStart()[b + 1]; i++) {
                int j = i - batch.targetStart()[b];
                dLogp[i] = (float) (mask[b * f.C() + j] / (f.B() * Math.max(1, rowMask)) * (-adv[b] + beta * (1 - Math.exp(ref[b * f.C() + j] - s.logp()[i]))));
            }
        }
        x.m().backward(dLogp);
        assertThrows(IllegalStateException.class, () -> x.m().grads(), "the frozen base has no gradient block");
        assertTrue(x.m().trainable() == x.lora());
        float[] g = be.read(x.lora().grads());
        try (SafetensorsFile want = SafetensorsFile.open(f.dir().resolve("grads.safetensors"))) {
            assertEquals(2 * x.lora().adapters().size(), want.tensors().size());
            for (LoraAdapters.Adapter ad : x.lora().adapters()) {
                check(want, ad.peftPrefix() + ".lora_A.weight", g, (int) ad.a());
                check(want, ad.peftPrefix() + ".lora_B.weight", g, (int) ad.b());
            }
        }
        new AdamW(x.m().trainable(), new AdamW.Settings(1e-3, 0.9, 0.999, 1e-8, 0.01)).step(1e-3);
        float[] after = be.read(x.lora().params());
        try (SafetensorsFile want = SafetensorsFile.open(f.dir().resolve("adapter_after_adamw.safetensors"))) {
            for (LoraAdapters.Adapter ad : x.lora().adapters())
                for (String part : new String[] {"A", "B"}) {
                    double[] e = want.readDoubles(ad.peftPrefix() + ".lora_" + part + ".weight");
                    int at = (int) (part.equals("A") ? ad.a() : ad.b());
                    for (int i = 0; i < e.length; i++)
                        assertEquals(e[i], after[at + i], 1e-6 + 1e-6 * Math.abs(e[i]), "AdamW " + ad.peftPrefix() + " " + part + "[" + i + "]");
                }
        }
    }

    private static void check(SafetensorsFile want, String name, float[] grads, int at) throws IOException {
        double[] e = want.readDoubles(name);
        double[] a = new double[e.length];
        for (int i = 0; i < a.length; i++) a[i] = grads[at + i];
        double err = relErr(e, a, null);
        assertTrue(err < OracleFixtureTest.TOL, "gradient of " + name + " off by " + err);
    }

    @Test
    void peftFolderRoundTripsAndMergedModelScoresTheSame(@TempDir Path tmp) throws Exception {
        Backend be = new CpuBackend();
        Loaded x = load(be);
        float[] adapted = x.m().forward(x.batch(), 1f).logp();

        PeftAdapter.save(x.lora(), tmp.resolve("adapter"), "base");
        String cfg = Files.readString(tmp.resolve("adapter/adapter_config.json"));
        assertTrue(cfg.contains("\"peft_type\" : \"LORA\"") && cfg.contains("\"q_proj\""), cfg);
        try (SafetensorsFile st = SafetensorsFile.open(tmp.resolve("adapter/adapter_model.safetensors"))) {
            assertTrue(st.tensors().containsKey("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
        }
        LoraAdapters back = PeftAdapter.load(tmp.resolve("adapter"), x.m().config(), be);
        assertEquals(java.util.Arrays.toString(be.read(x.lora().params())), java.util.Arrays.toString(be.read(back.params())));

        // grpo merge writes a plain HF folder whose model computes what base + adapters compute
        Path base = tmp.resolve("base");
        Files.createDirectories(base);
        Files.copy(x.f().dir().resolve("config.json"), base.resolve("config.json"));
        Files.copy(x.f().dir().resolve("weights.safetensors"), base.resolve("model.safetensors"));
        MergeCommand.merge(base, tmp.resolve("adapter"), tmp.resolve("merged"), "f32");
        Transformer merged = Transformer.load(tmp.resolve("merged"), be);
        float[] m = merged.forward(x.batch(), 1f).logp();
        for (int i = 0; i < m.length; i++) assertEquals(adapted[i], m[i], 1e-5, "merged log-prob " + i);
    }

    @Test
    void badAdapterFoldersAreRefusedNamingTheProblem(@TempDir Path tmp) throws Exception {
        Backend be = new CpuBackend();
        Loaded x = load(be);
        Path dir = tmp.resolve("a");
        PeftAdapter.save(x.lora(), dir, "base");
        String cfg = Files.readString(dir.resolve("adapter_config.json"));
        Files.writeString(dir.resolve("adapter_config.json"), cfg.replace("\"use_dora\" : false", "\"use_dora\" : true"));
        IOException e = assertThrows(IOException.class, () -> PeftAdapter.load(dir, x.m().config(), be));
        assertTrue(e.getMessage().contains("use_dora") && e.getMessage().contains("adapter_config.json"), e.getMessage());
        Files.writeString(dir.resolve("adapter_config.json"), cfg);
        ModelConfig other = ModelConfig.load(x.f().dir());
        ModelConfig wider = new ModelConfig(other.architecture(), other.vocabSize(), other.hiddenSize(), other.intermediateSize() * 2,
                other.numLayers(), other.numHeads(), other.numKvHeads(), other.headDim(), other.rmsNormEps(), other.ropeTheta(),
                other.ropeScaling(), other.tieWordEmbeddings(), other.maxPositionEmbeddings(), other.attentionBias(), other.bosTokenId(),
                other.eosTokenIds(), other.torchDtype());
        e = assertThrows(IOException.class, () -> PeftAdapter.load(dir, wider, be));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }
}
