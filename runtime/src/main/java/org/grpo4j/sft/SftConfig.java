package org.grpo4j.sft;

import static org.grpo4j.train.SettingsSchema.Kind.BOOL;
import static org.grpo4j.train.SettingsSchema.Kind.INT;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.train.Settings;
import org.grpo4j.train.SettingsSchema;
import org.grpo4j.train.TrainingArguments;

/**
 * Supervised fine-tuning settings under TRL's {@code SFTConfig} names and defaults (the cold start before GRPO).
 *
 * <pre>{@code
 * SftConfig c = SftConfig.builder().set("learning_rate", 1e-3).set("max_steps", 200).set("packing", true).build();
 * }</pre>
 */
public record SftConfig(Map<String, Object> values) implements Settings {
    public static final SettingsSchema SCHEMA = TrainingArguments.addTo(new SettingsSchema("SFT")
            .add("per_device_train_batch_size", INT, 8, "examples per micro-batch (with packing: a token budget of this × max_length)")
            .add("gradient_accumulation_steps", INT, 1, "micro-batches per optimiser step")
            .add("max_length", INT, 1024, "tokens per example (longer ones are truncated)")
            .add("packing", BOOL, false, "fill micro-batches up to a token budget instead of a fixed count (no cross-example attention)")
            .add("completion_only_loss", BOOL, true, "loss on completion tokens only"), 2e-5, "runs/sft");

    public SftConfig {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final Map<String, Object> values = SCHEMA.defaults();

        private Builder() {}

        public Builder set(String name, Object value) {
            values.put(name, SCHEMA.coerce(name, value));
            return this;
        }

        public SftConfig build() {
            SftConfig c = new SftConfig(values);
            List<String> p = new ArrayList<>();
            if (c.integer("per_device_train_batch_size") < 1) p.add("per_device_train_batch_size must be >= 1");
            if (c.integer("gradient_accumulation_steps") < 1) p.add("gradient_accumulation_steps must be >= 1");
            if (c.integer("max_length") < 2) p.add("max_length must be >= 2");
            TrainingArguments.validate(c, p);
            if (!p.isEmpty()) throw new IllegalArgumentException("invalid SFT settings:\n  - " + String.join("\n  - ", p));
            return c;
        }
    }
}
