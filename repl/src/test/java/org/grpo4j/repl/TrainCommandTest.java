package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: `./grpo train --config recipe.yaml [--name value …]` and `./grpo run recipe.yaml` train a TRL/open-r1 YAML recipe. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private Path recipe() throws Exception {
        Path model = Path.of("").toAbsolutePath().getParent().resolve("examples/models/arithmetic-sft");
        Files.writeString(dir.resolve("data.jsonl"), "{\"prompt\": \"What is 1 plus 2?\", \"solution\": \"3\"}\n{\"prompt\": \"What is 2 plus 2?\", \"solution\": \"4\"}\n");
        Path yaml = dir.resolve("recipe.yaml");
        Files.writeString(yaml, """
                model_name_or_path: %s
                dataset_name: data.jsonl
                prompt_template: "{prompt}\\n"
                reward_funcs: [accuracy, format]
                num_generations: 4
                per_device_train_batch_size: 4
                max_completion_length: 6
                max_steps: 50
                logging_steps: 1
                learning_rate: 1.0e-4
                lr_scheduler_type: cosine_with_min_lr
                lr_scheduler_kwargs:
                  min_lr_rate: 0.5
                output_dir: %s
                """.formatted(model, dir.resolve("run")));
        return yaml;
    }

    private static List<Double> learningRates(Path metrics) throws Exception {
        ObjectMapper m = new ObjectMapper();
        return Files.readAllLines(metrics).stream().map(l -> {
            try {
                return m.readTree(l).get("learning_rate").asDouble();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    @Test
    void trainRunsTheYamlRecipeWithCommandLineOverrides() throws Exception {
        Path yaml = recipe();
        int code = Main.run(new String[] {"train", "--config", yaml.toString(), "--max_steps", "2", "--learning_rate", "2e-4", "--log_completions"});
        assertEquals(0, code);
        Path run = dir.resolve("run");
        assertTrue(Files.exists(run.resolve("checkpoint-2/model.safetensors")), "the overridden max_steps ends at step 2");
        List<Double> lrs = learningRates(run.resolve("metrics.jsonl"));
        assertEquals(2, lrs.size());
        assertEquals(2e-4, lrs.getFirst(), 1e-12, "the command line's learning_rate wins over the file's");
        assertTrue(lrs.get(1) >= 1e-4 - 1e-12, "cosine_with_min_lr keeps min_lr_rate 0.5 of 2e-4 as its floor: " + lrs);
    }

    /** Issue 19: every adv_estimator trains from a YAML recipe (here as a command-line override of the file's key); PPO keeps its critic. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"grpo", "rloo", "reinforce_plus_plus", "remax", "gae"})
    void everyEstimatorTrainsFromAYamlRecipe(String estimator) throws Exception {
        Path yaml = recipe();
        Files.writeString(yaml, Files.readString(yaml) + "adv_estimator: rloo\nuse_kl_in_reward: true\nkl_coef: 0.01\n");
        Path run = dir.resolve("run-" + estimator);
        int code = Main.run(new String[] {"train", "--config", yaml.toString(), "--max_steps", "1", "--adv_estimator", estimator, "--output_dir", run.toString()});
        assertEquals(0, code);
        String metrics = Files.readString(run.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"actor/reward_kl_penalty_coeff\":0.01") && metrics.contains("\"critic/advantages/mean\""), metrics);
        assertEquals(estimator.equals("gae"), metrics.contains("\"critic/vf_explained_var\""), metrics);
        assertEquals(estimator.equals("gae"), Files.exists(run.resolve("checkpoint-1/critic/value_head.safetensors")));
    }

    @Test
    void aSecondProcessIntoAFolderALiveRunHoldsExitsNonZeroSayingSo() throws Exception {
        Path yaml = recipe();
        Path out = dir.resolve("held");
        // this JVM holds the folder as a live run does (an operating-system lock); the child is a separate ./grpo process
        try (var live = org.grpo4j.train.Checkpoints.openRun(out, false, false, null)) {
            Path root = Path.of("").toAbsolutePath().getParent();
            Process p = new ProcessBuilder(root.resolve("grpo").toString(), "train", "--config", yaml.toString(), "--max_steps", "1", "--output_dir", out.toString())
                    .directory(root.toFile()).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(240, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), text);
            assertTrue(text.contains("output_dir " + out + " is in use by another training run (pid " + ProcessHandle.current().pid()), text);
        }
    }

    @Test
    void runTakesAYamlRecipeToo() throws Exception {
        Path yaml = recipe();
        assertEquals(0, Main.run(new String[] {"run", yaml.toString(), "--max_steps", "1", "--output_dir", dir.resolve("run1").toString()}));
        assertTrue(Files.exists(dir.resolve("run1/checkpoint-1/trainer_state.json")));
        // an unknown override is an error naming it, before any work
        assertEquals(1, Main.run(new String[] {"train", "--config", yaml.toString(), "--max_stepz", "1", "--output_dir", dir.resolve("run2").toString()}));
        assertTrue(!Files.exists(dir.resolve("run2")));
    }
}
