package org.grpo4j.grpo.advantage;

/**
 * RLOO (Ahmadian et al. 2024; verl {@code compute_rloo_outcome_advantage}): each completion's baseline is the mean
 * reward of the <em>other</em> completions of its group.
 *
 * <pre>
 * A_i = r_i − mean_{j≠i} r_j = (r_i − mean_g) · n / (n − 1)     n = the group's completions with a reward
 * </pre>
 * A group with a single reward keeps it as its advantage (verl: a lone response's baseline is 0); a completion
 * without a reward (NaN) gets A = 0 and is not one of the others. No scaling by a standard deviation.
 */
public final class Rloo {
    private Rloo() {}

    public static double[] advantages(double[] rewards, int groupSize) {
        AdvantageEstimator.checkGroups(rewards.length, groupSize);
        double[] adv = new double[rewards.length];
        for (int from = 0; from < rewards.length; from += groupSize) {
            int to = from + groupSize, n = 0;
            double sum = 0;
            for (int i = from; i < to; i++) {
                if (!Double.isNaN(rewards[i])) {
                    sum += rewards[i];
                    n++;
                }
            }
            for (int i = from; i < to; i++) {
                if (Double.isNaN(rewards[i])) adv[i] = 0.0;
                else adv[i] = n == 1 ? rewards[i] : (rewards[i] - sum / n) * n / (n - 1);
            }
        }
        return adv;
    }
}
