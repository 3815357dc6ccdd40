package org.grpo4j.grpo.critic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code oracle/critic/cases.json} ({@code tools/oracle/critic_oracle.py}, float64 torch): verl's GAE on padded
 * ragged batches with its response mask and batch whitening, against {@link Gae} on the packed tokens; verl's clipped
 * value loss, its clip fraction and its autograd gradient, against {@link ValueLoss}.
 */
class CriticOracleTest {
    static JsonNode cases() throws IOException {
        return new ObjectMapper().readTree(Path.of("src/test/resources/oracle/critic/cases.json").toFile());
    }

    static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    @Test
    void gaeMatchesVerlOnRaggedBatches() throws IOException {
        int checked = 0;
        for (JsonNode c : cases().get("gae")) {
            String name = c.get("name").asText();
            int B = c.get("lengths").size();
            int[] start = new int[B + 1];
            for (int b = 0; b < B; b++) start[b + 1] = start[b] + c.get("lengths").get(b).asInt();
            double[] rewards = doubles(c.get("rewards")), values = new double[start[B]];
            boolean[] valid = new boolean[B];
            java.util.Arrays.fill(valid, true);
            for (JsonNode m : c.get("missing")) {
                valid[m.asInt()] = false;
                rewards[m.asInt()] = Double.NaN;
            }
            for (int b = 0; b < B; b++) for (int t = 0; t < c.get("values").get(b).size(); t++) values[start[b] + t] = c.get("values").get(b).get(t).asDouble();
            double[] adv = new double[start[B]], ret = new double[start[B]];
            Gae.compute(start, rewards, valid, values, c.get("gamma").asDouble(), c.get("lam").asDouble(), adv, ret);
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < start[b + 1] - start[b]; t++) {
                    double wantA = c.get("advantages").get(b).get(t).asDouble();
                    assertEquals(wantA, adv[start[b] + t], 1e-12 * Math.max(1, Math.abs(wantA)), name + " advantage row " + b + " token " + t);
                    if (valid[b]) {
                        double wantR = c.get("returns").get(b).get(t).asDouble();
                        assertEquals(wantR, ret[start[b] + t], 1e-12 * Math.max(1, Math.abs(wantR)), name + " return row " + b + " token " + t);
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, "checked " + checked + " tokens");
    }

    @Test
    void clippedValueLossAndItsGradientMatchTorch() throws IOException {
        for (JsonNode c : cases().get("value_loss")) {
            String name = c.get("name").asText();
            double[] v = doubles(c.get("vpreds")), old = doubles(c.get("values")), ret = doubles(c.get("returns")), mask = doubles(c.get("mask"));
            double[] grad = new double[v.length];
            ValueLoss.Result r = ValueLoss.compute(v, old, ret, mask, 0, v.length, c.get("cliprange_value").asDouble(), c.get("scale").asDouble(), grad);
            assertEquals(c.get("vf_loss").asDouble(), r.loss(), 1e-12, name + " vf_loss");
            assertEquals(c.get("vf_clipfrac").asDouble(), r.clipFraction(), 1e-12, name + " vf_clipfrac");
            double clipped = c.get("vf_clipfrac").asDouble();
            assertTrue(clipped > 0.05 && clipped < 0.95, name + ": the case should exercise both branches, clipfrac " + clipped);
            double[] want = doubles(c.get("grad"));
            for (int i = 0; i < v.length; i++) assertEquals(want[i], grad[i], 1e-12, name + " d loss / d V[" + i + "]");
        }
    }

    @Test
    void lambdaOneAndGammaOneMakeEveryReturnTheReward() {
        // Open-Reasoner-Zero's setting: R_t = r whatever the values, A_t = r − V_t before whitening
        int[] start = {0, 3, 5};
        double[] tokenRewards = new double[5], values = {0.1, -0.4, 0.7, 0.2, 0.3}, adv = new double[5], ret = new double[5];
        Gae.outcomeRewards(start, new double[] {1.0, -0.5}, new boolean[] {true, true}, tokenRewards);
        Gae.advantagesAndReturns(start, tokenRewards, values, 1.0, 1.0, adv, ret);
        for (int i = 0; i < 5; i++) {
            double r = i < 3 ? 1.0 : -0.5;
            assertEquals(r, ret[i], 1e-15);
            assertEquals(r - values[i], adv[i], 1e-15);
        }
    }

    @Test
    void whiteningNeedsTwoTokens() {
        assertThrows(IllegalArgumentException.class, () -> Gae.compute(new int[] {0, 1}, new double[] {1}, new boolean[] {true}, new double[] {0.5},
                1, 1, new double[1], new double[1]));
    }
}
