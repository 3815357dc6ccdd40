package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;

import org.grpo4j.train.SettingsGroup;

/**
 * The KL penalty folded into the reward (verl's {@code algorithm.use_kl_in_reward}, {@code kl_penalty} and
 * {@code kl_ctrl.type|kl_coef|target_kl|horizon}, flattened): every completion token's reward becomes
 * {@code score_t − β·KL_t}, KL_t estimated from the sampling policy's and the reference's log-probs, β from a fixed or
 * an adaptive controller ({@link KlController}). Works with every {@code adv_estimator}: gae runs GAE on the penalised
 * token rewards, the others verl's {@code compute_advantage} ({@code org.grpo4j.grpo.advantage.TokenLevel}).
 * The penalty itself is {@code org.grpo4j.grpo.RewardKlPenalty}.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("adv_estimator", "reinforce_plus_plus").set("use_kl_in_reward", true).set("kl_ctrl", "adaptive").build();
 * }</pre>
 *
 * @param klPenalty the estimator, {@link KlLossType}'s spellings: {@code kl}/{@code k1}, {@code abs}, {@code mse}/{@code k2},
 *                  {@code low_var_kl} (verl's clamped k3) and {@code k3} (TRL's unclamped k3; verl's {@code k3} is
 *                  {@code low_var_kl}). verl's {@code full} needs whole distributions and raises NotImplementedError in
 *                  verl itself, so it is not offered.
 */
public record KlRewardSettings(boolean useKlInReward, KlLossType klPenalty, KlController.Kind klCtrl, double klCoef, double targetKl, int klHorizon) {

    public static final SettingsGroup<KlRewardSettings> SETTINGS = SettingsGroup.of(KlRewardSettings.class,
            flag("use_kl_in_reward", false, "subtract β·KL(policy‖reference) from every completion token's reward before the advantages (any adv_estimator)"),
            choice("kl_penalty", KlLossType.KL, "KL estimator of use_kl_in_reward: kl | k1 | abs | mse | k2 | low_var_kl | k3"),
            choice("kl_ctrl", KlController.Kind.FIXED, "β of use_kl_in_reward: fixed | adaptive (Ziegler et al.)"),
            number("kl_coef", 0.001, "β of use_kl_in_reward (the adaptive controller's start)").check(v -> v >= 0, "must be >= 0"),
            number("target_kl", 0.1, "the KL the adaptive controller steers to").check(v -> v > 0, "must be > 0"),
            integer("kl_horizon", 10000, "the adaptive controller's horizon, in sequences").check(v -> v > 0, "must be > 0"));

    public static KlRewardSettings defaults() {
        return SETTINGS.defaults();
    }
}
