package org.grpo4j.dsl.reward;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;

/**
 * A named, weighted reward that the GRPO trainer calls once per generation batch, and that can be tried on a
 * single string in a test or the REPL. Rewards are immutable: {@link #named}, {@link #weighted},
 * {@link #gatedBy}, {@link #scaled} and {@link #clipped} return new rewards.
 *
 * <p>{@link #score(List)} returns the <em>unweighted</em> values (they are what {@code rewards/<name>/mean}
 * logs, as in TRL); {@link #weight()} is this reward's entry in TRL's {@code reward_weights}, applied by the
 * trainer or by {@link org.grpo4j.dsl.reward.Rewards#sum}. NaN means "not applicable" (TRL's {@code None}).
 *
 * <p>The gold answer: {@link #score(String, String)} puts it in the row columns {@code solution} (open-r1's
 * name) and {@code answer} (GSM8K's), plus the column a reward was configured with
 * ({@code Rewards.accuracy("final_answer")}).
 *
 * <pre>{@code
 * Reward r = Rewards.accuracy().gatedBy(Rewards.format()).weighted(2.0);
 * r.score("<think>\n6*7\n</think>\n<answer>\n\\boxed{42}\n</answer>", "42"); // 1.0
 * r.score("\\boxed{42}", "42");                                                 // 0.0: format failed
 * }</pre>
 */
public interface Reward extends RewardFunction {
    /** The name used in metrics, {@code rewards/<name>/mean}. */
    @Override
    String name();

    /** This reward's weight in the weighted sum (TRL's {@code reward_weights}); 1.0 unless set. */
    double weight();

    /** Scores every sample of the batch, unweighted; exactly {@code samples.size()} values, NaN = not applicable. */
    @Override
    double[] score(List<Sample> samples);

    /** The extra row column this reward reads the gold answer from, or null for the usual {@code solution}/{@code answer}. */
    default String goldColumn() {
        return null;
    }

    // ------------------------------------------------------------------------------------------ trying it out

    /** The score of one completion with no dataset row. */
    default double score(String completion) {
        return score(completion, Map.of());
    }

    /** The score of one completion against a gold answer (see the class comment for the columns it fills). */
    default double score(String completion, String gold) {
        return score(completion, goldRow(gold));
    }

    /** The score of one completion with a dataset row. */
    default double score(String completion, Map<String, Object> row) {
        return score(List.of(Sample.of(completion, row)))[0];
    }

    /** Scores several completions as one batch (batch rewards such as {@code length} compare them). */
    default double[] scoreAll(List<String> completions, String gold) {
        List<Sample> samples = new ArrayList<>(completions.size());
        Map<String, Object> row = gold == null ? Map.of() : goldRow(gold);
        for (String c : completions) samples.add(Sample.of(c, row));
        return score(samples);
    }

    /** The dataset row that {@link #score(String, String)} uses. */
    default Map<String, Object> goldRow(String gold) {
        Map<String, Object> row = new HashMap<>();
        row.put("solution", gold);
        row.put("answer", gold);
        if (goldColumn() != null) row.put(goldColumn(), gold);
        return Map.copyOf(row);
    }

    // ------------------------------------------------------------------------------------------ composition

    /** The same reward under another metrics name. */
    default Reward named(String name) {
        return new ComposedReward(name, weight(), goldColumn(), this::score);
    }

    /** The same reward with weight {@code w} in the weighted sum. */
    default Reward weighted(double w) {
        if (!Double.isFinite(w)) throw new IllegalArgumentException("reward '" + name() + "': weight must be finite, got " + w);
        return new ComposedReward(name(), w, goldColumn(), this::score);
    }

    /** This reward where {@code gate} scores at least 1.0 (e.g. format passed), else 0.0. */
    default Reward gatedBy(Reward gate) {
        return gatedBy(gate, 1.0);
    }

    /**
     * This reward where {@code gate} scores at least {@code threshold}, else 0.0. A gate that is not applicable
     * (NaN) does not pass; where the gate passes, NaN from this reward stays NaN. Keeps this reward's name and weight.
     */
    default Reward gatedBy(Reward gate, double threshold) {
        Reward self = this;
        return new ComposedReward(name(), weight(), goldColumn(), samples -> {
            double[] v = self.score(samples);
            double[] g = gate.score(samples);
            ComposedReward.checkLength(gate, g, samples.size());
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) out[i] = g[i] >= threshold ? v[i] : 0.0;
            return out;
        });
    }

    /** This reward multiplied by {@code factor} (NaN stays NaN). Keeps the name and weight. */
    default Reward scaled(double factor) {
        return map(x -> x * factor);
    }

    /** This reward clamped to {@code [lo, hi]} (NaN stays NaN). Keeps the name and weight. */
    default Reward clipped(double lo, double hi) {
        if (!(lo <= hi)) throw new IllegalArgumentException("reward '" + name() + "': clip range [" + lo + ", " + hi + "] is empty");
        return map(x -> Math.min(hi, Math.max(lo, x)));
    }

    /** This reward with {@code f} applied to every applicable (non-NaN) value. Keeps the name and weight. */
    default Reward map(DoubleUnaryOperator f) {
        Reward self = this;
        return new ComposedReward(name(), weight(), goldColumn(), samples -> {
            double[] v = self.score(samples).clone();
            for (int i = 0; i < v.length; i++) if (!Double.isNaN(v[i])) v[i] = f.applyAsDouble(v[i]);
            return v;
        });
    }
}
