package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.grpo4j.train.Checkpoints;
import org.grpo4j.train.StopSignal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.grpo4j.train.SettingsBuilder;

class GrpoTrainerTest {
    static final int TARGET = 7;

    static ModelConfig config() {
        return new ModelConfig(Architecture.QWEN2, 24, 32, 64, 2, 4, 2, 8, 1e-6f, 1e4, null, true, 64, true, -1, new int[] {0}, "float32");
    }

    static List<Prompt> prompts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] ids = {1 + rng.nextInt(23), 1 + rng.nextInt(23), 1 + rng.nextInt(23)};
            out.add(new Prompt(i, ids, "p" + i, Map.of()));
        }
        return out;
    }

    /** 1 when the completion contains the target token. */
    static final RewardFunction CONTAINS = new RewardFunction() {
        public String name() {
            return "contains";
        }

        public double[] score(List<Sample> samples) {
            double[] r = new double[samples.size()];
            for (int i = 0; i < r.length; i++)
                for (int id : samples.get(i).completionIds()) if (id == TARGET) r[i] = 1;
            return r;
        }
    };

    static SettingsBuilder<GrpoConfig> settings(Path out) {
        return GrpoConfig.builder().set("num_generations", 8).set("per_device_train_batch_size", 16).set("max_completion_length", 4)
                .set("max_prompt_length", 8).set("learning_rate", 2e-2).set("lr_scheduler_type", "constant").set("loss_type", "grpo")
                .set("logging_steps", 1).set("save_steps", 1000).set("output_dir", out.toString()).set("seed", 3).set("max_grad_norm", 1.0);
    }

    static GrpoTrainer trainer(Transformer m, GrpoConfig c, StopSignal stop) {
        return new GrpoTrainer(m, c, new GrpoTask(prompts(16, 1), prompts(8, 2), List.of(CONTAINS), ids -> "", new int[0], null), null, stop);
    }

    /** A trainer asked to stop once {@code steps} optimiser steps are logged (logging_steps 1): a resume test's first half. */
    static GrpoTrainer stoppingAfter(int steps, Transformer m, GrpoConfig c) {
        GrpoTrainer[] holder = new GrpoTrainer[1];
        StopSignal stop = new StopSignal() {
            @Override
            public boolean requested() {
                var log = holder[0].metricsLog();
                return log != null && log.history().size() >= steps;
            }
        };
        holder[0] = trainer(m, c, stop);
        return holder[0];
    }

    /** {@link #CONTAINS} with a reason per sample, as the sandbox's code rewards give one. */
    static final org.grpo4j.reward.ExplainedReward CONTAINS_WHY = new org.grpo4j.reward.ExplainedReward() {
        public String name() {
            return "contains";
        }

        public Explained scoreExplained(List<Sample> samples) {
            double[] v = CONTAINS.score(samples);
            String[] why = new String[v.length];
            for (int i = 0; i < v.length; i++) why[i] = v[i] == 1 ? "has " + TARGET : "no " + TARGET + " in " + samples.get(i).completionIds().length + " tokens";
            return new Explained(v, why);
        }
    };

    @Test
    void anExplainedRewardsReasonsGoBesideItsValueInCompletionsJsonlAlsoUnderDynamicSampling(@TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(config(), new CpuBackend()).initialise(11, 0.02);
        GrpoConfig c = settings(dir).set("max_steps", 2).set("dynamic_sampling", true).set("num_completions_to_print", 16).build();
        new GrpoTrainer(m, c, new GrpoTask(prompts(16, 1), List.of(), List.of(CONTAINS_WHY), ids -> "", new int[0], null), null, null).train();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve("completions.jsonl"));
        assertTrue(lines.size() >= 16, "completions logged: " + lines.size());
        for (String line : lines) {
            var row = json.readTree(line);
            List<String> keys = new ArrayList<>();
            row.fieldNames().forEachRemaining(keys::add);
            assertEquals(keys.indexOf("contains") + 1, keys.indexOf("contains/reason"), "the reason follows its reward: " + keys);
            String why = row.get("contains/reason").asText();
            assertEquals(row.get("contains").asDouble() == 1 ? "has " + TARGET : "no " + TARGET + " in", why.replaceAll(" \\d+ tokens$", ""), line);
        }
    }

    @Test
    void meanRewardRisesWhenOneTokenIsRewarded(@TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(config(), new CpuBackend()).initialise(11, 0.02);
        // the untrained policy's rate, over 16 prompts × 32 samples (a single batch of 16 is too noisy to judge)
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : prompts(16, 1)) ids.add(p.ids());
        var sampled = new org.grpo4j.generate.Generator(m).generate(ids,
                org.grpo4j.generate.SamplingParams.defaults().withNumGenerations(32).withMaxCompletionLength(4).withStopTokenIds(new int[0]).withSeed(9));
        double before = 0;
        for (var c : sampled) for (int id : c.tokenIds()) if (id == TARGET) { before++; break; }
        before /= sampled.size();
        GrpoTrainer t = trainer(m, settings(dir).set("max_steps", 40).build(), null);
        GrpoTrainer.Result r = t.train();
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        ObjectMapper json = new ObjectMapper();
        double lastReward = 0;
        for (int i = lines.size() - 6; i < lines.size() - 1; i++) lastReward += json.readTree(lines.get(i)).get("reward").asDouble() / 5;
        assertTrue(before < 0.2, "initial mean reward " + before);
        assertTrue(lastReward > 0.8, "final mean reward " + lastReward + " (from " + before + ")");
        var metrics = json.readTree(lines.get(3));
        for (String k : new String[] {"loss", "grad_norm", "learning_rate", "num_tokens", "reward_std", "rewards/contains/mean", "rewards/contains/std",
                "frac_reward_zero_std", "entropy", "completions/mean_length", "completions/clipped_ratio", "clip_ratio/region_mean", "step_time",
                "timing/generation", "timing/logps", "timing/update"})
            assertTrue(metrics.has(k), "metric " + k + " missing from " + metrics);
        assertEquals(metrics.get("step_time").asDouble(), metrics.get("timing/generation").asDouble() + metrics.get("timing/update").asDouble(), 1e-3);
        assertTrue(r.evaluation().accuracy() > 0.5, "held-out greedy accuracy " + r.evaluation().accuracy());
        assertTrue(Files.readAllLines(dir.resolve("completions.jsonl")).get(0).contains("\"advantage\""));
        assertEquals("checkpoint-40", Checkpoints.latest(dir).getFileName().toString());
    }

    @Test
    void threeStepsResumeThreeStepsEqualsSixSteps(@TempDir Path dir) throws Exception {
        // beta > 0: the reference model is part of what must resume exactly
        GrpoConfig cfg = settings(dir).set("beta", 0.04).set("max_steps", 6).set("loss_type", "dapo").set("lr_scheduler_type", "linear").build();
        Transformer a = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();

        Transformer b = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        // logging_steps = 1: one entry per optimiser step
        GrpoTrainer stopping = stoppingAfter(3, b, cfg.with("output_dir", dir.resolve("b").toString()));
        GrpoTrainer.Result stopped = stopping.train();
        assertTrue(stopped.stopped());
        assertEquals(3, stopped.steps());
        Transformer c = Transformer.create(config(), new CpuBackend()).initialise(77, 0.05); // weights come from the checkpoint
        GrpoTrainer.Result resumed = trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null).train();
        assertEquals(6, resumed.steps());
        assertArrayEquals(a.backend().read(a.params()), c.backend().read(c.params()));
    }

    @Test
    void reusedBatchesResumeExactlyAtGenerationBoundaries(@TempDir Path dir) throws Exception {
        // num_iterations 2: each generation batch makes two optimiser steps with old log-probs; checkpoints fall between batches
        GrpoConfig cfg = settings(dir).set("num_iterations", 2).set("max_steps", 6).set("save_steps", 2).build();
        Transformer a = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();
        Transformer c = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("max_steps", 4), null).train();
        Transformer d = Transformer.create(config(), new CpuBackend()).initialise(77, 0.05);
        trainer(d, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", dir.resolve("b").resolve("checkpoint-2").toString()), null).train();
        assertArrayEquals(a.backend().read(a.params()), d.backend().read(d.params()));
    }

    /**
     * The reference model's weights are fixed and laid out once (Transformer.fixWeights): a sync after every step with
     * α = 1 must reach its products, so the next step's KL against it is ~0, where without the sync it has grown.
     */
    @Test
    void aReferenceSyncReachesTheFixedReferencesProducts(@TempDir Path dir) throws Exception {
        double[][] kl = new double[2][];
        for (int k = 0; k < 2; k++) {
            Transformer m = Transformer.create(config(), new CpuBackend()).initialise(11, 0.05);
            Path out = dir.resolve("sync" + k);
            var cfg = settings(out).set("max_steps", 3).set("beta", 0.04);
            if (k == 0) cfg = cfg.set("sync_ref_model", true).set("ref_model_sync_steps", 1).set("ref_model_mixup_alpha", 1.0);
            trainer(m, cfg.build(), null).train();
            List<Double> perStep = new ArrayList<>();
            for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
                var node = new ObjectMapper().readTree(line).get("kl");
                if (node != null) perStep.add(node.asDouble()); // the run's closing summary has none
            }
            kl[k] = perStep.stream().mapToDouble(Double::doubleValue).toArray();
        }
        assertEquals(3, kl[0].length);
        for (int step = 1; step < 3; step++) {
            assertTrue(kl[0][step] < 1e-7, "synced every step: step " + (step + 1) + "'s KL " + kl[0][step]);
            assertTrue(kl[1][step] > 1e-5, "never synced: step " + (step + 1) + "'s KL " + kl[1][step]);
        }
    }

    @Test
    void entropyIsLoggedOnceWhatever_topEntropyQuantile(@TempDir Path dir) throws Exception {
        // step 1's metrics come from the same completions and weights in both runs: only the filter differs
        double[] entropy = new double[2];
        double[] rho = {1.0, 0.5};
        for (int k = 0; k < 2; k++) {
            Transformer m = Transformer.create(config(), new CpuBackend()).initialise(11, 0.02);
            Path out = dir.resolve("rho" + k);
            trainer(m, settings(out).set("max_steps", 1).set("top_entropy_quantile", rho[k]).build(), null).train();
            entropy[k] = new ObjectMapper().readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0)).get("entropy").asDouble();
        }
        assertTrue(entropy[0] > 0, "entropy " + entropy[0]);
        assertEquals(entropy[0], entropy[1], 1e-6);
    }

    @Test
    void aRewardThatAlwaysFailsStopsTheRunWithItsMessage(@TempDir Path dir) {
        RewardFunction broken = new RewardFunction() {
            public String name() {
                return "broken";
            }

            public double[] score(List<Sample> s) {
                throw new IllegalStateException("no gold answer column");
            }
        };
        Transformer m = Transformer.create(config(), new CpuBackend()).initialise(1, 0.02);
        var t = new GrpoTrainer(m, settings(dir).set("max_steps", 2).build(), new GrpoTask(prompts(4, 1), null, List.of(broken), null, new int[0], null), null, null);
        var e = assertThrows(IllegalStateException.class, t::train);
        assertTrue(e.getMessage().contains("broken") && e.getMessage().contains("no gold answer column"), e.getMessage());
    }
}
