package org.grpo4j.dsl.recipe;

import static org.grpo4j.dsl.recipe.Recipes.grpo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.recipe.GrpoPlan;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.recipe.RecipeException;
import org.grpo4j.dsl.reward.Rewards;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpoRecipeTest {
    @TempDir
    static Path dir;
    static Path model, data;

    @BeforeAll
    static void folders() throws Exception {
        model = TinyModel.create(dir.resolve("model"), 256);
        data = dir.resolve("train.jsonl");
        Files.writeString(data, """
                {"question": "1+1", "answer": "2"}
                {"question": "2+3 and then some more text to make it long", "answer": "5"}
                {"question": "4*2", "answer": "8"}
                {"question": "9-3", "answer": "6"}
                """);
    }

    static GrpoRecipe valid() {
        return grpo().model(model).dataset(Dataset.jsonl(data)).promptColumn("question").reward(Rewards.accuracy())
                .numGenerations(4).perDeviceTrainBatchSize(8).maxPromptLength(64).maxCompletionLength(8).quiet();
    }

    static List<String> problems(GrpoRecipe r) {
        return assertThrows(RecipeException.class, r::validate).problems();
    }

    static void assertProblem(GrpoRecipe r, String expected) {
        List<String> p = problems(r);
        assertTrue(p.contains(expected), "expected problem\n  " + expected + "\namong\n  " + String.join("\n  ", p));
    }

    @Test
    void everyCallReturnsANewRecipe() {
        GrpoRecipe a = grpo();
        GrpoRecipe b = a.numGenerations(4).learningRate(1e-5).reward(Rewards.format().weighted(0.5));
        assertTrue(a.settings().isEmpty());
        assertTrue(a.rewards().isEmpty());
        assertEquals(4, b.settings().get("num_generations"));
        assertEquals(1e-5, b.settings().get("learning_rate"));
        GrpoRecipe c = b.reward(Rewards.accuracy());
        assertEquals(1, b.rewards().size());
        assertEquals(2, c.rewards().size());
        assertEquals(List.of(0.5, 1.0), c.config().get("reward_weights"));
        assertThrows(UnsupportedOperationException.class, () -> c.settings().put("beta", 1.0));
    }

    @Test
    void unknownSettingSuggestsTheClosestAndEveryBadSettingIsReportedTogether() {
        GrpoRecipe r = valid().set("num_generation", 8).set("max_steps", "many").set("learnig_rate", 1e-5);
        List<String> p = problems(r);
        assertEquals(List.of("set(\"num_generation\", 8): unknown GRPO setting 'num_generation' (did you mean 'num_generations'?)",
                "set(\"max_steps\", many): max_steps must be an integer, got many",
                "set(\"learnig_rate\", 1.0E-5): unknown GRPO setting 'learnig_rate' (did you mean 'learning_rate'?)"), p);
        assertTrue(r.toString().contains("INVALID: set(\"num_generation\", 8)"), r.toString()); // the REPL shows it at once
        assertTrue(problems(r.set("max_steps", 3)).size() == 2, "setting the name again corrects it");
    }

    @Test
    void anEmptyRecipeSaysWhatIsMissing() {
        List<String> p = problems(grpo());
        assertTrue(p.contains("model: not set; call .model(\"path/to/model-folder\")"), p.toString());
        assertTrue(p.contains("dataset: not set; call .dataset(Dataset.jsonl(\"data/train.jsonl\"))"), p.toString());
        assertTrue(p.contains("rewards: none; GRPO needs at least one, e.g. .reward(Rewards.accuracy())"), p.toString());
    }

    @Test
    void modelFolderWithoutConfigJson() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty-model"));
        assertProblem(valid().model(empty), "model = '" + empty + "': no config.json in " + empty
                + " (a Hugging Face model folder holds config.json, model.safetensors and the tokenizer files)");
        assertProblem(valid().model(dir.resolve("missing")), "model = '" + dir.resolve("missing") + "': folder not found");
    }

    @Test
    void missingColumnsNameTheFileAndTheColumns() {
        assertProblem(valid().promptColumn("problem"),
                "promptColumn: dataset column 'problem' not found in " + data + "; columns are: question, answer");
        assertProblem(valid().promptColumn("prompt").promptTemplate("Q: {problem}\nA:"),
                "promptTemplate: {problem}: dataset column 'problem' not found in " + data + "; columns are: question, answer");
        assertProblem(valid().reward(Rewards.accuracy("final")),
                "reward 'accuracy' reads gold answers from dataset column 'final' not found in " + data + "; columns are: question, answer");
    }

    @Test
    void aPromptLongerThanMaxPromptLengthNamesItsRow() {
        // row 2 has 43 characters = 43 tokens with the character tokenizer
        assertProblem(valid().maxPromptLength(10), "max_prompt_length = 10: the prompt of " + data
                + ":2 has 43 tokens after templating; raise max_prompt_length or shorten the prompts");
        assertProblem(valid().maxPromptLength(2), "max_prompt_length = 2: the prompt of " + data
                + ":1 has 3 tokens after templating (3 more rows are too long; the longest has 43 tokens); raise max_prompt_length or shorten the prompts");
    }

    @Test
    void settingsRulesAndOtherProblemsAreReportedTogether() {
        List<String> p = problems(valid().numGenerations(3).set("reward_weights", List.of(1.0, 2.0)).device("tpu").testSplit(1.5));
        assertTrue(p.contains("the generation batch (per_device_train_batch_size × steps_per_generation = 8 completions) must be divisible by num_generations = 3"), p.toString());
        assertTrue(p.contains("reward_weights has 2 weights but the recipe has 1 reward functions"), p.toString());
        assertTrue(p.contains("device = 'tpu' is not known to this build; it knows cpu only (the tornado-kernels module, which provides opencl, is not on the class path)"), p.toString());
        assertTrue(p.contains("testSplit = 1.5 must be between 0 and 1 (exclusive)"), p.toString());
    }

    @Test
    void openclWithoutTheBackendOnTheClassPath() {
        assertProblem(valid().device("opencl"), "device = 'opencl' is not known to this build; it knows cpu only "
                + "(the tornado-kernels module, which provides opencl, is not on the class path)");
    }

    @Test
    void aTokenizerWithoutChatTemplate() throws Exception {
        Path tok = Files.createDirectories(dir.resolve("plain-tokenizer"));
        Files.copy(model.resolve("tokenizer.json"), tok.resolve("tokenizer.json"));
        Files.writeString(tok.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        List<String> p = problems(valid().tokenizer(tok).systemPrompt("Be brief."));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().startsWith("chatTemplate: the tokenizer ") && p.getFirst().endsWith(
                "has no chat template (chat_template in tokenizer_config.json), which systemPrompt needs; use promptTemplate(\"…{question}…\") instead"), p.getFirst());
    }

    @Test
    void badRowsInTheDataAreReportedBeforeWork() throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"question\": \"1+1\", \"answer\": \"2\"}\n{\"question\": \n");
        List<String> p = problems(valid().dataset(Dataset.jsonl(bad)));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().startsWith("dataset: " + bad + ":2: malformed JSON: "), p.getFirst());
    }

    @Test
    void aRowWithoutItsPromptIsAnErrorNamingFileAndRowWithOrWithoutATemplate() throws Exception {
        Path holes = dir.resolve("holes.jsonl");
        Files.writeString(holes, "{\"question\": \"1+1\", \"answer\": \"2\"}\n{\"question\": null, \"answer\": \"5\"}\n{\"answer\": \"8\"}\n");
        String fix = "; fix the row, or drop such rows with .filter(r -> r.get(\"question\") != null)";
        for (GrpoRecipe r : List.of(valid().dataset(Dataset.jsonl(holes)), valid().dataset(Dataset.jsonl(holes)).promptTemplate("Q: {question}\nA:"))) {
            assertProblem(r, holes + ":2: the prompt column 'question' is null" + fix);
            assertProblem(r, holes + ":3: the prompt column 'question' is missing" + fix);
        }
    }

    @Test
    void promptsAreTemplatedAndTokenised() {
        GrpoPlan plan = valid().promptColumn("prompt").promptTemplate("Q: {question}\nA:").build();
        assertEquals("Q: 1+1\nA:", plan.train().getFirst().text());
        assertEquals(plan.train().getFirst().text().length(), plan.train().getFirst().ids().length);
        assertEquals("2", plan.train().getFirst().row().get("answer"));
        assertTrue(plan.eval().isEmpty());
        GrpoPlan chat = valid().systemPrompt("Be brief.").testSplit(0.25, 1).maxPromptLength(128).build();
        assertEquals(3, chat.train().size());
        assertEquals(1, chat.eval().size());
        String text = chat.train().getFirst().text();
        assertTrue(text.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n") && text.endsWith("<|im_end|>\n<|im_start|>assistant\n"), text);
        assertEquals(1, chat.stopTokenIds().length);
        GrpoPlan plain = valid().build();
        assertFalse(plain.train().getFirst().text().contains("<|im_start|>"));
    }
}
