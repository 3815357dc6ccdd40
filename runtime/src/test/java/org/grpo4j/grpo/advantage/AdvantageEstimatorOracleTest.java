package org.grpo4j.grpo.advantage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.grpo.KlLossType;
import org.grpo4j.grpo.LossSettings;
import org.grpo4j.grpo.ScaleRewards;
import org.grpo4j.grpo.critic.Gae;
import org.grpo4j.grpo.KlController;
import org.junit.jupiter.api.Test;

/**
 * {@code oracle/advantages/cases.json} ({@code tools/oracle/advantage_oracle.py}: verl's rloo, reinforce_plus_plus
 * and remax at token level on ragged batches, float64): every token of a completion carries the one advantage the
 * Java estimator gives it, padding carries 0. With the KL penalty in the reward ({@code kl_in_reward}): verl's
 * apply_kl_penalty, then grpo/rloo on the summed token rewards and reinforce_plus_plus/remax per token ({@link TokenLevel}).
 */
class AdvantageEstimatorOracleTest {
    static JsonNode cases() throws IOException {
        return new ObjectMapper().readTree(Path.of("src/test/resources/oracle/advantages/cases.json").toFile());
    }

    static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    @Test
    void everyEstimatorMatchesVerlTokenByToken() throws IOException {
        int checked = 0;
        for (JsonNode c : cases().get("advantages")) {
            int G = c.get("num_generations").asInt();
            double[] rewards = doubles(c.get("rewards")), lengths = doubles(c.get("lengths")), baselines = doubles(c.get("baselines"));
            for (AdvantageEstimator e : new AdvantageEstimator[] {AdvantageEstimator.RLOO, AdvantageEstimator.REINFORCE_PLUS_PLUS, AdvantageEstimator.REMAX}) {
                double[] adv = e.advantages(rewards, G, lengths, baselines);
                JsonNode rows = c.get(e.verlName());
                for (int i = 0; i < rewards.length; i++) {
                    JsonNode row = rows.get(i);
                    for (int t = 0; t < row.size(); t++) {
                        double want = row.get(t).asDouble(), got = t < lengths[i] ? adv[i] : 0.0;
                        assertEquals(want, got, 1e-12 * Math.max(1, Math.abs(want)), c.get("name").asText() + " " + e.verlName() + " row " + i + " token " + t);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 300, "checked " + checked + " tokens");
    }

    /** Ragged rows of a case packed end to end (no padding). */
    static double[] packed(JsonNode rows, int[] start) {
        double[] out = new double[start[start.length - 1]];
        for (int b = 0; b < rows.size(); b++) for (int t = 0; t < start[b + 1] - start[b]; t++) out[start[b] + t] = rows.get(b).get(t).asDouble();
        return out;
    }

    @Test
    void klInTheRewardThenEveryEstimatorMatchesVerl() throws IOException {
        int checked = 0;
        for (JsonNode c : cases().get("kl_in_reward")) {
            String name = c.get("name").asText();
            int B = c.get("lengths").size(), G = c.get("num_generations").asInt();
            int[] start = new int[B + 1];
            for (int b = 0; b < B; b++) start[b + 1] = start[b] + c.get("lengths").get(b).asInt();
            boolean[] valid = new boolean[B];
            java.util.Arrays.fill(valid, true);
            double[] tokenRewards = new double[start[B]];
            Gae.outcomeRewards(start, doubles(c.get("scores")), valid, tokenRewards);
            KlLossType type = LossSettings.defaults().with("kl_loss_type", c.get("kl_penalty").asText()).klLossType();
            double klSum = KlController.penalise(start, packed(c.get("old_logp"), start), packed(c.get("ref_logp"), start), type, c.get("beta").asDouble(),
                    tokenRewards);
            assertEquals(c.get("current_kl").asDouble(), klSum / B, 1e-12, name + " current_kl");
            double[] want = packed(c.get("token_rewards"), start);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], tokenRewards[i], 1e-12, name + " token reward " + i);
            ScaleRewards scale = ScaleRewards.valueOf(c.get("scale_rewards").asText().toUpperCase(java.util.Locale.ROOT));
            double gamma = c.get("gamma").asDouble();
            for (AdvantageEstimator e : new AdvantageEstimator[] {AdvantageEstimator.GRPO, AdvantageEstimator.RLOO, AdvantageEstimator.REINFORCE_PLUS_PLUS,
                    AdvantageEstimator.REMAX}) {
                TokenLevel.Result r = TokenLevel.advantages(e, start, tokenRewards, valid, G, scale, gamma, doubles(c.get("baselines")), Communicator.single());
                double[] seq = doubles(c.get("sequence_rewards"));
                for (int b = 0; b < B; b++) assertEquals(seq[b], r.sums()[b], 1e-12, name + " sequence reward " + b);
                double[] got = r.tokens();
                if (got == null) { // one advantage per completion: every token carries it
                    got = new double[start[B]];
                    for (int b = 0; b < B; b++) java.util.Arrays.fill(got, start[b], start[b + 1], r.sequence()[b]);
                }
                double[] wantA = e == AdvantageEstimator.GRPO ? new double[start[B]] : packed(c.get(e.verlName()), start);
                if (e == AdvantageEstimator.GRPO) for (int b = 0; b < B; b++) java.util.Arrays.fill(wantA, start[b], start[b + 1], c.get("grpo").get(b).asDouble());
                for (int i = 0; i < wantA.length; i++) {
                    assertEquals(wantA[i], got[i], 1e-11 * Math.max(1, Math.abs(wantA[i])), name + " " + e.verlName() + " token " + i);
                    checked++;
                }
                if (e == AdvantageEstimator.REINFORCE_PLUS_PLUS) {
                    double[] wantR = packed(c.get("reinforce_plus_plus_returns"), start);
                    for (int i = 0; i < wantR.length; i++) assertEquals(wantR[i], r.returns()[i], 1e-12, name + " return " + i);
                }
            }
        }
        assertTrue(checked > 200, "checked " + checked + " tokens");
    }

    @Test
    void missingRewardsGetZeroAndStayOutOfTheStatistics() {
        double nan = Double.NaN;
        // rloo: the NaN is not one of the others; the lone finite reward of group 2 keeps its value (verl: baseline 0)
        double[] rloo = Rloo.advantages(new double[] {1, 3, nan, nan, 2, nan}, 3);
        assertEquals(1 - 3.0, rloo[0], 1e-15);
        assertEquals(3 - 1.0, rloo[1], 1e-15);
        assertEquals(0.0, rloo[2]);
        assertEquals(0.0, rloo[3]);
        assertEquals(2.0, rloo[4]);
        assertEquals(0.0, rloo[5]);
        // remax: a NaN reward or a NaN greedy baseline gives 0
        double[] remax = Remax.advantages(new double[] {1, nan, 4, 2}, 2, new double[] {0.5, nan});
        assertEquals(0.5, remax[0], 1e-15);
        assertEquals(0.0, remax[1]);
        assertEquals(0.0, remax[2]);
        assertEquals(0.0, remax[3]);
        // reinforce++: same as the batch without the NaN completion
        double[] with = ReinforcePlusPlus.advantages(new double[] {1, nan, 0, 1}, new double[] {2, 9, 3, 4});
        double[] without = ReinforcePlusPlus.advantages(new double[] {1, 0, 1}, new double[] {2, 3, 4});
        assertEquals(0.0, with[1]);
        assertEquals(without[0], with[0], 1e-15);
        assertEquals(without[1], with[2], 1e-15);
        assertEquals(without[2], with[3], 1e-15);
    }

    @Test
    void reinforcePlusPlusNormalisesOverTheBatchNotTheGroup() {
        // two groups whose rewards are constant within the group: group normalisation would give 0 everywhere
        double[] adv = ReinforcePlusPlus.advantages(new double[] {1, 1, 0, 0}, new double[] {1, 1, 1, 1});
        double sd = Math.sqrt(1.0 / 3 + 1e-8); // mean 0.5, unbiased variance over 4 tokens: 4·0.25/(4 + 1e-8)·4/3
        assertEquals(0.5 / sd, adv[0], 1e-7);
        assertEquals(-0.5 / sd, adv[3], 1e-7);
    }

    @Test
    void theSettingIsVerlsAndChecked() {
        assertEquals(AdvantageEstimator.GRPO, GrpoConfig.builder().build().rollouts().advEstimator());
        for (AdvantageEstimator e : AdvantageEstimator.values())
            assertEquals(e, GrpoConfig.builder().set("adv_estimator", e.verlName()).build().rollouts().advEstimator());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("adv_estimator", "ppo").build());
        assertTrue(bad.getMessage().contains("adv_estimator = 'ppo' is not one of grpo, rloo, reinforce_plus_plus, remax, gae"), bad.getMessage());
        IllegalArgumentException seq = assertThrows(IllegalArgumentException.class,
                () -> GrpoConfig.builder().set("adv_estimator", "gae").set("importance_sampling_level", "sequence").build());
        assertTrue(seq.getMessage().contains("needs importance_sampling_level = token"), seq.getMessage());
        // a LoRA critic: adapters of its own on the policy's frozen base
        assertTrue(GrpoConfig.builder().set("adv_estimator", "gae").set("use_peft", true).build().peft().usePeft());
        // per-token advantages need token-level importance sampling; the KL penalty goes into the summed reward, not per function
        IllegalArgumentException rpp = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("adv_estimator", "reinforce_plus_plus")
                .set("use_kl_in_reward", true).set("importance_sampling_level", "sequence").build());
        assertTrue(rpp.getMessage().contains("reinforce_plus_plus with use_kl_in_reward gives every token its own advantage"), rpp.getMessage());
        IllegalArgumentException gdpo = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("use_kl_in_reward", true)
                .set("multi_objective_aggregation", "normalize_then_sum").build());
        assertTrue(gdpo.getMessage().contains("use sum_then_normalize"), gdpo.getMessage());
        for (AdvantageEstimator e : AdvantageEstimator.values())
            assertTrue(GrpoConfig.builder().set("adv_estimator", e.verlName()).set("use_kl_in_reward", true).build().klReward().useKlInReward());
        IllegalArgumentException mix = assertThrows(IllegalArgumentException.class,
                () -> GrpoConfig.builder().set("adv_estimator", "rloo").set("multi_objective_aggregation", "normalize_then_sum").build());
        assertTrue(mix.getMessage().contains("normalize_then_sum works only with adv_estimator = grpo, not rloo"), mix.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Remax.advantages(new double[] {1, 2}, 2, null));
    }
}
