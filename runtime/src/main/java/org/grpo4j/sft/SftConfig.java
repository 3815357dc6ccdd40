package org.grpo4j.sft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.train.Settings;
import org.grpo4j.train.SettingsBuilder;
import org.grpo4j.train.SettingsGroup;
import org.grpo4j.train.SettingsSchema;
import org.grpo4j.train.TrainingArguments;

/**
 * Supervised fine-tuning settings under TRL's {@code SFTConfig} names and defaults (the cold start before GRPO):
 * the shared {@link TrainingArguments} and SFT's own {@link SftSettings}; the name-keyed view is derived from them.
 *
 * <pre>{@code
 * SftConfig c = SftConfig.builder().set("learning_rate", 1e-3).set("max_steps", 200).set("packing", true).build();
 * int maxLength = c.sft().maxLength();
 * }</pre>
 */
public record SftConfig(SftSettings sft, TrainingArguments training, org.grpo4j.train.PeftSettings peft) implements Settings {
    /** TRL's SFT defaults of the shared settings. */
    public static final SettingsGroup<TrainingArguments> TRAINING = TrainingArguments.settings(2e-5, "runs/sft");

    public static final SettingsSchema SCHEMA = new SettingsSchema("SFT", List.of(SftSettings.SETTINGS, TRAINING, org.grpo4j.train.PeftSettings.SETTINGS));

    /** Settings by TRL name; {@code build()} validates them together. */
    public static SettingsBuilder<SftConfig> builder() {
        return new SettingsBuilder<>(SCHEMA, SftConfig::bind);
    }

    @Override
    public Map<String, Object> values() {
        Map<String, Object> m = new LinkedHashMap<>(SftSettings.SETTINGS.values(sft));
        m.putAll(TRAINING.values(training));
        m.putAll(org.grpo4j.train.PeftSettings.SETTINGS.values(peft));
        return m;
    }

    private static SftConfig bind(Map<String, Object> values, List<String> problems) {
        return new SftConfig(SftSettings.SETTINGS.bind(values, problems), TRAINING.bind(values, problems), org.grpo4j.train.PeftSettings.SETTINGS.bind(values, problems));
    }
}
