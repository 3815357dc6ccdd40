package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdvantagesTest {
    static final double NaN = Double.NaN;

    @Test
    void groupScalingAndAGroupWithEqualRewards() {
        double[] r = {1, 0, 0, 1, 1, 1, 1, 1};
        AdvantageResult a = Advantages.compute(r, 4, ScaleRewards.GROUP);
        double sigma = Math.sqrt(1.0 / 3); // four values ±0.5 around 0.5, n − 1 = 3
        double up = 0.5 / (sigma + 1e-4);
        assertArrayEquals(new double[] {up, -up, -up, up, 0, 0, 0, 0}, a.advantages(), 1e-15);
        assertEquals(0.75, a.reward(), 1e-15);
        assertEquals(Math.sqrt(1.5 / 7), a.rewardStd(), 1e-15); // std of all 8 rewards (current TRL)
        assertEquals(0.5, a.fracRewardZeroStd());
        assertArrayEquals(new boolean[] {false, true}, a.zeroStdGroups());
        assertEquals(0.75, a.metrics().get("reward"));
        assertEquals(0.5, a.metrics().get("frac_reward_zero_std"));
    }

    @Test
    void nanRewardsAreLeftOutAndGetZeroAdvantage() {
        double[] r = {1, NaN, 3, NaN};
        AdvantageResult a = Advantages.compute(r, 4, ScaleRewards.GROUP);
        double d = 1 / (Math.sqrt(2) + 1e-4); // mean 2, std of {1, 3} = √2
        assertArrayEquals(new double[] {-d, 0, d, 0}, a.advantages(), 1e-15);
        assertEquals(2.0, a.reward(), 0);
        assertEquals(0.0, a.fracRewardZeroStd());
    }

    @Test
    void aSingleFiniteRewardHasZeroAdvantageAndCountsAsZeroStd() {
        double[] r = {NaN, 5, NaN, NaN, 1, 2, 3, 4};
        AdvantageResult a = Advantages.compute(r, 4, ScaleRewards.GROUP);
        for (int i = 0; i < 4; i++) assertEquals(0.0, a.advantages()[i], 0.0);
        assertEquals(3.0, a.reward(), 1e-15);
        assertEquals(0.5, a.fracRewardZeroStd());
        double s = Math.sqrt(5.0 / 3); // std of 1..4
        assertEquals(-1.5 / (s + 1e-4), a.advantages()[4], 1e-15);
    }

    @Test
    void aGroupWithoutAnyRewardHasZeroAdvantages() {
        AdvantageResult a = Advantages.compute(new double[] {NaN, NaN, 1, 2}, 2, ScaleRewards.GROUP);
        assertEquals(0.0, a.advantages()[0]);
        assertEquals(0.0, a.advantages()[1]);
        assertEquals(0.5, a.fracRewardZeroStd());
        AdvantageResult none = Advantages.compute(new double[] {NaN, NaN}, 2, ScaleRewards.GROUP);
        assertTrue(Double.isNaN(none.reward()));
        assertEquals(0.0, none.rewardStd());
    }

    @Test
    void batchScalingUsesTheStdOfTheWholeBatch() {
        double[] r = {0, 1, 2, 4};
        AdvantageResult a = Advantages.compute(r, 2, ScaleRewards.BATCH);
        double sb = Math.sqrt(8.75 / 3); // mean 1.75
        assertArrayEquals(new double[] {-0.5 / (sb + 1e-4), 0.5 / (sb + 1e-4), -1 / (sb + 1e-4), 1 / (sb + 1e-4)}, a.advantages(), 1e-15);
        assertEquals(sb, a.rewardStd(), 1e-15);
    }

    @Test
    void noneOnlyCentres() {
        AdvantageResult a = Advantages.compute(new double[] {0, 1, 2, 4, 7, 7}, 2, ScaleRewards.NONE);
        assertArrayEquals(new double[] {-0.5, 0.5, -1, 1, 0, 0}, a.advantages(), 0);
        assertEquals(1.0 / 3, a.fracRewardZeroStd(), 1e-15);
    }

    @Test
    void nearlyEqualRewardsCountAsZeroStdLikeTorchIsclose() {
        AdvantageResult a = Advantages.compute(new double[] {1, 1 + 1e-9, 0, 1}, 2, ScaleRewards.GROUP);
        assertArrayEquals(new boolean[] {true, false}, a.zeroStdGroups());
    }

    @Test
    void badShapesAndNames() {
        var e = assertThrows(IllegalArgumentException.class, () -> Advantages.compute(new double[5], 2, ScaleRewards.GROUP));
        assertTrue(e.getMessage().contains("num_generations = 2"), e.getMessage());
        assertEquals(ScaleRewards.GROUP, ScaleRewards.parse("true"));
        assertEquals(ScaleRewards.NONE, ScaleRewards.parse("false"));
        assertEquals(ScaleRewards.BATCH, ScaleRewards.parse("Batch"));
        assertThrows(IllegalArgumentException.class, () -> ScaleRewards.parse("global"));
    }
}
