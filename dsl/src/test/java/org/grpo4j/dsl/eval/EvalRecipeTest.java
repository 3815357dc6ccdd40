package org.grpo4j.dsl.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalRecipeTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path MODEL = ROOT.resolve("examples/models/arithmetic-sft");
    static final Path TEST = ROOT.resolve("examples/arithmetic/data/test.jsonl");

    static EvalRecipe recipe(int rows) {
        return EvalRecipe.create().dataset(Dataset.jsonl(TEST).take(rows)).promptTemplate("{prompt}\n").answerColumn("solution")
                .n(3).temperature(1.0).maxTokens(64).quiet();
    }

    @Test
    void shippedModelFiguresAgreeWithTheDetailsAndARunFolderResolvesToItsNewestCheckpoint(@TempDir Path tmp) throws Exception {
        // a run folder whose newest checkpoint holds the same weights: the two rows of the table must be equal
        Path run = tmp.resolve("run");
        for (String ck : List.of("checkpoint-2", "checkpoint-10")) {
            Files.createDirectories(run.resolve(ck));
            try (var files = Files.list(MODEL)) {
                for (Path f : files.toList()) Files.copy(f, run.resolve(ck).resolve(f.getFileName()));
            }
        }
        Files.delete(run.resolve("checkpoint-2/model.safetensors")); // only checkpoint-10 is loadable: it must be the one chosen
        Path out = tmp.resolve("eval");
        EvalResults r = recipe(10).model(MODEL).model(run).outputDir(out).run();
        assertEquals(2, r.models().size());
        assertEquals(run.resolve("checkpoint-10"), r.models().get(1).resolved());
        assertEquals(r.models().get(0).metrics(), r.models().get(1).metrics());

        List<String> keys = List.copyOf(r.first().metrics().keySet());
        assertEquals(List.of("accuracy", "pass@1", "pass@2", "pass@3", "maj@2", "maj@3", "mean_length", "truncated", "rewards/accuracy"), keys);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(out.resolve("details.jsonl"));
        assertEquals(2 * 10 * (1 + 3), lines.size());
        int greedyRight = 0, sampledRight = 0;
        for (String l : lines.subList(0, 40)) {
            JsonNode n = json.readTree(l);
            assertEquals(MODEL.toString(), n.get("model").asText());
            boolean correct = n.get("correct").asBoolean();
            assertEquals(correct, n.get("rewards").get("accuracy").asDouble() == 1.0);
            assertTrue(n.get("row").asText().startsWith(TEST + ":"), n.get("row").asText());
            if (n.get("sample").asText().equals("greedy")) greedyRight += correct ? 1 : 0;
            else sampledRight += correct ? 1 : 0;
        }
        assertEquals(greedyRight / 10.0, r.first().accuracy(), 1e-12);
        assertEquals(sampledRight / 30.0, r.first().metric("pass@1"), 1e-12);
        JsonNode results = json.readTree(out.resolve("results.json").toFile());
        assertEquals(3, results.get("settings").get("n").asInt());
        assertEquals(r.first().accuracy(), results.get("results").get(0).get("metrics").get("accuracy").asDouble(), 1e-12);
        String table = r.table();
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * r.first().accuracy())), table);
    }

    /**
     * A LoRA run's checkpoint (a PEFT adapter folder on the shipped base) evaluates as the base plus its adapters: fresh
     * adapters (B = 0) give exactly the base's figures, and a run folder of adapter checkpoints resolves to the newest.
     */
    @Test
    void aPeftAdapterFolderIsEvaluatedOnItsBase(@TempDir Path tmp) throws Exception {
        var backend = new org.grpo4j.backend.cpu.CpuBackend();
        var config = org.grpo4j.model.ModelConfig.load(MODEL);
        var adapters = new org.grpo4j.lora.LoraAdapters(org.grpo4j.lora.LoraConfig.of(4, 8), config, backend)
                .initialise(3);
        Path adapter = tmp.resolve("run/checkpoint-4");
        org.grpo4j.lora.PeftAdapter.save(adapters, adapter, MODEL.toString());
        EvalResults r = recipe(6).model(MODEL).model(tmp.resolve("run")).run();
        assertEquals(adapter, r.models().get(1).resolved());
        assertEquals(r.models().get(0).metrics(), r.models().get(1).metrics());
        org.grpo4j.lora.PeftAdapter.save(adapters, tmp.resolve("orphan"), "no/such/base");
        var e = assertThrows(IllegalArgumentException.class, () -> recipe(2).model(tmp.resolve("orphan")).run());
        assertTrue(e.getMessage().contains("base_model_name_or_path 'no/such/base' is not a local model folder"), e.getMessage());
    }

    /** A reward of one's own as scorer (as a code reward returns the share of passed tests): full score = correct; no maj@k. */
    @Test
    void anyRewardScores() {
        // half credit for a well-formed answer, full credit only for one that states the gold number
        var partial = org.grpo4j.dsl.reward.Rewards.ofSample("tests_passed", s -> {
            String c = s.completion();
            if (!c.contains("<answer>")) return 0.0;
            return c.contains("<answer>\n" + s.row().get("solution") + "\n</answer>") ? 1.0 : 0.5;
        });
        EvalResults r = recipe(6).rewards(partial).model(MODEL).run();
        EvalResults acc = recipe(6).model(MODEL).run();
        java.util.Map<String, Double> m = r.first().metrics();
        assertEquals(List.of("accuracy", "pass@1", "pass@2", "pass@3", "mean_length", "truncated", "rewards/tests_passed"), List.copyOf(m.keySet()));
        // same seeds, same answers: "states the gold number" and the math verifier agree on this data
        assertEquals(acc.first().accuracy(), r.first().accuracy(), 1e-12);
        assertEquals(acc.first().metric("pass@3"), r.first().metric("pass@3"), 1e-12);
        assertTrue(m.get("rewards/tests_passed") >= r.first().accuracy());
    }

    @Test
    void badInputIsNamed(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(tmp.resolve("adapter/adapter_config.json"), "{}");
        var e = assertThrows(IllegalArgumentException.class, () -> recipe(2).model(tmp.resolve("adapter")).run());
        assertTrue(e.getMessage().contains("PEFT adapter"), e.getMessage());
        var missing = assertThrows(RecipeException.class, () -> recipe(2).answerColumn("gold").model(MODEL).run());
        assertTrue(missing.getMessage().contains("gold"), missing.getMessage());
        var k = assertThrows(IllegalArgumentException.class, () -> recipe(2).ks(5).model(MODEL).run());
        assertTrue(k.getMessage().contains("pass@5"), k.getMessage());
    }
}
