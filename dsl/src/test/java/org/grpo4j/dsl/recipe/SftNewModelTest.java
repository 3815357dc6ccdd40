package org.grpo4j.dsl.recipe;

import static org.grpo4j.dsl.recipe.Recipes.sft;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;
import org.grpo4j.sft.SftConfig;
import org.grpo4j.sft.SftExample;
import org.grpo4j.sft.SftTrainer;
import org.grpo4j.tokenizer.CharTokenizer;
import org.grpo4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new model from the SFT recipe — its settings beyond the shape ({@code initializer_range}, {@code rms_norm_eps},
 * {@code rope_theta}, {@code tie_word_embeddings}, {@code max_position_embeddings}) and the character tokenizer's
 * special tokens — is the model one builds by hand from the runtime's constructors, to the bit.
 */
class SftNewModelTest {
    static Dataset rows() {
        return rows(0, 12);
    }

    static Dataset rows(int from, int to) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = from; i < to; i++)
            rows.add(Map.of("prompt", "What is " + i + " plus " + (i % 4) + "?", "completion", "<answer>" + (i + i % 4) + "</answer>", "kind", "add"));
        return Dataset.of(rows);
    }

    static final List<String> EXTRA = List.of("Make 9: combine 1, 2 and 6.");

    static SftRecipe recipe(Dataset train, Dataset eval) {
        return sft().newModel("llama", 32, 2, 2, 1, 64).initializerRange(0.08).rmsNormEps(1e-5).ropeTheta(5e5).tieWordEmbeddings(false)
                .maxPositionEmbeddings(96).charTokenizer(EXTRA, List.of("<|endoftext|>")).dataset(train).evalDataset(eval)
                .promptTemplate("{prompt}\n").completionColumn("completion").learningRate(3e-3).set("lr_scheduler_type", "cosine")
                .set("warmup_steps", 2).perDeviceTrainBatchSize(4).maxLength(48).maxSteps(3).set("weight_decay", 0.01).seed(42).quiet();
    }

    @Test
    void theRecipesNewModelIsTheHandBuiltOneToTheBit(@TempDir Path dir) throws Exception {
        Dataset train = rows(0, 9), eval = rows(9, 12);
        // by hand: the characters of prompts, completions and the extra text; <|endoftext|> alone as EOS
        List<String> corpus = new ArrayList<>(EXTRA);
        for (Dataset d : List.of(train, eval))
            for (Map<String, Object> r : d.rows()) corpus.addAll(List.of((String) r.get("prompt"), (String) r.get("completion"), (String) r.get("kind")));
        CharTokenizer chars = CharTokenizer.build(corpus, List.of("<|endoftext|>"));
        Tokenizer tok = chars.tokenizer();
        int eos = tok.id("<|endoftext|>").getAsInt();
        ModelConfig config = new ModelConfig(Architecture.LLAMA, chars.vocabSize(), 32, 64, 2, 2, 1, 16, 1e-5f, 5e5, null, false, 96, false, -1,
                new int[] {eos}, "float32");

        SftPlan plan = recipe(train, eval).outputDir(dir.resolve("recipe")).saveModelTo(dir.resolve("recipe-model")).build();
        assertEquals(chars.tokenizerJson(), plan.charTokenizer().tokenizerJson());
        assertEquals(chars.tokenizerConfigJson(), plan.charTokenizer().tokenizerConfigJson());
        assertEquals(config, plan.modelConfig());
        assertEquals(0.08, plan.initializerRange());
        assertFalse(tok.id("{").isPresent(), "the template's placeholder is not text the model sees");
        List<SftExample> trainEx = examples(train, tok, eos), evalEx = examples(eval, tok, eos);
        for (int i = 0; i < trainEx.size(); i++) {
            assertArrayEquals(trainEx.get(i).prompt(), plan.train().get(i).prompt());
            assertArrayEquals(trainEx.get(i).completion(), plan.train().get(i).completion());
        }
        assertEquals(evalEx.size(), plan.eval().size());

        Path tokDir = dir.resolve("tokenizer");
        chars.save(tokDir);
        Transformer model = Transformer.create(config, new CpuBackend()).initialise(42, 0.08);
        var builder = SftConfig.builder();
        plan.recipe().settings().forEach(builder::set);
        SftConfig settings = builder.set("output_dir", dir.resolve("hand").toString()).build();
        new SftTrainer(model, settings, trainEx, evalEx, tokDir, null, null).train();
        model.save(dir.resolve("hand-model"), DType.F32);

        SftResult r = Training.train(plan, new org.grpo4j.train.StopSignal(), t -> {});
        assertEquals(3, r.steps());
        for (String f : List.of("model.safetensors", "config.json"))
            assertArrayEquals(Files.readAllBytes(dir.resolve("hand-model").resolve(f)), Files.readAllBytes(r.modelDir().resolve(f)), f);
        assertArrayEquals(Files.readAllBytes(tokDir.resolve("tokenizer.json")), Files.readAllBytes(r.modelDir().resolve("tokenizer.json")));
    }

    private static List<SftExample> examples(Dataset d, Tokenizer tok, int eos) {
        List<SftExample> out = new ArrayList<>();
        for (Map<String, Object> r : d.rows()) {
            int[] c = tok.encode((String) r.get("completion"));
            int[] withEos = Arrays.copyOf(c, c.length + 1);
            withEos[c.length] = eos;
            out.add(new SftExample(tok.encode(r.get("prompt") + "\n"), withEos));
        }
        return out;
    }

    @Test
    void theDefaultsAreHfsAndChatMl() {
        SftPlan plan = sft().newModel("qwen2", 32, 1, 2, 2, 64).charTokenizer().dataset(rows()).promptTemplate("Q: {prompt} {{\n").maxLength(40).build();
        ModelConfig c = plan.modelConfig();
        assertEquals((float) SftRecipe.RMS_NORM_EPS, c.rmsNormEps());
        assertEquals(SftRecipe.ROPE_THETA, c.ropeTheta());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(40, c.maxPositionEmbeddings());
        assertEquals(SftRecipe.INITIALIZER_RANGE, plan.initializerRange());
        assertEquals("<|im_end|>", plan.tokenizer().decode(new int[] {plan.tokenizer().eosTokenId().getAsInt()}, false));
        // the template's literal text is in the vocabulary ("Q", and "{" written as "{{"); the placeholder's braces are not
        assertTrue(plan.tokenizer().id("Q").isPresent() && plan.tokenizer().id("{").isPresent());
        assertFalse(plan.tokenizer().id("}").isPresent());
    }

    @Test
    void badSettingsAreListedWithTheirHfNames(@TempDir Path dir) throws Exception {
        var e = assertThrows(RecipeException.class, () -> sft().newModel("llama", 32, 1, 2, 2, 64).initializerRange(0).rmsNormEps(-1e-5)
                .ropeTheta(Double.NaN).maxPositionEmbeddings(0).charTokenizer(List.of(), Arrays.asList("<unk>", "", "<|eot|>", "<|eot|>", null))
                .dataset(rows()).validate());
        for (String p : List.of("initializerRange = 0.0 (initializer_range) must be a positive number",
                "rmsNormEps = -1.0E-5 (rms_norm_eps) must be a positive number", "ropeTheta = NaN (rope_theta) must be a positive number",
                "maxPositionEmbeddings = 0 (max_position_embeddings) must be positive",
                "charTokenizer: special token <unk> is always id 0; list only the others",
                "charTokenizer: special token \"\" in [<unk>, , <|eot|>, <|eot|>, null]; each is a non-empty text",
                "charTokenizer: special token <|eot|> is listed twice in [<unk>, , <|eot|>, <|eot|>, null]",
                "charTokenizer: special token null in [<unk>, , <|eot|>, <|eot|>, null]; each is a non-empty text"))
            assertTrue(e.problems().contains(p), p + " in " + e.problems());
        e = assertThrows(RecipeException.class, () -> sft().newModel("llama", 32, 1, 2, 2, 64).charTokenizer(List.of(), List.of()).dataset(rows()).validate());
        assertTrue(e.problems().contains("charTokenizer: no special tokens; completions must end with one (EOS), e.g. List.of(\"<|endoftext|>\")"), e.problems().toString());

        // a loaded model keeps its weights and config; a given ModelConfig holds its own settings
        Path model = dir.resolve("m");
        Transformer.create(sft().newModel("llama", 32, 1, 2, 2, 64).charTokenizer().dataset(rows()).maxLength(40).build().modelConfig(), new CpuBackend())
                .initialise(1, 0.02).save(model);
        e = assertThrows(RecipeException.class, () -> sft().model(model).initializerRange(0.08).rmsNormEps(1e-5).tieWordEmbeddings(true).dataset(rows()).validate());
        assertTrue(e.problems().contains("initializerRange = 0.08: only a new model's weights are drawn at random; .model(" + model + ") loads its own"), e.problems().toString());
        assertTrue(e.problems().contains("rmsNormEps, tieWordEmbeddings: only for .newModel(architecture, hidden, layers, heads, kvHeads, ffn); a loaded model's config.json holds its own"),
                e.problems().toString());
        ModelConfig given = ModelConfig.load(model);
        e = assertThrows(RecipeException.class, () -> sft().newModel(given).ropeTheta(1e6).charTokenizer().dataset(rows()).validate());
        assertTrue(e.problems().contains("ropeTheta: only for .newModel(architecture, hidden, layers, heads, kvHeads, ffn); the ModelConfig given to .newModel(config) holds its own"),
                e.problems().toString());
        // the init std applies to a given ModelConfig too
        assertEquals(0.05, sft().newModel(given).initializerRange(0.05).charTokenizer().dataset(rows()).maxLength(40).build().initializerRange());
    }
}
