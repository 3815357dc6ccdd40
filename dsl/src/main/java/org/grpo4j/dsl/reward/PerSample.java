package org.grpo4j.dsl.reward;

import java.util.Map;

/**
 * A reward written for one completion at a time: the completion text and its dataset row in, a score out;
 * {@code null} (or NaN) means "not applicable to this sample", TRL's {@code None}.
 *
 * <pre>{@code Reward shortish = Rewards.of("shortish", (completion, row) -> completion.length() < 200 ? 1.0 : 0.0);}</pre>
 */
@FunctionalInterface
public interface PerSample {
    Double score(String completion, Map<String, Object> row);
}
