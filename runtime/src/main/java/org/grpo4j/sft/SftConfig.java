package org.grpo4j.sft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.train.Settings;
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

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Map<String, Object> values() {
        Map<String, Object> m = new LinkedHashMap<>(SftSettings.SETTINGS.values(sft));
        m.putAll(TRAINING.values(training));
        m.putAll(org.grpo4j.train.PeftSettings.SETTINGS.values(peft));
        return m;
    }

    public static final class Builder {
        private final Map<String, Object> values = SCHEMA.defaults();

        private Builder() {}

        public Builder set(String name, Object value) {
            values.put(name, SCHEMA.coerce(name, value));
            return this;
        }

        public SftConfig build() {
            List<String> p = new ArrayList<>();
            SftConfig c = new SftConfig(SftSettings.SETTINGS.bind(values, p), TRAINING.bind(values, p), org.grpo4j.train.PeftSettings.SETTINGS.bind(values, p));
            if (!p.isEmpty()) throw new IllegalArgumentException("invalid SFT settings:\n  - " + String.join("\n  - ", p));
            return c;
        }
    }
}
