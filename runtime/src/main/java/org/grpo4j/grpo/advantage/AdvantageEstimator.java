package org.grpo4j.grpo.advantage;

import java.util.Locale;

/**
 * How a generation batch's rewards become advantages: verl's {@code algorithm.adv_estimator}, spelt as verl spells
 * it. Each estimator is one small file of this package; {@code grpo} is TRL's group normalisation
 * ({@code org.grpo4j.grpo.RewardAggregation}), which also gives every estimator its reward metrics.
 *
 * <p>All of them see the rewards of the <em>whole</em> generation batch (under data parallelism, every rank's rewards
 * gathered), group-major (the G completions of one prompt are consecutive); NaN = no reward, which gets A = 0 and
 * is left out of every statistic. With outcome rewards (the sequence reward on the last completion token) and γ = 1
 * (verl's default) every token of a completion has the same advantage ({@link #advantages}); with the KL penalty in
 * the reward ({@code use_kl_in_reward}) or REINFORCE++'s γ &lt; 1 the rewards are per token and {@link TokenLevel}
 * computes them as verl does; {@code gae}'s advantages are always per token ({@code org.grpo4j.grpo.critic}).
 */
public enum AdvantageEstimator {
    /** TRL's group-relative advantages, {@code scale_rewards} and {@code multi_objective_aggregation} apply (default). */
    GRPO,
    /** Leave-one-out baseline within the group: A_i = r_i − mean_{j≠i} r_j ({@link Rloo}). */
    RLOO,
    /** The batch's token-weighted whitening of the returns, not per group ({@link ReinforcePlusPlus}). */
    REINFORCE_PLUS_PLUS,
    /** The greedy completion's reward as the baseline, one extra greedy rollout per prompt ({@link Remax}). */
    REMAX,
    /**
     * PPO: per-token advantages from a value model by GAE ({@code org.grpo4j.grpo.critic}); the critic needs the
     * rollouts' tokens, so its advantages come after scoring, not from the rewards alone.
     */
    GAE;

    /** verl's spelling ({@code reinforce_plus_plus}). */
    public String verlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The advantages of one batch under this estimator ({@code GRPO} is computed by the caller's group normalisation).
     *
     * @param rewards   weighted-sum rewards, group-major, NaN = none
     * @param groupSize num_generations
     * @param lengths   completion lengths in tokens (REINFORCE++ weighs each completion by its tokens)
     * @param baselines one greedy reward per group (ReMax), NaN where the greedy completion has no reward
     */
    public double[] advantages(double[] rewards, int groupSize, double[] lengths, double[] baselines) {
        return switch (this) {
            case GRPO -> throw new IllegalStateException("grpo advantages come from RewardAggregation (scale_rewards, multi_objective_aggregation)");
            case RLOO -> Rloo.advantages(rewards, groupSize);
            case REINFORCE_PLUS_PLUS -> ReinforcePlusPlus.advantages(rewards, lengths);
            case REMAX -> Remax.advantages(rewards, groupSize, baselines);
            case GAE -> throw new IllegalStateException("gae advantages come from the critic (org.grpo4j.grpo.critic.Gae), per token");
        };
    }

    /** Whether the advantages come from a value model (per token) instead of from the rewards alone. */
    public boolean needsCritic() {
        return this == GAE;
    }

    /** Whether the batch needs one greedy completion per prompt, scored by the same reward functions. */
    public boolean needsGreedyBaseline() {
        return this == REMAX;
    }

    static void checkGroups(int n, int groupSize) {
        if (groupSize < 1) throw new IllegalArgumentException("num_generations must be ≥ 1, got " + groupSize);
        if (n % groupSize != 0) throw new IllegalArgumentException(n + " rewards are not a whole number of groups of num_generations = " + groupSize);
    }
}
