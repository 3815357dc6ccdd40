package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardAggregationTest {
    static final double NaN = Double.NaN;

    @Test
    void weightedSumIgnoresNaNsAndKeepsNaNWhenEveryFunctionIsNaN() {
        double[][] f = {{1, NaN, NaN, 2}, {2, 4, NaN, 0}};
        double[] r = RewardAggregation.weightedSum(f, new double[] {1, 0.5});
        assertArrayEquals(new double[] {2, 2, NaN, 2}, r, 0);
        assertArrayEquals(new double[] {3, 4, NaN, 2}, RewardAggregation.weightedSum(f, null), 0);
    }

    @Test
    void sumThenNormalizeIsAdvantagesOfTheWeightedSum() {
        double[][] f = {{1, 0, 1, 1}, {0, 10, 5, NaN}};
        double[] w = {1, 2};
        AdvantageResult a = RewardAggregation.advantages(f, w, 2, ScaleRewards.GROUP, MultiObjectiveAggregation.SUM_THEN_NORMALIZE);
        AdvantageResult b = Advantages.compute(RewardAggregation.weightedSum(f, w), 2, ScaleRewards.GROUP);
        assertArrayEquals(b.advantages(), a.advantages(), 0);
        assertEquals(b.reward(), a.reward());
        assertEquals(b.rewardStd(), a.rewardStd());
    }

    @Test
    void normalizeThenSumNormalisesEachFunctionPerGroupThenTheBatch() {
        double[][] f = {{1, 0, 1, 1}, {0, 10, 5, 7}};
        double[] w = {1, 2};
        double e = 1e-4;
        // function 0: group 0 mean .5 std √.5, group 1 equal (std 0); function 1: group 0 mean 5 std √50, group 1 mean 6 std √2
        double z00 = 0.5 / (Math.sqrt(0.5) + e), z10 = 5 / (Math.sqrt(50) + e), z11 = 1 / (Math.sqrt(2) + e);
        double[] s = {z00 - 2 * z10, -z00 + 2 * z10, 0 - 2 * z11, 0 + 2 * z11};
        double mean = (s[0] + s[1] + s[2] + s[3]) / 4, ss = 0;
        for (double x : s) ss += (x - mean) * (x - mean);
        double std = Math.sqrt(ss / 3);
        AdvantageResult a = RewardAggregation.advantages(f, w, 2, ScaleRewards.NONE, MultiObjectiveAggregation.NORMALIZE_THEN_SUM);
        for (int i = 0; i < 4; i++) assertEquals((s[i] - mean) / (std + e), a.advantages()[i], 1e-12, "completion " + i);
        // metrics come from the raw weighted sum: 1, 20, 11, 15
        assertEquals((1 + 20 + 11 + 15) / 4.0, a.reward(), 1e-12);
        assertEquals(0.0, a.fracRewardZeroStd());
    }

    @Test
    void normalizeThenSumLeavesCompletionsWithoutRewardOut() {
        double[][] f = {{1, 0, NaN, 3, 2, 5}, {NaN, 1, NaN, 0, 1, 1}};
        AdvantageResult a = RewardAggregation.advantages(f, null, 3, ScaleRewards.GROUP, MultiObjectiveAggregation.NORMALIZE_THEN_SUM);
        assertEquals(0.0, a.advantages()[2], 0.0);
        double sum = 0;
        for (int i = 0; i < 6; i++) if (i != 2) sum += a.advantages()[i];
        assertEquals(0.0, sum, 1e-12); // centred over the five completions that have a reward
        for (double x : a.advantages()) assertTrue(Double.isFinite(x));
    }

    @Test
    void functionMetricsAreNanMeanAndNanStd() {
        double[][] f = {{1, NaN, 3}, {NaN, 2, NaN}, {NaN, NaN, NaN}};
        Map<String, Double> m = RewardAggregation.functionMetrics(List.of("acc", "fmt", "never"), f);
        assertEquals(2.0, m.get("rewards/acc/mean"));
        assertEquals(Math.sqrt(2), m.get("rewards/acc/std"), 1e-15);
        assertEquals(2.0, m.get("rewards/fmt/mean"));
        assertTrue(Double.isNaN(m.get("rewards/fmt/std"))); // torch: std of one value is NaN
        assertTrue(Double.isNaN(m.get("rewards/never/mean")));
        assertEquals(List.of("rewards/acc/mean", "rewards/acc/std", "rewards/acc/nan_count", "rewards/fmt/mean", "rewards/fmt/std", "rewards/fmt/nan_count",
                "rewards/never/mean", "rewards/never/std", "rewards/never/nan_count"), List.copyOf(m.keySet()));
        assertEquals(1.0, m.get("rewards/acc/nan_count"));
        assertEquals(3.0, m.get("rewards/never/nan_count"));
    }

    @Test
    void shapeErrorsNameTheProblem() {
        var e = assertThrows(IllegalArgumentException.class, () -> RewardAggregation.weightedSum(new double[][] {{1}, {2}}, new double[] {1}));
        assertTrue(e.getMessage().contains("reward_weights has 1 entries for 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RewardAggregation.weightedSum(new double[][] {{1, 2}, {2}}, null));
        assertTrue(e.getMessage().contains("reward function 1 has 1 values"), e.getMessage());
        assertEquals(MultiObjectiveAggregation.NORMALIZE_THEN_SUM, MultiObjectiveAggregation.parse("normalize_then_sum"));
    }
}
