package org.grpo4j.grpo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.grpo.advantage.AdvantageEstimator;
import org.grpo4j.train.Settings;
import org.grpo4j.train.SettingsBuilder;
import org.grpo4j.train.SettingsGroup;
import org.grpo4j.train.SettingsSchema;
import org.grpo4j.train.TrainingArguments;

/**
 * Every setting of a GRPO run under the name TRL's {@code GRPOConfig} gives it, with TRL's current defaults, so a
 * TRL or open-r1 recipe carries over. A composition of typed groups, each the one owner of its settings
 * (declaration, default, rule): {@link BatchSettings}, {@link SamplingSettings}, {@link RolloutSettings},
 * {@link LossSettings}, {@link ReferenceSettings}, {@link CompletionLogSettings}, the shared
 * {@link TrainingArguments}, LoRA's and PPO's critic ({@link org.grpo4j.grpo.critic.CriticSettings},
 * {@link org.grpo4j.grpo.KlRewardSettings}). {@link #SCHEMA} and the name-keyed reads ({@link #values()}) are derived from them.
 * {@code builder().build()} reports every invalid setting and combination together, before any work starts.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("num_generations", 8).set("beta", 0.04).set("loss_type", "grpo").build();
 * double beta = c.loss().beta();
 * }</pre>
 */
public record GrpoConfig(BatchSettings batch, SamplingSettings sampling, RolloutSettings rollouts, LossSettings loss,
                         ReferenceSettings reference, CompletionLogSettings completionLog, TrainingArguments training,
                         org.grpo4j.train.PeftSettings peft, org.grpo4j.grpo.critic.CriticSettings critic,
                         org.grpo4j.grpo.KlRewardSettings klReward) implements Settings {

    /** TRL's GRPO defaults of the shared settings. */
    public static final SettingsGroup<TrainingArguments> TRAINING = TrainingArguments.settings(1e-6, "runs/grpo");

    /** Every setting, its TRL name, kind, default and meaning. */
    public static final SettingsSchema SCHEMA = new SettingsSchema("GRPO", List.of(BatchSettings.SETTINGS, SamplingSettings.SETTINGS,
            RolloutSettings.SETTINGS, LossSettings.SETTINGS, ReferenceSettings.SETTINGS, CompletionLogSettings.SETTINGS, TRAINING,
            org.grpo4j.train.PeftSettings.SETTINGS, org.grpo4j.grpo.critic.CriticSettings.SETTINGS,
            org.grpo4j.grpo.KlRewardSettings.SETTINGS));

    /** Settings by TRL name; {@code build()} validates them together. */
    public static SettingsBuilder<GrpoConfig> builder() {
        return new SettingsBuilder<>(SCHEMA, GrpoConfig::bind);
    }

    /** Every setting by TRL name, read from the groups. */
    @Override
    public Map<String, Object> values() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.putAll(BatchSettings.SETTINGS.values(batch));
        m.putAll(SamplingSettings.SETTINGS.values(sampling));
        m.putAll(RolloutSettings.SETTINGS.values(rollouts));
        m.putAll(LossSettings.SETTINGS.values(loss));
        m.putAll(ReferenceSettings.SETTINGS.values(reference));
        m.putAll(CompletionLogSettings.SETTINGS.values(completionLog));
        m.putAll(TRAINING.values(training));
        m.putAll(org.grpo4j.train.PeftSettings.SETTINGS.values(peft));
        m.putAll(org.grpo4j.grpo.critic.CriticSettings.SETTINGS.values(critic));
        m.putAll(org.grpo4j.grpo.KlRewardSettings.SETTINGS.values(klReward));
        return m;
    }

    // ------------------------------------------------------------------ the figures the trainer and tests ask for most

    public int numGenerations() {
        return batch.numGenerations();
    }

    public int stepsPerGeneration() {
        return batch.generationSteps();
    }

    public int generationBatchSize() {
        return batch.generationCompletions();
    }

    public int promptsPerGeneration() {
        return batch.promptsPerGeneration();
    }

    public double epsilonHigh() {
        return loss.clipHigh();
    }

    /** Whether the run keeps reference log-probs: the KL term of the loss ({@code beta}) or the KL penalty in the reward. */
    public boolean needsReference() {
        return loss.beta() != 0 || klReward.useKlInReward();
    }

    /** Whether each batch keeps the sampling policy's log-probs: a reused batch's ratio, or the KL penalty in the reward. */
    public boolean keepsOldLogps() {
        return batch.reusesBatch() || klReward.useKlInReward();
    }

    /** A copy with one setting changed (by TRL name), validated again. */
    public GrpoConfig with(String name, Object value) {
        SettingsBuilder<GrpoConfig> b = builder();
        values().forEach(b::set);
        return b.set(name, value).build();
    }

    /** Rules that relate settings of different groups (a group with problems of its own is null here). */
    private void rules(List<String> p) {
        if (reference != null && loss != null && reference.syncRefModel() && loss.beta() == 0)
            p.add("sync_ref_model = true needs a reference model, but beta = 0 keeps none: set beta > 0 or sync_ref_model = false");
        if (reference != null && peft != null && reference.syncRefModel() && peft.usePeft())
            p.add("sync_ref_model = true cannot be combined with use_peft = true: the reference is the frozen base itself (as TRL)");
        if (rollouts != null && rollouts.advEstimator().needsCritic()) {
            if (loss != null && loss.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE)
                p.add("adv_estimator = gae gives every token its own advantage: it needs importance_sampling_level = token, not sequence");
        }
        if (rollouts != null && critic != null && critic.criticWarmup() > 0 && !rollouts.advEstimator().needsCritic())
            p.add("critic_warmup = " + critic.criticWarmup() + " trains only the critic for its steps, but adv_estimator = "
                    + rollouts.advEstimator().verlName() + " has none: set adv_estimator = gae or critic_warmup = 0");
        if (klReward != null && rollouts != null && loss != null && critic != null) {
            AdvantageEstimator e = rollouts.advEstimator();
            boolean perToken = e == AdvantageEstimator.REMAX && klReward.useKlInReward()
                    || e == AdvantageEstimator.REINFORCE_PLUS_PLUS && (klReward.useKlInReward() || critic.gamma() != 1.0);
            if (perToken && loss.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE)
                p.add("adv_estimator = " + e.verlName() + (klReward.useKlInReward() ? " with use_kl_in_reward" : " with gamma < 1")
                        + " gives every token its own advantage: it needs importance_sampling_level = token, not sequence");
            if (klReward.useKlInReward() && rollouts.multiObjectiveAggregation() == MultiObjectiveAggregation.NORMALIZE_THEN_SUM)
                p.add("use_kl_in_reward = true penalises the summed reward; multi_objective_aggregation = normalize_then_sum normalises each function's "
                        + "reward instead: use sum_then_normalize");
        }
    }

    private static GrpoConfig bind(Map<String, Object> v, List<String> p) {
        GrpoConfig c = new GrpoConfig(BatchSettings.SETTINGS.bind(v, p), SamplingSettings.SETTINGS.bind(v, p), RolloutSettings.SETTINGS.bind(v, p),
                LossSettings.SETTINGS.bind(v, p), ReferenceSettings.SETTINGS.bind(v, p), CompletionLogSettings.SETTINGS.bind(v, p), TRAINING.bind(v, p),
                org.grpo4j.train.PeftSettings.SETTINGS.bind(v, p), org.grpo4j.grpo.critic.CriticSettings.SETTINGS.bind(v, p),
                org.grpo4j.grpo.KlRewardSettings.SETTINGS.bind(v, p));
        c.rules(p);
        return c;
    }
}
