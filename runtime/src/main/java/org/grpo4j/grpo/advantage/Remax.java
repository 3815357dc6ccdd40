package org.grpo4j.grpo.advantage;

/**
 * ReMax (Li et al. 2023; verl {@code compute_remax_outcome_advantage}): the baseline of a prompt's completions is the
 * reward of one greedy completion of the same prompt, scored by the same reward functions.
 *
 * <pre>
 * A_i = r_i − b_g      b_g = the weighted reward of the greedy completion of group g
 * </pre>
 * No scaling. A completion without a reward gets A = 0; so does every completion of a group whose greedy completion
 * has no reward (NaN baseline: there is nothing to compare with — verl has no such case).
 */
public final class Remax {
    private Remax() {}

    public static double[] advantages(double[] rewards, int groupSize, double[] baselines) {
        AdvantageEstimator.checkGroups(rewards.length, groupSize);
        if (baselines == null || baselines.length != rewards.length / groupSize)
            throw new IllegalArgumentException("remax needs one greedy baseline per group: " + (baselines == null ? "none" : baselines.length)
                    + " for " + rewards.length / groupSize + " groups");
        double[] adv = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            double b = baselines[i / groupSize];
            adv[i] = Double.isNaN(rewards[i]) || Double.isNaN(b) ? 0.0 : rewards[i] - b;
        }
        return adv;
    }
}
