package org.grpo4j.dsl.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.recipe.GrpoPlan;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.recipe.RecipeException;
import org.grpo4j.dsl.recipe.YamlRecipes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlRecipeTest {
    @TempDir
    static Path dir;
    static Path yaml;

    @BeforeAll
    static void files() throws Exception {
        TinyModel.create(dir.resolve("model"), 512);
        Files.createDirectories(dir.resolve("data"));
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 8; i++) rows.append("{\"problem\": \"").append(i).append("+1\", \"solution\": \"").append(i + 1).append("\"}\n");
        Files.writeString(dir.resolve("data/train.jsonl"), rows);
        yaml = dir.resolve("config_demo.yaml");
        try (InputStream in = YamlRecipeTest.class.getResourceAsStream("/recipes/config_demo.yaml")) {
            Files.write(yaml, in.readAllBytes());
        }
    }

    /** A setting declared only in its group record (here LossSettings) is a YAML key with no YAML-side code. */
    @Test
    void everyDeclaredSettingIsAYamlKey() throws Exception {
        Path y = dir.resolve("with_kl_correction.yaml");
        Files.writeString(y, Files.readString(yaml) + "\nbeta: 0.04\nuse_bias_correction_kl: true\n");
        GrpoRecipe r = YamlRecipes.read(y).recipe();
        assertTrue(r.config().loss().useBiasCorrectionKl());
        assertEquals(0.04, r.config().loss().beta());
    }

    /** verl's advantage estimators by their verl names, in the file and on the command line (issue 19). */
    @Test
    void advEstimatorIsAYamlKeyAndAnOverride() throws Exception {
        Path y = dir.resolve("rloo.yaml");
        Files.writeString(y, Files.readString(yaml) + "\nadv_estimator: rloo\n");
        assertEquals(org.grpo4j.grpo.advantage.AdvantageEstimator.RLOO, YamlRecipes.read(y).recipe().config().rollouts().advEstimator());
        GrpoRecipe r = YamlRecipes.read(y, java.util.Map.of("adv_estimator", "reinforce_plus_plus")).recipe();
        assertEquals(org.grpo4j.grpo.advantage.AdvantageEstimator.REINFORCE_PLUS_PLUS, r.config().rollouts().advEstimator());
        Files.writeString(y, Files.readString(yaml) + "\nadv_estimator: gae\nlam: 1.0\ncritic_learning_rate: 5.0e-6\nuse_kl_in_reward: true\nkl_ctrl: adaptive\n");
        var gae = YamlRecipes.read(y, java.util.Map.of("cliprange_value", "0.5")).recipe().config();
        assertEquals(org.grpo4j.grpo.advantage.AdvantageEstimator.GAE, gae.rollouts().advEstimator());
        assertEquals(1.0, gae.critic().lam());
        assertEquals(5e-6, gae.critic().criticLearningRate());
        assertEquals(0.5, gae.critic().cliprangeValue());
        assertEquals(org.grpo4j.grpo.KlController.Kind.ADAPTIVE, gae.klReward().klCtrl());
        Files.writeString(y, Files.readString(yaml) + "\nadv_estimator: ppo\n");
        RecipeException e = assertThrows(RecipeException.class, () -> YamlRecipes.read(y).recipe().validate());
        assertTrue(e.getMessage().contains("adv_estimator = 'ppo' is not one of grpo, rloo, reinforce_plus_plus, remax, gae"), e.getMessage());
    }

    @Test
    void commandLineOverridesReplaceFieldsWithTheirTypes() {
        YamlRecipes.Loaded l = YamlRecipes.read(yaml, java.util.Map.of("learning_rate", "1e-5", "max_steps", "3", "log_completions", "false"));
        assertEquals(1.0e-5, l.recipe().settings().get("learning_rate"));
        assertEquals(3, l.recipe().settings().get("max_steps"));
        assertEquals(false, l.recipe().settings().get("log_completions"));
        RecipeException e = assertThrows(RecipeException.class, () -> YamlRecipes.read(yaml, java.util.Map.of("learnig_rate", "1e-5")));
        assertTrue(e.getMessage().contains("'learnig_rate'") && e.getMessage().contains("learning_rate"), e.getMessage());
    }

    @Test
    void lrSchedulerKwargsGiveCosineWithMinLrItsFloor() throws Exception {
        Path f = dir.resolve("min_lr.yaml");
        String base = Files.readString(yaml).replace("lr_scheduler_type: cosine", "lr_scheduler_type: cosine_with_min_lr");
        Files.writeString(f, base + "\nlr_scheduler_kwargs:\n  min_lr_rate: 0.1\n");
        assertEquals(0.1, YamlRecipes.read(f).recipe().settings().get("min_lr_rate"));
        // min_lr is absolute: divided by the learning rate, the command line's one included
        Files.writeString(f, base + "\nlr_scheduler_kwargs:\n  min_lr: 1.0e-6\n");
        assertEquals(0.05, (Double) YamlRecipes.read(f).recipe().settings().get("min_lr_rate"), 1e-12);
        assertEquals(0.1, (Double) YamlRecipes.read(f, java.util.Map.of("learning_rate", "1e-5")).recipe().settings().get("min_lr_rate"), 1e-12);
        Files.writeString(f, base + "\nlr_scheduler_kwargs:\n  min_lr: 1.0e-6\n  min_lr_rate: 0.1\n  power: 2\n");
        RecipeException e = assertThrows(RecipeException.class, () -> YamlRecipes.read(f));
        assertTrue(e.getMessage().contains("not both") && e.getMessage().contains("'power' is not supported"), e.getMessage());
    }

    @Test
    void anOpenR1RecipeBecomesAGrpoRecipe() {
        YamlRecipes.Loaded l = YamlRecipes.read(yaml);
        GrpoRecipe r = l.recipe();
        assertEquals(dir.resolve("model"), r.model());
        assertEquals("problem", r.promptColumn());
        assertEquals(0.25, r.testSplit());
        assertTrue(r.systemPrompt().endsWith("Respond in the following format: <think>\n...\n</think>\n<answer>\n...\n</answer>"));
        assertEquals(16, r.settings().get("num_generations"));
        assertEquals(2.0e-5, r.settings().get("learning_rate"));
        assertEquals("cosine", r.settings().get("lr_scheduler_type"));
        assertEquals(4, r.settings().get("gradient_accumulation_steps"));
        assertEquals(List.of(1.0, 0.5, 0.25), r.config().get("reward_weights"));
        assertEquals(List.of("accuracy", "format", "cosine"), r.rewards().stream().map(w -> w.function().name()).toList());
        assertEquals("bfloat16", r.settings().get("torch_dtype"));
        assertEquals(true, r.settings().get("gradient_checkpointing"));
        assertEquals(List.of("model_revision", "attn_implementation", "bf16", "use_vllm", "vllm_device", "vllm_gpu_memory_utilization",
                "do_eval", "gradient_checkpointing_kwargs", "hub_model_id", "hub_strategy", "log_level", "logging_first_step",
                "logging_strategy", "per_device_eval_batch_size", "push_to_hub", "report_to", "save_strategy"), l.ignored());
        GrpoPlan plan = r.build();
        assertEquals(6, plan.train().size());
        assertEquals(2, plan.eval().size());
        assertTrue(plan.train().getFirst().text().startsWith("<|im_start|>system\nYou are a helpful AI Assistant"));
    }

    @Test
    void openR1PeftFieldsAreSettings() throws Exception {
        Path y = dir.resolve("qlora.yaml");
        Files.writeString(y, """
                model_name_or_path: model
                dataset_name: data/train.jsonl
                use_peft: true
                lora_r: 8
                lora_alpha: 16
                lora_dropout: 0.0
                lora_target_modules: [q_proj, v_proj, down_proj]
                load_in_4bit: true
                gradient_checkpointing: true
                """);
        var peft = YamlRecipes.read(y).recipe().config().peft();
        assertTrue(peft.usePeft() && peft.loadIn_4bit() && peft.gradientCheckpointing());
        assertEquals(8, peft.lora().r());
        assertEquals(2f, peft.lora().scale());
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), peft.lora().targetNames());
        Files.writeString(y, "model_name_or_path: model\ndataset_name: data/train.jsonl\nload_in_4bit: true\nlora_target_modules: q_proj,lm_head\n");
        String problems = String.join("\n", assertThrows(IllegalArgumentException.class, () -> YamlRecipes.read(y).recipe().config()).getMessage());
        assertTrue(problems.contains("load_in_4bit = true needs use_peft = true") && problems.contains("lm_head"), problems);
    }

    @Test
    void unknownFieldsAreRejectedTogetherWithSuggestions() throws Exception {
        Path y = dir.resolve("typos.yaml");
        Files.writeString(y, """
                model_name_or_path: model
                dataset_name: AI-MO/NuminaMath-TIR
                num_generation: 8
                learning_rat: 1.0e-5
                frobnicate: 3
                reward_funcs: [acuracy, ioi_code]
                max_steps: many
                bf16: true
                """);
        List<String> p = new java.util.ArrayList<>(assertThrows(RecipeException.class, () -> YamlRecipes.read(y)).problems());
        // the Hub name is looked up in the local Hugging Face cache, whose folders depend on the environment
        String hub = p.get(4);
        assertTrue(hub.startsWith("dataset_name: AI-MO/NuminaMath-TIR: not a local file or folder, and not in the Hugging Face cache ("), hub);
        assertTrue(hub.endsWith("grpo4j does not download: run `huggingface-cli download --repo-type dataset AI-MO/NuminaMath-TIR --local-dir DIR` and give DIR"), hub);
        p.remove(4);
        assertEquals(List.of(
                "unknown field 'num_generation' (did you mean 'num_generations'?)",
                "unknown field 'learning_rat' (did you mean 'learning_rate'?)",
                "unknown field 'frobnicate'",
                "max_steps must be an integer, got many",
                "reward_funcs: 'acuracy' is not a built-in reward (did you mean 'accuracy'?); built-ins are accuracy, format, tag_count, reasoning_steps, "
                        + "cosine, repetition_penalty, length, soft_overlong_punishment, code, binary_code, code_format",
                "reward_funcs: 'ioi_code' is not a built-in reward; built-ins are accuracy, format, tag_count, reasoning_steps, "
                        + "cosine, repetition_penalty, length, soft_overlong_punishment, code, binary_code, code_format"
                        + " (C++ judging with Piston is not available; code and binary_code run Python and JavaScript locally)"), p);
    }

    @Test
    void malformedYamlNamesTheLine() throws Exception {
        Path y = dir.resolve("broken.yaml");
        Files.writeString(y, "model_name_or_path: model\nreward_funcs: [accuracy\nseed: 1\n");
        var e = assertThrows(IllegalArgumentException.class, () -> YamlRecipes.read(y));
        assertTrue(e.getMessage().startsWith(y + ": malformed YAML: ") && e.getMessage().contains("(line "), e.getMessage());
    }

    @Test
    void openR1DefaultRewardsWhenNoneAreListed() throws Exception {
        Path y = dir.resolve("minimal.yaml");
        Files.writeString(y, "model_name_or_path: model\ndataset_name: data/train.jsonl\ndataset_prompt_column: problem\n");
        assertEquals(List.of("accuracy", "format", "tag_count"), YamlRecipes.read(y).recipe().rewards().stream().map(w -> w.function().name()).toList());
    }
}
