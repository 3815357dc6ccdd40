package org.grpo4j.reward;

import java.util.List;

/**
 * A reward function that also says why each sample got its value — a code reward's "test 2: ran past 5000 ms" —
 * so the trainer can write the reason beside the reward in {@code completions.jsonl} (column
 * {@code <name>/reason}). The trainer calls {@link #scoreExplained} instead of {@link #score}.
 *
 * <pre>{@code
 * ExplainedReward.Explained e = reward.scoreExplained(samples);
 * e.values()[0];   // 0.5
 * e.reasons()[0];  // "passed 1/2; test 2: wrong answer"
 * }</pre>
 */
public interface ExplainedReward extends RewardFunction {
    /** One value and one reason (null: nothing to say) per sample. */
    record Explained(double[] values, String[] reasons) {
        public Explained {
            if (values == null || reasons == null || values.length != reasons.length)
                throw new IllegalArgumentException("an explained score needs as many reasons as values");
        }
    }

    Explained scoreExplained(List<Sample> samples);

    @Override
    default double[] score(List<Sample> samples) {
        return scoreExplained(samples).values();
    }
}
