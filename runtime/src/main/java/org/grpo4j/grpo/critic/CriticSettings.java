package org.grpo4j.grpo.critic;

import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;
import static org.grpo4j.train.Setting.text;

import org.grpo4j.train.SettingsGroup;

/**
 * PPO's value model and GAE ({@code adv_estimator: gae}), under TRL's {@code PPOConfig} names where TRL has one
 * ({@code gamma}, {@code lam}, {@code cliprange_value}, {@code vf_coef}) and verl's otherwise
 * ({@code critic_learning_rate} = verl's {@code critic.optim.lr}, {@code critic_model_name_or_path} = its
 * {@code critic.model.path}). Read only when the estimator is {@code gae}.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("adv_estimator", "gae").set("lam", 1.0).set("critic_learning_rate", 5e-6).build();
 * }</pre>
 *
 * @param vfCoef the value loss's weight (TRL's name). The critic here is a model of its own with its own optimiser
 *               (as verl's and Open-Reasoner-Zero's), so the weight only scales the critic's gradient: it matters
 *               against {@code max_grad_norm} and AdamW's ε, not for the policy.
 */
public record CriticSettings(double gamma, double lam, double cliprangeValue, double vfCoef, double criticLearningRate, String criticModelNameOrPath,
                             int criticWarmup) {

    public static final SettingsGroup<CriticSettings> SETTINGS = SettingsGroup.of(CriticSettings.class,
            number("gamma", 1.0, "discount γ of the token rewards (adv_estimator = gae, reinforce_plus_plus)").check(v -> v >= 0 && v <= 1, "must be in [0, 1]"),
            number("lam", 0.95, "GAE λ (adv_estimator = gae; Open-Reasoner-Zero uses 1)").check(v -> v >= 0 && v <= 1, "must be in [0, 1]"),
            number("cliprange_value", 0.2, "value-loss clip: new values stay within ± this of the rollout's").check(v -> v > 0, "must be > 0"),
            number("vf_coef", 0.1, "value-loss weight (the critic has its own optimiser: it scales only its gradient)").check(v -> v > 0, "must be > 0"),
            number("critic_learning_rate", 1e-5, "the value model's AdamW learning rate (constant)").check(v -> v >= 0, "must be >= 0"),
            text("critic_model_name_or_path", null, "a local model folder (or an earlier run's critic/) to start the critic from; default: the policy"),
            integer("critic_warmup", 0, "the first this many optimiser steps update only the critic, not the policy (verl's trainer.critic_warmup)")
                    .check(v -> v >= 0, "must be >= 0"));

    public static CriticSettings defaults() {
        return SETTINGS.defaults();
    }
}
