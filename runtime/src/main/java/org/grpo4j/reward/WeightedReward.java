package org.grpo4j.reward;

/**
 * A reward function with its weight in the total reward (TRL's {@code reward_weights} entry): what a recipe holds
 * and what the REPL's reward table shows.
 *
 * <pre>{@code
 * var parts = List.of(new WeightedReward(accuracy, 1.0), new WeightedReward(format, 0.5));
 * }</pre>
 */
public record WeightedReward(RewardFunction function, double weight) {}
