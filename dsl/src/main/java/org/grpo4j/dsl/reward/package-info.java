/**
 * Reward pipelines: {@link org.grpo4j.dsl.reward.Reward} (what the trainer calls), the two ways to write one
 * ({@link org.grpo4j.dsl.reward.PerSample}, {@link org.grpo4j.dsl.reward.BatchFn}) and open-r1's built-ins
 * ({@link org.grpo4j.dsl.reward.OpenR1Rewards}). Start from {@link org.grpo4j.dsl.reward.Rewards}.
 *
 * <p>Where the gold answer comes from: rewards that need one ({@code accuracy}, {@code length}, {@code cosine})
 * read the row column given to their factory, or else {@code solution} (open-r1's datasets), or else
 * {@code answer} (GSM8K). A row with none of these is a configuration error, reported with the row's columns.
 *
 * <pre>{@code
 * Reward r = Rewards.sum(
 *         Rewards.accuracy().gatedBy(Rewards.format()),
 *         Rewards.repetitionPenalty().weighted(0.1),
 *         Rewards.of("brief", (completion, row) -> completion.length() < 800 ? 0.2 : 0.0));
 * r.score("<think>\n2+2\n</think>\n<answer>\n\\boxed{4}\n</answer>", "4"); // 1.2
 * }</pre>
 */
package org.grpo4j.dsl.reward;
