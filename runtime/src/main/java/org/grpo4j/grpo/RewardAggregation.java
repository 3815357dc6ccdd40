package org.grpo4j.grpo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns K reward functions' outputs ({@code perFunction[k][i]}, NaN = not applicable) into advantages, per TRL's
 * {@code multi_objective_aggregation}, and computes the per-function metrics.
 *
 * <p>{@code sum_then_normalize} (default): {@code r_i = Σ_k w_k r_{i,k}} over the finite {@code r_{i,k}}, then
 * {@link Advantages#compute}. Unlike TRL's {@code nansum}, which turns "every function returned NaN" into a
 * reward of 0 that enters the group mean (TRL warns about it), such a completion keeps r_i = NaN here: it is
 * left out of the group statistics and gets A = 0 (grpo4j's spec).
 *
 * <p>{@code normalize_then_sum} (GDPO), as TRL: for each function k and group g,
 * {@code z_{i,k} = (r_{i,k} − μ_{g,k}) / (σ_{g,k} + 1e-4)} over the finite values (σ with n − 1; a lone finite
 * value gives z = 0, TRL drops its NaN, which adds the same 0); {@code s_i = Σ_k w_k z_{i,k}} over the finite z;
 * {@code A_i = (s_i − mean(s)) / (std(s) + 1e-4)} over the whole batch (std with n − 1, 0 for fewer than two).
 * {@code scale_rewards} is not used in this mode (TRL ignores it too). A completion with no finite reward keeps
 * A = 0 and is left out of mean(s) and std(s) (TRL: s = 0, included).
 *
 * <p>Metrics in both modes come from the raw weighted sum r_i: {@code reward}, {@code reward_std} (std of all
 * finite r_i, n − 1) and {@code frac_reward_zero_std} (share of groups whose r_i are all equal). Current TRL
 * logs the <em>unweighted</em> sum there and, for normalize_then_sum or scale_rewards = batch, derives
 * frac_reward_zero_std from the batch std; with all weights 1 and group scaling the numbers agree.
 */
public final class RewardAggregation {
    private RewardAggregation() {}

    /** r_i = Σ_k w_k r_{i,k} over the finite r_{i,k}; NaN when no function has a value for i. {@code weights} null = all 1. */
    public static double[] weightedSum(double[][] perFunction, double[] weights) {
        int n = checkShape(perFunction, weights);
        double[] r = new double[n];
        Arrays.fill(r, Double.NaN);
        for (int k = 0; k < perFunction.length; k++) {
            double w = weights == null ? 1.0 : weights[k];
            for (int i = 0; i < n; i++) {
                double v = perFunction[k][i];
                if (!Double.isNaN(v)) r[i] = (Double.isNaN(r[i]) ? 0.0 : r[i]) + w * v;
            }
        }
        return r;
    }

    /** Advantages and reward metrics of one generation batch (group-major, {@code groupSize} = num_generations). */
    public static AdvantageResult advantages(double[][] perFunction, double[] weights, int groupSize, ScaleRewards scale,
                                             MultiObjectiveAggregation aggregation) {
        double[] raw = weightedSum(perFunction, weights);
        AdvantageResult sum = Advantages.compute(raw, groupSize, scale);
        if (aggregation == MultiObjectiveAggregation.SUM_THEN_NORMALIZE) return sum;

        int n = raw.length, K = perFunction.length;
        double[][] z = new double[K][];
        for (int k = 0; k < K; k++) z[k] = normalizeWithinGroups(perFunction[k], groupSize);
        double[] s = weightedSum(z, weights);
        double mu = Advantages.mean(s, 0, n), div = Advantages.std(s, 0, n) + Advantages.STD_EPS;
        double[] adv = new double[n];
        for (int i = 0; i < n; i++) adv[i] = Double.isNaN(s[i]) ? 0.0 : (s[i] - mu) / div;
        return new AdvantageResult(adv, sum.reward(), sum.rewardStd(), sum.fracRewardZeroStd(), sum.zeroStdGroups());
    }

    /** (r − μ_g) / (σ_g + 1e-4) per group over the finite values; NaN stays NaN; a lone finite value gives 0. */
    static double[] normalizeWithinGroups(double[] r, int groupSize) {
        int n = Advantages.checkGroups(r.length, groupSize);
        double[] z = new double[n];
        for (int from = 0; from < n; from += groupSize) {
            int to = from + groupSize;
            double mu = Advantages.mean(r, from, to), div = Advantages.std(r, from, to) + Advantages.STD_EPS;
            for (int i = from; i < to; i++) z[i] = Double.isNaN(r[i]) ? Double.NaN : (r[i] - mu) / div;
        }
        return z;
    }

    /**
     * {@code rewards/<name>/mean} and {@code rewards/<name>/std} per function over its finite values (TRL's
     * nanmean and nanstd with n − 1; NaN when it has no value, resp. fewer than two, as torch gives), and
     * {@code rewards/<name>/nan_count}: the samples it gave no value (it returned NaN, threw or timed out).
     */
    public static Map<String, Double> functionMetrics(List<String> names, double[][] perFunction) {
        if (names.size() != perFunction.length)
            throw new IllegalArgumentException(names.size() + " names for " + perFunction.length + " reward functions");
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < perFunction.length; k++) {
            double[] v = perFunction[k];
            int finite = 0;
            for (double x : v) if (!Double.isNaN(x)) finite++;
            m.put("rewards/" + names.get(k) + "/mean", Advantages.mean(v, 0, v.length));
            m.put("rewards/" + names.get(k) + "/std", finite < 2 ? Double.NaN : Advantages.std(v, 0, v.length));
            m.put("rewards/" + names.get(k) + "/nan_count", (double) (v.length - finite));
        }
        return m;
    }

    private static int checkShape(double[][] perFunction, double[] weights) {
        if (perFunction.length == 0) throw new IllegalArgumentException("no reward function outputs");
        if (weights != null && weights.length != perFunction.length)
            throw new IllegalArgumentException("reward_weights has " + weights.length + " entries for " + perFunction.length + " reward functions");
        int n = perFunction[0].length;
        for (int k = 1; k < perFunction.length; k++)
            if (perFunction[k].length != n)
                throw new IllegalArgumentException("reward function " + k + " has " + perFunction[k].length + " values, function 0 has " + n);
        if (weights != null)
            for (int k = 0; k < weights.length; k++)
                if (!Double.isFinite(weights[k])) throw new IllegalArgumentException("reward_weights[" + k + "] = " + weights[k]);
        return n;
    }
}
