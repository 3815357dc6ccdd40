package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kl_loss_type}: each estimator and its derivative against {@code oracle/advantages/cases.json} (verl's
 * {@code kl_penalty_forward} with autograd, clamps of low_var_kl included), and the whole GRPO loss with it by
 * central finite differences (token and sequence level, with and without {@code use_bias_correction_kl}).
 */
class KlLossTypeTest {
    @Test
    void everyEstimatorAndItsGradientMatchTorch() throws IOException {
        JsonNode kl = new ObjectMapper().readTree(Path.of("src/test/resources/oracle/advantages/cases.json").toFile()).get("kl");
        Set<KlLossType> seen = new HashSet<>();
        for (JsonNode c : kl) {
            KlLossType t = LossSettings.defaults().with("kl_loss_type", c.get("kl_loss_type").asText()).klLossType();
            seen.add(t);
            for (int i = 0; i < c.get("logp").size(); i++) {
                double logp = c.get("logp").get(i).asDouble(), ref = c.get("ref_logp").get(i).asDouble();
                double v = c.get("kl").get(i).asDouble(), g = c.get("dkl_dlogp").get(i).asDouble();
                assertEquals(v, t.value(logp, ref), 1e-12 * Math.max(1, Math.abs(v)), t.verlName() + " value at " + i);
                assertEquals(g, t.gradient(logp, ref), 1e-12 * Math.max(1, Math.abs(g)), t.verlName() + " gradient at " + i);
            }
        }
        assertEquals(Set.of(KlLossType.values()), seen);
    }

    @Test
    void theDefaultIsTrlsK3() {
        assertEquals(KlLossType.K3, LossSettings.defaults().klLossType());
        assertTrue(KlLossType.LOW_VAR_KL.value(0, 25) == 10.0 && KlLossType.K3.value(0, 25) > 1e10, "only low_var_kl clamps");
    }

    @ParameterizedTest
    @EnumSource(KlLossType.class)
    void finiteDifferencesOfTheLossWithEachEstimator(KlLossType t) {
        long seed = 190;
        for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values())
            for (boolean biasCorrection : new boolean[] {false, true})
                GrpoLossGradientCheckTest.checkGradient(GrpoLossGradientCheckTest.settings(LossType.GRPO, level, 0.3).with("kl_loss_type", t)
                        .with("use_bias_correction_kl", biasCorrection), seed++);
    }
}
