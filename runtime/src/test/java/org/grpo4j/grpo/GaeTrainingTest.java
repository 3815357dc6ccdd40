package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code adv_estimator = gae}: PPO with a value model on the small task of {@link GrpoTrainerTest} (reward 1 when the
 * completion contains one token). The critic learns to predict the returns, the policy learns from its per-token
 * advantages, and a resumed run continues exactly, critic and KL controller included.
 */
class GaeTrainingTest {
    static List<JsonNode> metrics(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("critic/vf_loss")) out.add(row);
        }
        return out;
    }

    static double mean(List<JsonNode> rows, String key, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += rows.get(i).get(key).asDouble() / (to - from);
        return s;
    }

    /** 1 when the prompt's first token is below 12: a return the prompt alone decides, so a critic can explain all of it. */
    static RewardFunction promptDecides(List<Prompt> prompts) {
        Map<String, int[]> ids = new HashMap<>();
        for (Prompt p : prompts) ids.put(p.text(), p.ids());
        return new RewardFunction() {
            public String name() {
                return "first_token_below_12";
            }

            public double[] score(List<Sample> samples) {
                double[] r = new double[samples.size()];
                for (int i = 0; i < r.length; i++) r[i] = ids.get(samples.get(i).prompt())[0] < 12 ? 1 : 0;
                return r;
            }
        };
    }

    @Test
    void theCriticsExplainedVarianceRisesUnderAFixedPolicy(@TempDir Path dir) throws Exception {
        // learning_rate 0: the policy stays put and only the critic learns, towards returns its inputs decide; 8 prompts a batch
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        GrpoConfig c = GrpoTrainerTest.settings(dir).set("max_steps", 24).set("num_generations", 2).set("adv_estimator", "gae").set("lam", 1.0).set("learning_rate", 0.0)
                .set("critic_learning_rate", 1e-2).build();
        List<Prompt> train = GrpoTrainerTest.prompts(16, 1);
        new GrpoTrainer(m, c, new GrpoTask(train, List.of(), List.of(promptDecides(train)), ids -> "", new int[0], null), null, null).train();
        List<JsonNode> rows = metrics(dir);
        assertEquals(24, rows.size());
        JsonNode first = rows.get(0);
        for (String k : new String[] {"critic/vf_loss", "critic/vf_clipfrac", "critic/vf_explained_var", "critic/returns/mean", "critic/values/mean",
                "critic/advantages/mean", "critic/grad_norm"})
            assertTrue(first.has(k), k + " missing from " + first);
        double early = mean(rows, "critic/vf_explained_var", 0, 4), late = mean(rows, "critic/vf_explained_var", 18, 24);
        StringBuilder series = new StringBuilder();
        for (JsonNode r : rows) series.append(String.format(" %.3f", r.get("critic/vf_explained_var").asDouble()));
        assertTrue(late > early + 0.2 && late > 0.2, "vf_explained_var " + early + " → " + late + ":" + series);
        assertTrue(mean(rows, "critic/vf_loss", 18, 24) < mean(rows, "critic/vf_loss", 0, 4), "vf_loss falls");
        // λ = γ = 1: every token's return is its completion's reward, so the mean return is the mean reward
        assertEquals(first.get("reward").asDouble(), first.get("critic/returns/mean").asDouble(), 1e-6);
    }

    @Test
    void ppoTrainsThePolicy(@TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        GrpoConfig c = GrpoTrainerTest.settings(dir).set("max_steps", 30).set("adv_estimator", "gae").set("lam", 1.0)
                .set("critic_learning_rate", 1e-2).build();
        GrpoTrainerTest.trainer(m, c, null).train();
        List<JsonNode> rows = metrics(dir);
        double early = mean(rows, "reward", 0, 5), late = mean(rows, "reward", rows.size() - 5, rows.size());
        assertTrue(late > 0.6 && late > early, "mean reward " + early + " → " + late);
    }

    @Test
    void threeStepsResumeThreeStepsEqualsSixStepsWithTheCritic(@TempDir Path dir) throws Exception {
        // with the adaptive KL penalty in the reward: its β is part of what must resume exactly
        GrpoConfig cfg = GrpoTrainerTest.settings(dir).set("max_steps", 6).set("adv_estimator", "gae").set("num_iterations", 2)
                .set("critic_learning_rate", 1e-2).set("lr_scheduler_type", "linear").set("use_kl_in_reward", true).set("kl_ctrl", "adaptive")
                .set("kl_coef", 0.05).set("kl_horizon", 64).set("kl_penalty", "low_var_kl").build();
        Transformer a = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainerTest.trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();

        Transformer b = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        // a generation batch is two steps (num_iterations 2)
        GrpoTrainer stopping = GrpoTrainerTest.stoppingAfter(2, b, cfg.with("output_dir", dir.resolve("b").toString()));
        GrpoTrainer.Result stopped = stopping.train();
        assertTrue(stopped.stopped());
        assertEquals(2, stopped.steps());
        assertTrue(Files.exists(stopped.lastCheckpoint().resolve("critic/value_head.safetensors")), "the checkpoint keeps the critic");
        Transformer c = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(77, 0.05);
        GrpoTrainer.Result resumed = GrpoTrainerTest.trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null)
                .train();
        assertEquals(6, resumed.steps());
        assertArrayEquals(a.backend().read(a.params()), c.backend().read(c.params()));
        List<JsonNode> rows = metrics(dir.resolve("a"));
        assertEquals(0.05, rows.get(0).get("actor/reward_kl_penalty_coeff").asDouble(), 1e-15);
        assertTrue(rows.get(0).get("actor/reward_kl_penalty").asDouble() >= 0, "low_var_kl is never negative");
        assertTrue(rows.get(5).get("actor/reward_kl_penalty_coeff").asDouble() != 0.05, "the adaptive β moves");
        for (String f : new String[] {"critic/model.safetensors", "critic/value_head.safetensors", "critic/optimizer.safetensors",
                "critic/value_head_optimizer.safetensors", "kl_ctrl.json"})
            assertArrayEquals(Files.readAllBytes(dir.resolve("a/checkpoint-6").resolve(f)), Files.readAllBytes(dir.resolve("b/checkpoint-6").resolve(f)),
                    f + " differs after the resume");
    }

    @Test
    void criticWarmupStepsMoveOnlyTheCritic(@TempDir Path dir) throws Exception {
        GrpoConfig cfg = GrpoTrainerTest.settings(dir).set("adv_estimator", "gae").set("critic_learning_rate", 1e-2).set("critic_warmup", 3).build();
        Transformer a = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        float[] before = a.backend().read(a.params());
        GrpoTrainerTest.trainer(a, cfg.with("max_steps", 3).with("output_dir", dir.resolve("a").toString()), null).train();
        assertArrayEquals(before, a.backend().read(a.params()), "the policy stays put during the warmup");
        List<JsonNode> rows = metrics(dir.resolve("a"));
        assertEquals(3, rows.size());
        for (JsonNode r : rows) assertTrue(r.has("critic/warmup") && !r.has("loss") && r.get("critic/grad_norm").asDouble() > 0, r.toString());
        Transformer b = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainerTest.trainer(b, cfg.with("max_steps", 4).with("output_dir", dir.resolve("b").toString()), null).train();
        JsonNode last = metrics(dir.resolve("b")).get(3);
        assertTrue(last.has("loss") && !last.has("critic/warmup"), last.toString());
        assertTrue(!java.util.Arrays.equals(before, b.backend().read(b.params())), "the policy learns after the warmup");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> GrpoConfig.builder().set("critic_warmup", 2).build());
        assertTrue(e.getMessage().contains("critic_warmup = 2 trains only the critic"), e.getMessage());
    }

    @Test
    void aLoraPpoRunTrainsItsCriticsAdaptersAndResumesExactly(@TempDir Path dir) throws Exception {
        // use_peft: the policy and the critic are adapters on one frozen base; the critic checkpoints as a PEFT folder
        GrpoConfig cfg = GrpoTrainerTest.settings(dir).set("max_steps", 6).set("adv_estimator", "gae").set("num_iterations", 2).set("use_peft", true)
                .set("lora_r", 4).set("lora_alpha", 8).set("lora_target_modules", List.of("all-linear")).set("critic_learning_rate", 1e-2).build();
        Transformer a = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        float[] base = a.backend().read(a.params());
        GrpoTrainerTest.trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();
        assertArrayEquals(base, a.backend().read(a.params()), "LoRA leaves the shared base untouched");
        List<JsonNode> rows = metrics(dir.resolve("a"));
        assertEquals(6, rows.size());
        assertTrue(rows.get(5).get("critic/grad_norm").asDouble() > 0 && rows.get(5).has("critic/vf_explained_var"), rows.get(5).toString());
        Path critic = dir.resolve("a/checkpoint-6/critic");
        assertTrue(Files.readString(critic.resolve("adapter_config.json")).contains("\"TOKEN_CLS\""));
        assertTrue(Files.exists(critic.resolve("adapter_model.safetensors")) && !Files.exists(critic.resolve("model.safetensors")), "adapters, no base copy");

        Transformer b = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainer stopping = GrpoTrainerTest.stoppingAfter(2, b, cfg.with("output_dir", dir.resolve("b").toString()));
        assertEquals(2, stopping.train().steps());
        Transformer c = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        assertEquals(6, GrpoTrainerTest.trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null)
                .train().steps());
        assertArrayEquals(a.backend().read(a.lora().params()), c.backend().read(c.lora().params()), "the policy's adapters after the resume");
        for (String f : new String[] {"critic/adapter_model.safetensors", "critic/value_head.safetensors", "critic/optimizer.safetensors",
                "critic/value_head_optimizer.safetensors"})
            assertArrayEquals(Files.readAllBytes(dir.resolve("a/checkpoint-6").resolve(f)), Files.readAllBytes(dir.resolve("b/checkpoint-6").resolve(f)),
                    f + " differs after the resume");
    }

    @Test
    void theMemoryPlanCountsTheCritic() {
        GrpoConfig grpo = GrpoConfig.builder().set("per_device_train_batch_size", 4).set("num_generations", 4).set("max_completion_length", 8).build();
        List<Prompt> prompts = GrpoTrainerTest.prompts(4, 1);
        org.grpo4j.model.MemoryPlan plain = GrpoTrainer.memoryPlan(GrpoTrainerTest.config(), grpo, prompts);
        org.grpo4j.model.MemoryPlan ppo = GrpoTrainer.memoryPlan(GrpoTrainerTest.config(), grpo.with("adv_estimator", "gae"), prompts);
        assertEquals(0, plain.criticBytes());
        // a full critic: its weights, gradients and two AdamW moments (4 × the policy's parameters) and its activations
        assertTrue(ppo.criticBytes() > 4 * plain.parameterBytes(), ppo.toString());
        assertEquals(plain.totalBytes() + ppo.criticBytes(), ppo.totalBytes());
        assertTrue(ppo.toString().contains("critic "), ppo.toString());
        // a LoRA critic shares the frozen base: only adapters, head, their moments and the activations
        Transformer lora = GrpoConfig.builder().set("use_peft", true).set("lora_r", 2).build().peft()
                .apply(Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(1, 0.02), 1);
        org.grpo4j.model.MemoryPlan loraCritic = org.grpo4j.model.MemoryPlan.critic(lora, 4, 11);
        assertEquals(lora.lora().parameterBytes() + 4L * GrpoTrainerTest.config().hiddenSize(), loraCritic.parameterBytes());
        assertTrue(loraCritic.parameterBytes() < plain.parameterBytes() / 4, loraCritic + " vs the policy: " + plain);
    }
}
