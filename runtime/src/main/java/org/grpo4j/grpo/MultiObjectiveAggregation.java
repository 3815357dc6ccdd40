package org.grpo4j.grpo;

import java.util.Locale;

/** How several reward functions become one advantage (TRL's {@code multi_objective_aggregation}); see {@link RewardAggregation}. */
public enum MultiObjectiveAggregation {
    /** Weighted sum of the raw rewards, then group normalisation (TRL's default). */
    SUM_THEN_NORMALIZE,
    /** Normalise each function within its group, weighted sum, then normalise over the batch (GDPO). */
    NORMALIZE_THEN_SUM;

    /** The TRL spelling. */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a TRL spelling, case-insensitively. */
    public static MultiObjectiveAggregation parse(String s) {
        for (MultiObjectiveAggregation a : values()) if (a.trlName().equalsIgnoreCase(s.trim())) return a;
        throw new IllegalArgumentException("unknown multi_objective_aggregation '" + s + "': expected sum_then_normalize or normalize_then_sum");
    }
}
