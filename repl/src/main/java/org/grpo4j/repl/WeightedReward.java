package org.grpo4j.repl;

import org.grpo4j.reward.RewardFunction;

/** One reward function of a pipeline and its weight ({@code reward_weights}); the total is Σ w·r with NaNs left out. */
public record WeightedReward(RewardFunction function, double weight) {}
