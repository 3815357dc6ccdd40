package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.CpuPackedTensor;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraConfig;
import org.grpo4j.lora.LoraModule;
import org.grpo4j.quant.WeightFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model with a frozen base: gradient checkpointing gives bit-identical gradients; a packed base (bf16 read
 * as is, int8, NF4) computes exactly what an fp32 model holding the widened weights computes, in the forward,
 * the adapters' backward and generation; generation applies the adapters.
 */
class PeftModelTest {
    private final Backend be = new CpuBackend();

    static float[] random(int n, long seed, double scale) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((2 * rng.nextDouble() - 1) * scale);
        return v;
    }

    /** Adapters with non-zero B (PEFT starts B at zero, which would hide half the path). */
    private LoraAdapters adapters(ModelConfig c, double dropout) {
        return adapters(be, c, dropout);
    }

    /** {@link #adapters(ModelConfig, double)} on {@code be} (ScorePassTest's adapters too). */
    static LoraAdapters adapters(Backend be, ModelConfig c, double dropout) {
        LoraAdapters a = new LoraAdapters(new LoraConfig(4, 8, dropout, java.util.EnumSet.allOf(LoraModule.class), false), c, be);
        be.write(a.params(), random((int) a.params().size(), 3, 0.3));
        return a;
    }

    static float[] dLogp(TokenBatch batch) {
        return random(batch.targets(), 5, 0.1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-bias-f64", "qwen3-f64"})
    void checkpointingGivesBitIdenticalGradients(String fixture) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(fixture);
        TokenBatch batch = f.batch(false);
        float[] d = dLogp(batch);
        float[][] full = new float[2][], lora = new float[2][];
        for (int ck = 0; ck < 2; ck++) {
            Transformer m = OracleFixtureTest.load(f, "weights.safetensors", be);
            m.setGradientCheckpointing(ck == 1);
            m.zeroGrad();
            m.forward(batch, 1f);
            m.backward(d);
            full[ck] = be.read(m.grads());

            Transformer p = OracleFixtureTest.load(f, "weights.safetensors", be).withLora(adapters(m.config(), 0.2));
            p.setGradientCheckpointing(ck == 1);
            p.setTraining(true); // dropout on: the recomputed layer must draw the same masks
            p.zeroGrad();
            p.forward(batch, 1f);
            p.backward(d);
            lora[ck] = be.read(p.trainable().grads());
        }
        assertArrayEquals(full[0], full[1], fixture + ": full fine-tune");
        assertArrayEquals(lora[0], lora[1], fixture + ": LoRA with dropout");
    }

    @Test
    void activationPlanShrinksWithCheckpointing() {
        ModelConfig c = org.grpo4j.bench.BenchModels.named("qwen05b");
        long plain = Activations.floatsFor(c, 4 * 192, 4L * c.numHeads() * 192 * 192, 4 * 128, 512, false);
        long ck = Activations.floatsFor(c, 4 * 192, 4L * c.numHeads() * 192 * 192, 4 * 128, 512, true);
        // the 24 layers keep their narrow tensors and share one set of the wide ones (probabilities, gate/up output;
        // the head and the backward scratch stay): 1.48 GiB → 0.67 GiB
        assertEquals(true, ck * 2 < plain, plain + " vs " + ck);
        long narrow = 4L * 192 * (3L * c.hiddenSize() + c.qkvDim() + 2), wide = 4L * c.numHeads() * 192 * 192 + 4L * 192 * 2 * c.intermediateSize();
        assertEquals(plain - (c.numLayers() - 1) * wide, ck, "what checkpointing saves: the wide tensors of all layers but one");
        assertEquals(true, narrow * 2 < wide, "the tensors kept are the narrow ones");
    }

    @Test
    void memoryPlanCountsTheFrozenBaseAdaptersAndCheckpointing(@TempDir Path tmp) throws IOException {
        Path dir = bf16Model(tmp);
        Transformer full = Transformer.load(dir, be);
        MemoryPlan f = MemoryPlan.training(full, 4, 12, 8, true);
        Transformer q = Transformer.load(dir, be, WeightFormat.NF4).withLora(adapters(full.config(), 0.1));
        q.setGradientCheckpointing(true);
        MemoryPlan p = MemoryPlan.training(q, 4, 12, 8, true);
        assertEquals(q.frozenBase().bytes(), p.parameterBytes());
        assertEquals(q.lora().params().size() * 4, p.gradientBytes(), "gradients for the adapters only");
        assertEquals(2 * p.gradientBytes(), p.optimizerBytes(), "AdamW moments for the adapters only");
        assertEquals(0, p.referenceBytes(), "the reference is the base with the adapters off");
        assertEquals(true, full.fixedCopyBytes() > 0, "the CPU lays a small reference model's weights out once");
        assertEquals(f.parameterBytes() + full.fixedCopyBytes() + SequenceParts.scoringActivationBytes(full.config(), 4, 12, 8), f.referenceBytes(),
                "a full fine-tune keeps a reference copy, its fixed weight copies and the activations of its scoring pass");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.requireFits(1000));
        assertEquals(true, e.getMessage().contains("gradient_checkpointing") && e.getMessage().contains("load_in_4bit"), e.getMessage());
    }

    /** A folder holding the llama-tied fixture's BF16 weights as a model. */
    private static Path bf16Model(Path tmp) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open("llama-tied-f64");
        Files.copy(f.dir().resolve("config.json"), tmp.resolve("config.json"));
        Files.copy(f.dir().resolve("weights.bf16.safetensors"), tmp.resolve("model.safetensors"));
        return tmp;
    }

    /** The fp32 twin of a packed model: every packed matrix widened into an fp32 parameter block. */
    private Transformer widened(Transformer packed, Path dir) throws IOException {
        Transformer w = Transformer.load(dir, be);
        FrozenBase b = packed.frozenBase();
        ParameterLayout layout = w.layout();
        for (int l = 0; l < w.config().numLayers(); l++) {
            ParameterLayout.Layer at = layout.layer(l);
            put(w, at.qkvWeight(), b.qkv[l]);
            put(w, at.oWeight(), b.o[l]);
            put(w, at.gateUpWeight(), b.gateUp[l]);
            put(w, at.downWeight(), b.down[l]);
        }
        put(w, layout.embedding(), b.embedding);
        return w;
    }

    private void put(Transformer w, long offset, Tensor packed) {
        float[] v = ((CpuPackedTensor) packed).widen();
        be.write(w.params().slice(offset, v.length), v);
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"BF16", "INT8", "NF4"})
    void packedBaseComputesWhatItsWidenedWeightsCompute(WeightFormat format, @TempDir Path tmp) throws IOException {
        Path dir = bf16Model(tmp);
        Transformer packed = Transformer.load(dir, be, format);
        Transformer twin = widened(packed, dir);
        if (format == WeightFormat.BF16) // read as is: the widened bf16 base is exactly the fp32 load of the same file
            assertArrayEquals(be.read(Transformer.load(dir, be).params()), be.read(twin.params()));
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open("llama-tied-f64");
        TokenBatch batch = f.batch(false);
        packed.withLora(adapters(packed.config(), 0));
        twin.withLora(adapters(twin.config(), 0));
        float[] a = packed.forward(batch, 0.7f).logp(), b = twin.forward(batch, 0.7f).logp();
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-5, format + " log-prob " + i);
        float[] d = dLogp(batch);
        packed.zeroGrad();
        packed.backward(d);
        twin.zeroGrad();
        twin.forward(batch, 0.7f);
        twin.backward(d);
        float[] ga = be.read(packed.trainable().grads()), gb = be.read(twin.trainable().grads());
        double max = 0;
        for (float x : gb) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], 1e-5 * max, format + " adapter gradient " + i);
        assertThrows(IllegalStateException.class, packed::params);
        assertThrows(IllegalStateException.class, () -> Transformer.load(dir, be, format).trainable(), "a packed base alone is not trainable");
        assertEquals(FrozenBase.bytesFor(packed.config(), format), packed.frozenBase().bytes(), "the memory plan's figure");
    }

    @Test
    void packedQwen05bBaseSizes() {
        ModelConfig c = org.grpo4j.bench.BenchModels.named("qwen05b");
        double fp32 = new ParameterLayout(c).size() * 4 / 1e6;
        // linear layers in the format, the tied 151936 × 896 embedding in bf16 (272 MB), norms in fp32
        assertEquals(988, FrozenBase.bytesFor(c, WeightFormat.BF16) / 1e6, 1, "bf16 of " + fp32 + " MB");
        assertEquals(630, FrozenBase.bytesFor(c, WeightFormat.INT8) / 1e6, 5, "int8");
        assertEquals(473, FrozenBase.bytesFor(c, WeightFormat.NF4) / 1e6, 5, "nf4");
    }

    @Test
    void generationAppliesTheAdaptersLikeTheMergedModel(@TempDir Path tmp) throws IOException {
        Path dir = bf16Model(tmp);
        Transformer withLora = Transformer.load(dir, be).withLora(adapters(ModelConfig.load(dir), 0));
        Transformer merged = Transformer.load(dir, be);
        withLora.lora().mergeInto(merged.params(), merged.layout());
        List<int[]> prompts = List.of(new int[] {1, 5, 9}, new int[] {4, 7, 3, 22});
        SamplingParams p = SamplingParams.defaults().withNumGenerations(2).withTemperature(0).withMaxCompletionLength(6).withIgnoreEos(true);
        Generator withLoraGen = new Generator(withLora);
        assertGeneratesLike(merged, withLoraGen, prompts, p);
        // new adapter values (an optimiser step writes them through params()): generation follows them
        be.write(withLora.lora().params(), random((int) withLora.lora().params().size(), 11, 0.3));
        Transformer merged2 = Transformer.load(dir, be);
        withLora.lora().mergeInto(merged2.params(), merged2.layout());
        assertGeneratesLike(merged2, withLoraGen, prompts, p);
        // switched off, the adapters leave the base
        withLora.lora().setEnabled(false);
        List<Completion> off = new Generator(withLora).generate(prompts, p), base = new Generator(Transformer.load(dir, be)).generate(prompts, p);
        for (int i = 0; i < off.size(); i++) assertArrayEquals(base.get(i).tokenIds(), off.get(i).tokenIds());
    }

    private void assertGeneratesLike(Transformer merged, Generator withLora, List<int[]> prompts, SamplingParams p) {
        List<Completion> a = withLora.generate(prompts, p), b = new Generator(merged).generate(prompts, p);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(b.get(i).tokenIds(), a.get(i).tokenIds(), "completion " + i);
            for (int t = 0; t < a.get(i).logprobs().length; t++) assertEquals(b.get(i).logprobs()[t], a.get(i).logprobs()[t], 1e-4);
        }
    }
}
