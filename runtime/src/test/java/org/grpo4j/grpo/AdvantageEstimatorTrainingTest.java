package org.grpo4j.grpo;

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
}
