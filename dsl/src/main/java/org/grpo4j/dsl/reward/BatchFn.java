package org.grpo4j.dsl.reward;

import java.util.List;
import org.grpo4j.reward.Sample;

/**
 * A reward written for the whole batch at once, for rewards that compare completions with each other (Kimi's
 * length reward) or that are faster batched. Returns exactly one value per sample; NaN = not applicable.
 *
 * <pre>{@code Reward longest = Rewards.batch("longest", samples -> {
 *     int max = 0;
 *     for (Sample s : samples) max = Math.max(max, s.completion().length());
 *     double[] r = new double[samples.size()];
 *     for (int i = 0; i < r.length; i++) r[i] = samples.get(i).completion().length() == max ? 1 : 0;
 *     return r;
 * });}</pre>
 */
@FunctionalInterface
public interface BatchFn {
    double[] score(List<Sample> samples);
}
