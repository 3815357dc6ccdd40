package org.grpo4j.grpo;

import java.util.List;
import java.util.Map;

/**
 * The outputs of every reward function for one batch of samples, {@code values[k][i]} for function k and sample
 * i (NaN = not applicable or failed), the failures of that call, and {@code reasons[k][i]}, why function k gave
 * sample i its value ({@code reasons[k]} is null for a function that does not say, see
 * {@link org.grpo4j.reward.ExplainedReward}).
 */
public record RewardScores(List<String> names, double[][] values, List<RewardFailure> failures, String[][] reasons) {
    public RewardScores {
        names = List.copyOf(names);
        failures = List.copyOf(failures);
        if (reasons == null) reasons = new String[names.size()][];
        if (reasons.length != names.size()) throw new IllegalArgumentException(reasons.length + " reason lists for " + names.size() + " functions");
    }

    /** Scores without reasons. */
    public RewardScores(List<String> names, double[][] values, List<RewardFailure> failures) {
        this(names, values, failures, null);
    }

    /** Why function {@code k} gave sample {@code i} its value, or null. */
    public String reason(int k, int i) {
        return reasons[k] == null ? null : reasons[k][i];
    }

    /** Number of scored samples. */
    public int samples() {
        return values.length == 0 ? 0 : values[0].length;
    }

    /** {@code rewards/<name>/mean}, {@code /std} and {@code /nan_count} (see {@link RewardAggregation#functionMetrics}). */
    public Map<String, Double> metrics() {
        return RewardAggregation.functionMetrics(names, values);
    }

    /**
     * The trainer's stop rule: throws if not one sample has a finite reward from any function, since such a step
     * has no learning signal at all and usually means the reward code is broken. The message lists the
     * functions and their failures.
     */
    public void requireAnyFinite() {
        for (double[] v : values) for (double x : v) if (!Double.isNaN(x)) return;
        StringBuilder sb = new StringBuilder("no reward function gave a finite reward for any of the ")
                .append(samples()).append(" completions of this step (reward functions: ").append(String.join(", ", names)).append(")");
        if (failures.isEmpty()) sb.append("; every function returned NaN (not applicable) for every sample");
        else for (RewardFailure f : failures) sb.append("; ").append(f);
        throw new IllegalStateException(sb.toString());
    }
}
