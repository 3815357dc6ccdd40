package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each {@code adv_estimator} trains the small policy of {@link GrpoTrainerTest} to emit the rewarded token, and the
 * advantages it logs in {@code completions.jsonl} (one whole group per step) have the estimator's shape.
 */
class AdvantageEstimatorTrainingTest {
    @ParameterizedTest
    @ValueSource(strings = {"rloo", "reinforce_plus_plus", "remax"})
    void theEstimatorLearnsAndLogsItsAdvantages(String estimator, @TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        GrpoConfig c = GrpoTrainerTest.settings(dir).set("max_steps", 30).set("adv_estimator", estimator).set("num_completions_to_print", 8).build();
        GrpoTrainerTest.trainer(m, c, null).train();
        ObjectMapper json = new ObjectMapper();
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        double last = 0;
        for (int i = metrics.size() - 6; i < metrics.size() - 1; i++) last += json.readTree(metrics.get(i)).get("reward").asDouble() / 5;
        assertTrue(last > 0.6, estimator + ": final mean reward " + last);
        JsonNode first = json.readTree(metrics.get(0));
        for (String k : new String[] {"critic/advantages/mean", "critic/advantages/max", "critic/advantages/min"})
            assertTrue(first.has(k), k + " missing from " + first);
        assertTrue(first.get("critic/advantages/min").asDouble() <= first.get("critic/advantages/mean").asDouble()
                && first.get("critic/advantages/mean").asDouble() <= first.get("critic/advantages/max").asDouble(), first.toString());
        int groupsWithSignal = 0;
        Map<Integer, List<JsonNode>> byStep = new TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("completions.jsonl"))) {
            JsonNode row = json.readTree(line);
            byStep.computeIfAbsent(row.get("step").asInt(), k -> new ArrayList<>()).add(row);
        }
        assertTrue(byStep.size() >= 25, "completions of " + byStep.size() + " steps");
        for (List<JsonNode> rows : byStep.values()) {
            assertEquals(8, rows.size(), "one whole group per step");
            double[] r = new double[rows.size()], a = new double[rows.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = rows.get(i).get("reward").asDouble();
                a[i] = rows.get(i).get("advantage").asDouble();
            }
            double mean = 0;
            for (double x : r) mean += x / r.length;
            for (int i = 0; i < r.length; i++) {
                switch (estimator) {
                    case "rloo" -> assertEquals((r[i] - mean) * r.length / (r.length - 1), a[i], 1e-9);
                    // the greedy completion's reward (0 or 1) is the baseline of the whole group
                    case "remax" -> {
                        assertEquals(r[0] - a[0], r[i] - a[i], 1e-12);
                        assertTrue(r[i] - a[i] == 0.0 || r[i] - a[i] == 1.0, "baseline " + (r[i] - a[i]));
                    }
                    // batch whitening: the same reward gives the same advantage, a higher reward a higher one
                    default -> {
                        for (int j = 0; j < r.length; j++) if (r[j] == r[i]) assertEquals(a[i], a[j], 1e-12);
                        for (int j = 0; j < r.length; j++) if (r[j] > r[i]) assertTrue(a[j] > a[i]);
                    }
                }
            }
            if (mean > 0 && mean < 1) groupsWithSignal++;
        }
        assertTrue(groupsWithSignal > 0, "no logged group had mixed rewards");
    }

    @ParameterizedTest
    @ValueSource(strings = {"grpo", "rloo", "reinforce_plus_plus", "remax"})
    void withTheKlPenaltyInTheRewardTheEstimatorLearnsFromPenalisedRewards(String estimator, @TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        GrpoConfig c = GrpoTrainerTest.settings(dir).set("max_steps", 20).set("adv_estimator", estimator).set("use_kl_in_reward", true)
                .set("kl_penalty", "low_var_kl").set("kl_coef", 0.05).set("gamma", estimator.equals("reinforce_plus_plus") ? 0.9 : 1.0).build();
        GrpoTrainerTest.trainer(m, c, null).train();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) if (json.readTree(line).has("reward")) rows.add(json.readTree(line));
        assertEquals(20, rows.size());
        // step 1: the policy is the reference, so KL = 0 and the penalised sequence reward is the score
        JsonNode first = rows.get(0);
        assertEquals(0.0, first.get("actor/reward_kl_penalty").asDouble(), 1e-6, first.toString());
        assertEquals(0.05, first.get("actor/reward_kl_penalty_coeff").asDouble(), 0.0);
        assertEquals(first.get("reward").asDouble(), first.get("critic/rewards/mean").asDouble(), 1e-6);
        double kl = 0, penalised = 0, score = 0, early = 0, late = 0;
        for (int i = 10; i < 20; i++) {
            kl += rows.get(i).get("actor/reward_kl_penalty").asDouble();
            penalised += rows.get(i).get("critic/rewards/mean").asDouble();
            score += rows.get(i).get("reward").asDouble();
        }
        for (int i = 0; i < 4; i++) early += rows.get(i).get("reward").asDouble() / 4;
        for (int i = 15; i < 20; i++) late += rows.get(i).get("reward").asDouble() / 5;
        // the policy moved away from the reference: a positive KL (low_var_kl ≥ 0) lowers the reward the estimator saw
        assertTrue(kl > 0 && penalised < score, estimator + ": KL " + kl + ", penalised " + penalised + " vs score " + score);
        assertTrue(late > early && late > 0.5, estimator + ": mean reward " + early + " → " + late);
    }

    @Test
    void aResumedRunWithTheAdaptiveKlInTheRewardContinuesExactly(@TempDir Path dir) throws Exception {
        GrpoConfig cfg = GrpoTrainerTest.settings(dir).set("max_steps", 4).set("adv_estimator", "reinforce_plus_plus").set("use_kl_in_reward", true)
                .set("kl_ctrl", "adaptive").set("kl_coef", 0.05).set("kl_horizon", 32).set("gamma", 0.95).build();
        Transformer a = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainerTest.trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();
        Transformer b = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainer stopping = GrpoTrainerTest.stoppingAfter(2, b, cfg.with("output_dir", dir.resolve("b").toString()));
        assertEquals(2, stopping.train().steps());
        Transformer c = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(77, 0.05);
        assertEquals(4, GrpoTrainerTest.trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null).train().steps());
        assertArrayEquals(a.backend().read(a.params()), c.backend().read(c.params()));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/checkpoint-4/kl_ctrl.json")), Files.readAllBytes(dir.resolve("b/checkpoint-4/kl_ctrl.json")));
        assertTrue(!Files.readString(dir.resolve("a/checkpoint-4/kl_ctrl.json")).contains("\"value\":0.05,"), "the adaptive β moved");
    }
}
