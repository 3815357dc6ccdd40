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
 *
 * <p>With the KL penalty in the reward ({@code use_kl_in_reward}) the advantages are per token, as verl's: each token's
 * reward-to-go (the sum of the KL-penalised token rewards from it to the end) minus the baseline, which is the greedy
 * completion's score without a penalty ({@link #tokenAdvantages}).
 */
public final class Remax {
    private Remax() {}

    /**
     * Per-token advantages of completion b's tokens {@code [start[b], start[b+1])}: {@code Σ_{k≥t} r_k − baseline[b]};
     * 0 for a completion without a reward ({@code valid[b]} false) or whose baseline is NaN.
     */
    public static void tokenAdvantages(int[] start, double[] tokenRewards, boolean[] valid, double[] baselines, double[] out) {
        for (int b = 0; b + 1 < start.length; b++) {
            boolean none = !valid[b] || Double.isNaN(baselines[b]);
            double toGo = 0;
            for (int i = start[b + 1] - 1; i >= start[b]; i--) {
                toGo += tokenRewards[i];
                out[i] = none ? 0.0 : toGo - baselines[b];
            }
        }
    }

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
