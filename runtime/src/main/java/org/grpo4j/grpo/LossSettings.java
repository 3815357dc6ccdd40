package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.number;

import org.grpo4j.train.SettingsGroup;

/**
 * The settings of the GRPO policy loss, named after TRL's {@code GRPOConfig}; each component is the setting of
 * the same name in snake case, declared (default, meaning, rule) once in {@link #SETTINGS}. A new loss setting is
 * a component here, its declaration below, and its use in {@link GrpoLoss}; YAML, {@code set("name", v)} and the
 * REPL know it from there.
 *
 * <pre>{@code
 * LossSettings s = LossSettings.defaults().with("loss_type", "grpo").with("beta", 0.04);
 * }</pre>
 *
 * @param epsilonHigh {@code epsilon_high}, null = {@code epsilon} (see {@link #clipHigh()}); for CISPO the cap on
 *                    the ratio itself (TRL uses it directly, not {@code 1 + epsilon_high})
 * @param delta       two-sided clipping: caps the unclipped ratio; null = off
 */
public record LossSettings(LossType lossType, ImportanceSamplingLevel importanceSamplingLevel, double beta, double epsilon, Double epsilonHigh,
                           Double delta, double topEntropyQuantile, double sapoTemperaturePos, double sapoTemperatureNeg,
                           boolean useBiasCorrectionKl) {

    public static final SettingsGroup<LossSettings> SETTINGS = SettingsGroup.of(LossSettings.class,
            choice("loss_type", LossType.DAPO, "grpo | bnpo | dr_grpo | dapo | cispo | sapo"),
            choice("importance_sampling_level", ImportanceSamplingLevel.TOKEN, "token | sequence (GSPO)"),
            number("beta", 0.0, "KL coefficient (0: no reference model)").check(v -> v >= 0, "must be >= 0"),
            number("epsilon", 0.2, "lower clip range ε_low").check(v -> v > 0, "must be > 0"),
            number("epsilon_high", null, "upper clip range (default: epsilon)").check(v -> v > 0, "must be > 0"),
            number("delta", null, "two-sided clipping: the unclipped term uses min(w, δ)").check(v -> v > 1, "must be > 1 (it caps the ratio from above)"),
            number("top_entropy_quantile", 1.0, "keep the policy term only on the top-ρ entropy tokens").check(v -> v > 0 && v <= 1, "must be in (0, 1]"),
            number("sapo_temperature_pos", 1.0, "SAPO τ for positive advantages").check(v -> v > 0 && Double.isFinite(v), "must be > 0"),
            number("sapo_temperature_neg", 1.05, "SAPO τ for negative advantages").check(v -> v > 0 && Double.isFinite(v), "must be > 0"),
            flag("use_bias_correction_kl", false, "weight the KL term by the importance ratio (DeepSeek-V3.2's unbiased estimator)"));

    /** TRL's defaults: dapo, token level, beta 0, epsilon 0.2, epsilon_high = epsilon, no delta, ρ = 1, SAPO τ 1.0 / 1.05. */
    public static LossSettings defaults() {
        return SETTINGS.defaults();
    }

    /** A copy with one setting changed by TRL name (an enum value stands for its spelling), checked again. */
    public LossSettings with(String name, Object value) {
        return SETTINGS.with(this, name, value);
    }

    /** The upper clip: {@code epsilon_high}, or {@code epsilon} when it is not set. */
    public double clipHigh() {
        return epsilonHigh != null ? epsilonHigh : epsilon;
    }
}
