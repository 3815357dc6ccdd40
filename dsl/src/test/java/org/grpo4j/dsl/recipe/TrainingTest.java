package org.grpo4j.dsl.recipe;

import static org.grpo4j.dsl.recipe.Recipes.grpo;
import static org.grpo4j.dsl.recipe.Recipes.sft;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.recipe.GrpoResult;
import org.grpo4j.dsl.recipe.RecipeException;
import org.grpo4j.dsl.recipe.Recipes;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.dsl.recipe.SftPlan;
import org.grpo4j.dsl.recipe.SftResult;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.model.Transformer;
import org.grpo4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
    static Dataset sums(int n) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("question", i + "+" + (i % 3));
            row.put("answer", String.valueOf(i + i % 3));
            rows.add(row);
        }
        return Dataset.of(rows);
    }

    @Test
    void aTinyGrpoRecipeTrainsTwoStepsAndCheckpoints(@TempDir Path dir) throws Exception {
        Path model = TinyModel.create(dir.resolve("model"), 64);
        Path out = dir.resolve("run");
        GrpoRecipe recipe = grpo().model(model).dataset(sums(10)).testSplit(0.2).promptTemplate("{question}=")
                .reward(Rewards.accuracy()).reward(Rewards.of("short", (completion, row) -> completion.length() < 3 ? 1.0 : 0.0).weighted(0.5))
                .numGenerations(4).perDeviceTrainBatchSize(8).maxCompletionLength(4).maxPromptLength(16)
                .learningRate(1e-3).maxSteps(2).loggingSteps(1).saveSteps(1).outputDir(out).quiet();
        Evaluation.Result before = Recipes.evaluate(recipe);
        assertEquals(2, before.prompts());
        GrpoResult r = Recipes.train(recipe);
        assertEquals(2, r.steps());
        assertFalse(r.stopped());
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> !l.contains("eval/")).count());
        assertTrue(Files.readString(out.resolve("metrics.jsonl")).contains("\"rewards/short/mean\""));
        assertEquals(out.resolve("checkpoint-2"), r.checkpoint());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "trainer_state.json"))
            assertTrue(Files.exists(r.checkpoint().resolve(f)), f);
        assertEquals(2, r.evaluation().prompts());
        assertTrue(r.accuracy() >= 0 && r.accuracy() <= 1);
        assertTrue(r.metrics().containsKey("eval/accuracy"), r.metrics().toString());
        assertEquals(List.of(1.0, 0.5), recipe.config().get("reward_weights"));
    }

    /** Issue 19: every adv_estimator trains from the DSL in one line, with and without the KL penalty in the reward, and logs verl's metrics. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"grpo,false", "rloo,false", "reinforce_plus_plus,false", "remax,false", "gae,false", "grpo,true",
            "rloo,true", "reinforce_plus_plus,true", "remax,true", "gae,true"})
    void everyEstimatorTrainsFromTheDsl(String estimator, boolean klInReward, @TempDir Path dir) throws Exception {
        Path model = TinyModel.create(dir.resolve("model"), 64);
        Path out = dir.resolve("run");
        GrpoRecipe recipe = grpo().model(model).dataset(sums(8)).promptTemplate("{question}=").reward(Rewards.accuracy())
                .numGenerations(4).perDeviceTrainBatchSize(8).maxCompletionLength(4).maxPromptLength(16).learningRate(1e-3).maxSteps(1)
                .loggingSteps(1).saveSteps(100).outputDir(out).quiet()
                .set("adv_estimator", estimator).set("use_kl_in_reward", klInReward);
        assertEquals(1, Recipes.train(recipe).steps());
        String metrics = Files.readString(out.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"critic/advantages/mean\""), metrics);
        assertEquals(estimator.equals("gae"), metrics.contains("\"critic/vf_loss\""), metrics);
        assertEquals(klInReward, metrics.contains("\"actor/reward_kl_penalty\""), metrics);
        assertEquals(klInReward, Files.exists(out.resolve("checkpoint-1/kl_ctrl.json")));
        assertEquals(estimator.equals("gae"), Files.exists(out.resolve("checkpoint-1/critic/value_head.safetensors")));
    }

    @Test
    void aTimeLimitStopsTheRunWithACheckpointAndSaysWhy(@TempDir Path dir) throws Exception {
        Path model = TinyModel.create(dir.resolve("model"), 64);
        Path out = dir.resolve("run");
        GrpoRecipe recipe = grpo().model(model).dataset(sums(10)).promptTemplate("{question}=").reward(Rewards.accuracy())
                .numGenerations(4).perDeviceTrainBatchSize(8).maxCompletionLength(4).maxPromptLength(16)
                .maxSteps(1_000_000).loggingSteps(1000).saveSteps(1_000_000).outputDir(out).quiet();
        var limit = Recipes.timeLimit(2);
        GrpoResult r = Recipes.train(recipe, limit);
        assertTrue(r.stopped());
        assertTrue(r.steps() > 0 && r.steps() < 1_000_000, "steps " + r.steps());
        assertEquals("time limit of 2.0 s", limit.reason());
        assertEquals(out.resolve("checkpoint-" + r.steps()), r.checkpoint());
        assertEquals("time limit = 0.0 s must be positive", assertThrows(IllegalArgumentException.class, () -> Recipes.timeLimit(0)).getMessage());
    }

    @Test
    void aModelLargerThanTheMemoryIsRefusedWithItsBreakdownBeforeLoading(@TempDir Path dir) throws Exception {
        Path model = TinyModel.create(dir.resolve("model"), 64);
        // a Qwen2.5-7B-shaped config.json beside the tiny weights: loading them would fail on the first shape, so the
        // memory refusal shows the plan was checked before any weight was read
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(model.resolve("config.json").toFile());
        cfg.put("vocab_size", 152064).put("hidden_size", 3584).put("intermediate_size", 18944).put("num_hidden_layers", 28)
                .put("num_attention_heads", 28).put("num_key_value_heads", 4).put("head_dim", 128);
        json.writeValue(model.resolve("config.json").toFile(), cfg);
        GrpoRecipe recipe = grpo().model(model).dataset(sums(4)).promptTemplate("{question}=").reward(Rewards.accuracy())
                .numGenerations(4).perDeviceTrainBatchSize(8).maxCompletionLength(4).maxPromptLength(16).maxSteps(1).outputDir(dir.resolve("run")).quiet();
        var e = assertThrows(IllegalStateException.class, () -> Recipes.train(recipe));
        assertTrue(e.getMessage().startsWith("training needs ") && e.getMessage().matches("(?s).*parameters [12][0-9]\\.[0-9][0-9] GiB.*") && e.getMessage().contains("AdamW ")
                && e.getMessage().contains("The model's parameters alone do not fit") && e.getMessage().contains("heap limit"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("run")), "nothing was started");
    }

    @Test
    void evaluateNeedsHeldOutPrompts(@TempDir Path dir) throws Exception {
        Path model = TinyModel.create(dir.resolve("model"), 64);
        var e = assertThrows(RecipeException.class, () -> Recipes.evaluate(grpo().model(model).dataset(sums(4)).promptColumn("question")
                .reward(Rewards.accuracy()).maxPromptLength(16).maxCompletionLength(4)));
        assertEquals(List.of("evaluate: no held-out prompts; set .evalDataset(...) or .testSplit(0.1)"), e.problems());
    }

    @Test
    void aNewModelWithACharTokenizerLearnsBySftAndLoadsBack(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sft"), saved = dir.resolve("tiny");
        Dataset data = sums(12).map(r -> Map.of("prompt", r.get("question") + "=", "completion", r.get("answer")));
        SftResult r = sft().newModel("qwen2", 32, 2, 4, 2, 64).charTokenizer().dataset(data)
                .learningRate(1e-2).maxSteps(4).perDeviceTrainBatchSize(4).maxLength(16).loggingSteps(1)
                .outputDir(out).saveModelTo(saved).quiet().train();
        assertEquals(4, r.steps());
        assertTrue(Double.isFinite(r.trainLoss()));
        assertEquals(saved, r.modelDir());
        assertTrue(Files.exists(out.resolve("metrics.jsonl")));
        assertTrue(Files.exists(out.resolve("checkpoint-4").resolve("tokenizer.json")));
        Transformer m = Transformer.load(saved, new CpuBackend());
        Tokenizer tok = Tokenizer.load(saved);
        assertEquals(tok.vocabSize(), m.config().vocabSize());
        assertEquals("11+2=13", tok.decode(tok.encode("11+2=13", false), false));
        assertEquals(16, m.config().maxPositionEmbeddings());
        assertArrayEquals(new int[] {tok.eosTokenId().getAsInt()}, m.config().eosTokenIds());
        // the SFT model is the start of a GRPO recipe
        assertEquals(12, grpo().model(saved).dataset(data).reward(Rewards.accuracy("completion")).maxPromptLength(8).maxCompletionLength(4)
                .build().train().size());
    }

    @Test
    void conversationsTrainOnTheAssistantTurnWithTheTemplatesEndOfTurn() {
        Dataset chats = Dataset.of(List.of(Map.of("messages", List.of(Map.of("role", "user", "content", "1+1"), Map.of("role", "assistant", "content", "2")))));
        SftPlan plan = sft().newModel("llama", 16, 1, 2, 1, 32).charTokenizer().dataset(chats).systemPrompt("Add.").build();
        Tokenizer tok = plan.tokenizer();
        assertEquals("<|im_start|>system\nAdd.<|im_end|>\n<|im_start|>user\n1+1<|im_end|>\n<|im_start|>assistant\n",
                tok.decode(plan.train().getFirst().prompt(), false));
        assertEquals("2<|im_end|>\n", tok.decode(plan.train().getFirst().completion(), false));
        var e = assertThrows(RecipeException.class, () -> sft().newModel("qwen2", 30, 1, 4, 2, 32).charTokenizer().dataset(sums(2)).set("max_lenght", 8).validate());
        assertTrue(e.problems().contains("set(\"max_lenght\", 8): unknown SFT setting 'max_lenght' (did you mean 'max_length'?)"), e.problems().toString());
        assertTrue(e.problems().contains("newModel: hidden = 30 must be a multiple of heads = 4"), e.problems().toString());
        assertTrue(e.problems().contains("promptColumn: dataset column 'prompt' not found in rows; columns are: question, answer"), e.problems().toString());
        assertTrue(e.problems().contains("completionColumn: dataset column 'completion' not found in rows; columns are: question, answer"), e.problems().toString());
    }
}
