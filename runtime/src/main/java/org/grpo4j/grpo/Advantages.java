package org.grpo4j.grpo;

/**
 * Group-relative advantages (TRL {@code _generate_and_score_completions}, {@code sum_then_normalize}). Rewards
 * are group-major: the G completions of one prompt are consecutive. NaN = no reward for that completion.
 *
 * <pre>
 * μ_g = mean of the group's finite rewards;  σ_g = their standard deviation with Bessel's correction (n − 1)
 * group: A = (r − μ_g) / (σ_g + 1e-4)    batch: A = (r − μ_g) / (σ_batch + 1e-4)    none: A = r − μ_g
 * </pre>
 * σ_batch is the standard deviation (n − 1) of every finite reward of the generation batch, as TRL's
 * {@code rewards.std()}. A completion whose reward is NaN gets A = 0 and is left out of μ and σ.
 *
 * <p>Where TRL has no answer: a group with a single finite reward. torch.std of one value is NaN, which would
 * make TRL's advantage NaN; TRL never meets it (its nansum turns a missing reward into 0, and for G = 1 it sets
 * σ = 0). Here σ = 0 for fewer than two finite values, which is TRL's G = 1 rule: the lone reward equals its
 * mean, so its A = 0, and the group counts as having zero std.
 */
public final class Advantages {
    /** TRL's constant added to the standard deviation. */
    public static final double STD_EPS = 1e-4;
    /** torch.isclose(std, 0) with its default atol: a group whose std is at most this has no signal. */
    public static final double ZERO_STD = 1e-8;

    private Advantages() {}

    /** Advantages and the reward metrics of one generation batch of {@code rewards.length = groups × groupSize}. */
    public static AdvantageResult compute(double[] rewards, int groupSize, ScaleRewards scale) {
        int n = checkGroups(rewards.length, groupSize);
        int groups = n / groupSize;
        double[] adv = new double[n];
        boolean[] zero = new boolean[groups];
        double batchStd = std(rewards, 0, n);
        int zeroCount = 0;
        for (int g = 0; g < groups; g++) {
            int from = g * groupSize, to = from + groupSize;
            double mu = mean(rewards, from, to), sigma = std(rewards, from, to);
            zero[g] = sigma <= ZERO_STD;
            if (zero[g]) zeroCount++;
            double div = switch (scale) {
                case GROUP -> sigma + STD_EPS;
                case BATCH -> batchStd + STD_EPS;
                case NONE -> 1.0;
            };
            for (int i = from; i < to; i++) adv[i] = Double.isNaN(rewards[i]) ? 0.0 : (rewards[i] - mu) / div;
        }
        return new AdvantageResult(adv, mean(rewards, 0, n), batchStd, groups == 0 ? 0.0 : (double) zeroCount / groups, zero);
    }

    static int checkGroups(int n, int groupSize) {
        if (groupSize < 1) throw new IllegalArgumentException("num_generations must be ≥ 1, got " + groupSize);
        if (n % groupSize != 0)
            throw new IllegalArgumentException(n + " rewards are not a whole number of groups of num_generations = " + groupSize);
        return n;
    }

    /** Mean of the non-NaN values of {@code [from, to)}; NaN if there is none. */
    static double mean(double[] v, int from, int to) {
        double s = 0;
        int c = 0;
        for (int i = from; i < to; i++) {
            if (!Double.isNaN(v[i])) {
                s += v[i];
                c++;
            }
        }
        return c == 0 ? Double.NaN : s / c;
    }

    /** Standard deviation (n − 1) of the non-NaN values of {@code [from, to)}; 0 with fewer than two. */
    static double std(double[] v, int from, int to) {
        double mu = mean(v, from, to), ss = 0;
        int c = 0;
        for (int i = from; i < to; i++) {
            if (!Double.isNaN(v[i])) {
                double d = v[i] - mu;
                ss += d * d;
                c++;
            }
        }
        return c < 2 ? 0.0 : Math.sqrt(ss / (c - 1));
    }
}
