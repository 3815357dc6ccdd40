package org.grpo4j.grpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Advantages of one generation batch and TRL's reward metrics.
 *
 * @param advantages        one per completion, group-major as the rewards; 0 for a completion without a reward
 * @param reward            {@code reward}: mean of the finite (weighted-sum) rewards; NaN if there is none
 * @param rewardStd         {@code reward_std}: standard deviation (n − 1) of the finite rewards of the whole
 *                          batch, as current TRL ({@code rewards.std()}); 0 with fewer than two
 * @param fracRewardZeroStd {@code frac_reward_zero_std}: share of groups without signal (see {@link #zeroStdGroups})
 * @param zeroStdGroups     per group: its finite rewards are all equal (std ≤ 1e-8, torch.isclose to 0) or it
 *                          has fewer than two: no learning signal (with sum_then_normalize its advantages are 0). Dynamic
 *                          sampling drops these groups.
 */
public record AdvantageResult(double[] advantages, double reward, double rewardStd, double fracRewardZeroStd, boolean[] zeroStdGroups) {

    /** The same reward metrics with another estimator's advantages (one per completion, same order). */
    public AdvantageResult withAdvantages(double[] other) {
        if (other.length != advantages.length) throw new IllegalArgumentException(other.length + " advantages for " + advantages.length + " completions");
        return new AdvantageResult(other, reward, rewardStd, fracRewardZeroStd, zeroStdGroups);
    }

    /** {@code reward}, {@code reward_std}, {@code frac_reward_zero_std}. */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("reward", reward);
        m.put("reward_std", rewardStd);
        m.put("frac_reward_zero_std", fracRewardZeroStd);
        return m;
    }
}
