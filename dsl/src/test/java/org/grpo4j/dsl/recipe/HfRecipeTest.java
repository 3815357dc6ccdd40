package org.grpo4j.dsl.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.data.HfFixtures;
import org.grpo4j.dsl.reward.Rewards;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recipes on Hugging Face dataset folders: the YAML dataset settings, and a GRPO run on a Parquet folder. */
class HfRecipeTest {
    @TempDir
    static Path dir;
    static Path model, numina;

    @BeforeAll
    static void files() throws Exception {
        model = TinyModel.create(dir.resolve("model"), 128);
        numina = HfFixtures.numinaMathTir(dir.resolve("NuminaMath-TIR"), 24, 4);
    }

    static Path yaml(String name, String datasetLines) throws Exception {
        return Files.writeString(dir.resolve(name), """
                model_name_or_path: model
                %s
                system_prompt: "Add."
                reward_funcs: [accuracy]
                num_generations: 4
                per_device_train_batch_size: 8
                max_completion_length: 4
                max_prompt_length: 64
                learning_rate: 1.0e-3
                max_steps: 2
                logging_steps: 1
                save_steps: 100
                eval_steps: 100
                output_dir: %s
                """.formatted(datasetLines, dir.resolve("run-" + name)));
    }

    @Test
    void aGrpoRunOnAParquetFolderTrains() throws Exception {
        Path y = yaml("numina.yaml", """
                dataset_name: NuminaMath-TIR
                dataset_train_split: train
                dataset_test_split: test
                dataset_prompt_column: problem""");
        GrpoRecipe r = Recipes.fromYaml(y).quiet();
        assertEquals(24, r.dataset().size());
        assertEquals(4, r.evalDataset().size());
        GrpoPlan plan = r.build();
        assertEquals("<|im_start|>system\nAdd.<|im_end|>\n<|im_start|>user\n3+3=?<|im_end|>\n<|im_start|>assistant\n", plan.train().get(3).text());
        assertEquals("The sum is \\boxed{6}", plan.train().get(3).row().get("solution")); // other columns reach the rewards
        GrpoResult result = r.train();
        assertEquals(2, result.steps());
        assertTrue(Files.readString(dir.resolve("run-numina.yaml/metrics.jsonl")).contains("\"rewards/accuracy/mean\""));
    }

    @Test
    void aMessagesColumnPromptsWithoutItsAnswer() {
        // no prompt column: the messages stand in, without the assistant's answer that ends them
        GrpoPlan plan = Recipes.grpo().model(model).dataset(Dataset.hf(numina)).reward(Rewards.accuracy()).maxPromptLength(64).maxCompletionLength(4).build();
        assertEquals("<|im_start|>user\n3+3=?<|im_end|>\n<|im_start|>assistant\n", plan.train().get(3).text());
    }

    @Test
    void yamlDatasetSettingsNameWhatIsWrong() throws Exception {
        var e = assertThrows(RecipeException.class, () -> Recipes.fromYaml(yaml("bad-split.yaml", """
                dataset_name: NuminaMath-TIR
                dataset_train_split: training""")));
        assertTrue(e.problems().contains("dataset_name: " + numina + ": no split 'training' in config 'default'; splits are: train, test"),
                e.problems().toString());
        e = assertThrows(RecipeException.class, () -> Recipes.fromYaml(yaml("bad-config.yaml", """
                dataset_name: NuminaMath-TIR
                dataset_config: extended""")));
        assertTrue(e.problems().contains("dataset_name: " + numina + ": no config 'extended'; configs are: default"), e.problems().toString());
        e = assertThrows(RecipeException.class, () -> Recipes.fromYaml(yaml("file-split.yaml", """
                dataset_name: NuminaMath-TIR/data/train-00000-of-00001.parquet
                dataset_test_split: test""")));
        assertTrue(e.problems().getFirst().startsWith("dataset_test_split = 'test': dataset_name " + numina.resolve("data/train-00000-of-00001.parquet")
                + " is one file, which has no other split"), e.problems().toString());
        // a fraction still holds rows out of a single file
        GrpoRecipe r = Recipes.fromYaml(yaml("fraction.yaml", """
                dataset_name: NuminaMath-TIR/data/train-00000-of-00001.parquet
                dataset_prompt_column: problem
                dataset_test_split: 0.25"""));
        assertEquals(0.25, r.testSplit());
    }

    @Test
    void aPromptColumnOfTheWrongTypeNamesFileRowAndColumn() throws Exception {
        Path f = HfFixtures.parquet(dir.resolve("wrong/data/train-00000-of-00001.parquet"),
                "SELECT CASE WHEN i = 2 THEN NULL ELSE i || '+1' END AS prompt, [i, i] AS ids, CAST(i + 1 AS VARCHAR) AS solution FROM range(4) t(i)");
        var e = assertThrows(RecipeException.class, () -> Recipes.grpo().model(model).dataset(Dataset.hf(dir.resolve("wrong"))).reward(Rewards.accuracy())
                .maxPromptLength(64).maxCompletionLength(4).build());
        assertEquals(List.of(f + " row 3: the prompt column 'prompt' is null; fix the row, or drop such rows with .filter(r -> r.get(\"prompt\") != null)"), e.problems());
        e = assertThrows(RecipeException.class, () -> Recipes.grpo().model(model).dataset(Dataset.hf(dir.resolve("wrong"))).promptColumn("ids")
                .reward(Rewards.accuracy()).maxPromptLength(64).maxCompletionLength(4).build());
        assertEquals(f + " row 1: the prompt cannot be formatted: column 'ids' holds list<int64>, but a prompt is text or a list of {role, content} messages",
                e.problems().getFirst());
    }
}
