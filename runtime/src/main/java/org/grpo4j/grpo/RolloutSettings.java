package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;
import static org.grpo4j.train.Setting.numbers;

import java.time.Duration;
import java.util.List;
import org.grpo4j.grpo.advantage.AdvantageEstimator;
import org.grpo4j.train.SettingsGroup;

/**
 * How sampled completions become rollouts with advantages (TRL's reward settings, DAPO's dynamic sampling): the
 * reward weights, how rewards are combined and scaled, which completions stay in the loss, and how long a reward
 * function may take, and which advantage estimator turns the rewards into advantages ({@code adv_estimator}, verl's
 * name: grpo, rloo, reinforce_plus_plus, remax, gae).
 *
 * <pre>{@code
 * RolloutSettings r = RolloutSettings.SETTINGS.with(RolloutSettings.SETTINGS.defaults(), "scale_rewards", "none");
 * }</pre>
 */
public record RolloutSettings(AdvantageEstimator advEstimator, boolean maskTruncatedCompletions, List<Double> rewardWeights, ScaleRewards scaleRewards,
                              MultiObjectiveAggregation multiObjectiveAggregation, boolean dynamicSampling, int maxResampleRounds,
                              double rewardTimeoutSeconds) {

    public static final SettingsGroup<RolloutSettings> SETTINGS = SettingsGroup.of(RolloutSettings.class,
            choice("adv_estimator", AdvantageEstimator.GRPO, "grpo | rloo | reinforce_plus_plus | remax | gae (verl's advantage estimators; gae: PPO with a value model)"),
            flag("mask_truncated_completions", false, "drop completions without EOS from the loss"),
            numbers("reward_weights", "one weight per reward function (default all 1.0)"),
            choice("scale_rewards", ScaleRewards.GROUP, "group | batch | none"),
            choice("multi_objective_aggregation", MultiObjectiveAggregation.SUM_THEN_NORMALIZE, "sum_then_normalize | normalize_then_sum"),
            flag("dynamic_sampling", false, "drop groups with equal rewards and generate more (DAPO)"),
            integer("max_resample_rounds", 3, "extra generation rounds dynamic sampling may use per batch").check(v -> v >= 0, "must be >= 0"),
            number("reward_timeout_seconds", 60.0, "wall-clock limit of one reward-function call").check(v -> v > 0, "must be > 0"))
            .rules((r, p) -> {
                // GDPO's per-function normalisation is a GRPO advantage; the other estimators take the weighted sum of the rewards
                if (r.advEstimator() != AdvantageEstimator.GRPO && r.multiObjectiveAggregation() == MultiObjectiveAggregation.NORMALIZE_THEN_SUM)
                    p.add("multi_objective_aggregation = normalize_then_sum works only with adv_estimator = grpo, not " + r.advEstimator().verlName());
            });

    /** One weight per reward function: {@code reward_weights}, or all 1. */
    public double[] weights(int functions) {
        double[] w = new double[functions];
        java.util.Arrays.fill(w, 1.0);
        if (rewardWeights != null) {
            if (rewardWeights.size() != functions)
                throw new IllegalArgumentException("reward_weights has " + rewardWeights.size() + " weights but there are " + functions + " reward functions");
            for (int i = 0; i < functions; i++) w[i] = rewardWeights.get(i);
        }
        return w;
    }

    public Duration rewardTimeout() {
        return Duration.ofMillis((long) (rewardTimeoutSeconds * 1000));
    }
}
