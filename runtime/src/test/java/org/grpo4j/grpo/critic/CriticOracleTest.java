package org.grpo4j.grpo.critic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.grpo4j.grpo.KlController;
import org.grpo4j.grpo.KlRewardSettings;
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

    static double[] packed(JsonNode rows, int[] start) {
        double[] out = new double[start[start.length - 1]];
        for (int b = 0; b < rows.size(); b++) for (int t = 0; t < rows.get(b).size(); t++) out[start[b] + t] = rows.get(b).get(t).asDouble();
        return out;
    }

    @Test
    void klInTheRewardMatchesVerlsApplyKlPenaltyThenGae() throws IOException {
        for (JsonNode c : cases().get("kl_reward")) {
            String kind = c.get("kl_penalty").asText();
            int B = c.get("lengths").size();
            int[] start = new int[B + 1];
            for (int b = 0; b < B; b++) start[b + 1] = start[b] + c.get("lengths").get(b).asInt();
            double[] scores = doubles(c.get("scores")), tokenRewards = new double[start[B]];
            boolean[] valid = new boolean[B];
            java.util.Arrays.fill(valid, true);
            Gae.outcomeRewards(start, scores, valid, tokenRewards);
            org.grpo4j.grpo.KlLossType type = org.grpo4j.grpo.LossSettings.defaults().with("kl_loss_type", kind).klLossType();
            double sum = KlController.penalise(start, packed(c.get("old_logp"), start), packed(c.get("ref_logp"), start), type, c.get("beta").asDouble(),
                    tokenRewards);
            double[] want = packed(c.get("token_rewards"), start);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], tokenRewards[i], 1e-12, kind + " token reward " + i);
            assertEquals(c.get("current_kl").asDouble(), sum / B, 1e-12, kind + " current_kl");
            double[] adv = new double[start[B]], ret = new double[start[B]], values = packed(c.get("values"), start);
            Gae.advantagesAndReturns(start, tokenRewards, values, 1.0, 0.95, adv, ret);
            double[] s = Gae.sums(start, valid, adv);
            double mu = Gae.mean(s[0], s[1]);
            Gae.whiten(start, valid, adv, mu, Gae.variance(s[0], Gae.squaredDeviations(start, valid, adv, mu)));
            double[] wantA = packed(c.get("advantages"), start), wantR = packed(c.get("returns"), start);
            for (int i = 0; i < adv.length; i++) {
                assertEquals(wantA[i], adv[i], 1e-12, kind + " advantage " + i);
                assertEquals(wantR[i], ret[i], 1e-12, kind + " return " + i);
            }
        }
    }

    @Test
    void theAdaptiveControllerFollowsVerl() throws IOException {
        JsonNode c = cases().get("adaptive_kl_ctrl");
        KlRewardSettings s = KlRewardSettings.SETTINGS.with(KlRewardSettings.SETTINGS.with(KlRewardSettings.SETTINGS.with(KlRewardSettings.SETTINGS.with(
                KlRewardSettings.defaults(), "kl_ctrl", "adaptive"), "kl_coef", c.get("kl_coef").asDouble()), "target_kl", c.get("target_kl").asDouble()),
                "kl_horizon", c.get("kl_horizon").asInt());
        KlController ctrl = new KlController(s);
        KlController fixed = new KlController(KlRewardSettings.defaults());
        for (int k = 0; k < c.get("kls").size(); k++) {
            ctrl.update(c.get("kls").get(k).asDouble(), c.get("sequences").asInt());
            fixed.update(c.get("kls").get(k).asDouble(), c.get("sequences").asInt());
            assertEquals(c.get("betas").get(k).asDouble(), ctrl.value(), 1e-15, "β after batch " + k);
        }
        assertEquals(0.001, fixed.value(), 0.0, "a fixed controller keeps kl_coef");
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
