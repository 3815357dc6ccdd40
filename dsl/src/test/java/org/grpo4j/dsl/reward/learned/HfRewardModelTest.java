package org.grpo4j.dsl.reward.learned;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sequence-classification reward models against the PyTorch fixtures of tools/oracle/reward_model_oracle.py. */
class HfRewardModelTest {
    static final Path ORACLE = Path.of("src/test/resources/oracle/reward-model");

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-rm", "llama-rm"})
    void rewardIsTheScoreAtTheLastNonPadTokenAsInPyTorch(String fixture) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(ORACLE.resolve(fixture).resolve("expected.json").toFile());
        List<int[]> rows = new ArrayList<>();
        for (JsonNode r : expected.get("input_ids")) {
            int[] ids = new int[r.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = r.get(i).asInt();
            rows.add(ids);
        }
        HfRewardModel rm = HfRewardModel.load(ORACLE.resolve(fixture));
        double[] got = rm.scoreIds(rows);
        for (int b = 0; b < rows.size(); b++) {
            double want = expected.get("rewards").get(b).asDouble();
            assertEquals(want, got[b], 2e-5 * Math.max(1, Math.abs(want)), fixture + " row " + b);
        }
        // one sequence alone scores as in the batch (packing does not leak between sequences)
        assertEquals(got[1], rm.scoreIds(List.of(rows.get(1)))[0], 1e-5);
    }

    @Test
    void aCausalLmFolderIsRefusedWithTheReason(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"Qwen2ForCausalLM\"]}");
        var e = assertThrows(IllegalArgumentException.class, () -> HfRewardModel.load(dir));
        assertTrue(e.getMessage().contains("not a reward model"), e.getMessage());
    }
}
