package org.grpo4j.dsl.reward;

import java.util.List;
import java.util.Map;
import org.grpo4j.reward.Sample;

/**
 * The one implementation behind every {@link Reward}: a name, a weight and a batch scoring function, composed
 * like llama3.java's samplers (each combinator wraps the function of the reward it was called on). Build one
 * through {@link org.grpo4j.dsl.reward.Rewards}; construct it directly only to set every field at once:
 *
 * <pre>{@code Reward r = new ComposedReward("ones", 0.5, null, samples -> new double[samples.size()]);}</pre>
 */
public record ComposedReward(String name, double weight, String goldColumn, BatchFn fn) implements Reward {
    public ComposedReward {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a reward needs a non-blank name");
        if (fn == null) throw new IllegalArgumentException("reward '" + name + "': scoring function is null");
    }

    @Override
    public double[] score(List<Sample> samples) {
        double[] v = fn.score(samples);
        checkLength(this, v, samples.size());
        return v;
    }

    /** A reward from a per-sample function; its exceptions name the reward and the sample. */
    public static Reward perSample(String name, PerSample f) {
        return new ComposedReward(name, 1.0, null, samples -> {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                Sample s = samples.get(i);
                Double v;
                try {
                    v = f.score(s.completion(), s.row());
                } catch (RuntimeException e) {
                    throw new RewardException("reward '" + name + "' failed on sample " + i + " of the batch: " + e, e);
                }
                out[i] = v == null ? Double.NaN : v;
            }
            return out;
        });
    }

    static void checkLength(Reward r, double[] v, int n) {
        if (v == null || v.length != n)
            throw new RewardException("reward '" + r.name() + "' returned " + (v == null ? "null" : v.length + " values")
                    + " for a batch of " + n + " samples");
    }

    /**
     * The gold answer of a row: the configured column, or else {@code solution} (open-r1) then {@code answer}
     * (GSM8K). A missing column is a configuration error, reported with the columns the row has.
     */
    public static String gold(String reward, Map<String, Object> row, String column) {
        Object v;
        if (column != null) {
            if (!row.containsKey(column))
                throw new RewardException("reward '" + reward + "' reads the gold answer from column '" + column
                        + "', but the row has columns " + new java.util.TreeSet<>(row.keySet()));
            v = row.get(column);
        } else {
            v = row.containsKey("solution") ? row.get("solution") : row.get("answer");
            if (v == null && !row.containsKey("solution") && !row.containsKey("answer"))
                throw new RewardException("reward '" + reward + "' needs the gold answer in column 'solution' or 'answer'"
                        + " (or a column given to the factory); the row has columns " + new java.util.TreeSet<>(row.keySet()));
        }
        return v == null ? null : v.toString();
    }

    /** A reward that failed: the message names the reward and the sample. */
    public static final class RewardException extends RuntimeException {
        public RewardException(String message) {
            super(message);
        }

        public RewardException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
