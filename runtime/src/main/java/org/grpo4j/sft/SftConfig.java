package org.grpo4j.sft;

import static org.grpo4j.train.SettingsSchema.Kind.BOOL;
import static org.grpo4j.train.SettingsSchema.Kind.INT;
import static org.grpo4j.train.SettingsSchema.Kind.NUMBER;
import static org.grpo4j.train.SettingsSchema.Kind.TEXT;
import static org.grpo4j.train.SettingsSchema.Kind.TEXT_OR_BOOL;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.train.Settings;
import org.grpo4j.train.SettingsSchema;

/**
 * Supervised fine-tuning settings under TRL's {@code SFTConfig} names and defaults (the cold start before GRPO).
 *
 * <pre>{@code
 * SftConfig c = SftConfig.builder().set("learning_rate", 1e-3).set("max_steps", 200).set("packing", true).build();
 * }</pre>
 */
public record SftConfig(Map<String, Object> values) implements Settings {
    public static final SettingsSchema SCHEMA = new SettingsSchema("SFT")
            .add("per_device_train_batch_size", INT, 8, "examples per micro-batch (with packing: a token budget of this × max_length)")
            .add("gradient_accumulation_steps", INT, 1, "micro-batches per optimiser step")
            .add("max_length", INT, 1024, "tokens per example (longer ones are truncated)")
            .add("packing", BOOL, false, "fill micro-batches up to a token budget instead of a fixed count (no cross-example attention)")
            .add("completion_only_loss", BOOL, true, "loss on completion tokens only")
            .add("learning_rate", NUMBER, 2e-5, "AdamW learning rate")
            .add("lr_scheduler_type", TEXT, "linear", "constant | constant_with_warmup | linear | cosine | cosine_with_min_lr")
            .add("warmup_ratio", NUMBER, 0.0, "fraction of steps for linear warm-up")
            .add("warmup_steps", INT, 0, "warm-up steps (overrides warmup_ratio)")
            .add("min_lr_rate", NUMBER, 0.0, "cosine_with_min_lr floor as a fraction of learning_rate")
            .add("weight_decay", NUMBER, 0.0, "AdamW decoupled weight decay")
            .add("adam_beta1", NUMBER, 0.9, "AdamW β1")
            .add("adam_beta2", NUMBER, 0.999, "AdamW β2")
            .add("adam_epsilon", NUMBER, 1e-8, "AdamW ε")
            .add("max_grad_norm", NUMBER, 1.0, "gradient clipping (0 = off)")
            .add("seed", INT, 42, "seed of shuffling")
            .add("max_steps", INT, -1, "optimiser steps (overrides num_train_epochs when > 0)")
            .add("num_train_epochs", NUMBER, 3.0, "passes over the data")
            .add("logging_steps", INT, 10, "steps between metric lines")
            .add("save_steps", INT, 500, "steps between checkpoints")
            .add("save_total_limit", INT, null, "checkpoints kept (oldest removed)")
            .add("eval_steps", INT, null, "steps between evaluations of the held-out loss")
            .add("output_dir", TEXT, "runs/sft", "metrics and checkpoints")
            .add("resume_from_checkpoint", TEXT_OR_BOOL, null, "a checkpoint folder, or true for the latest in output_dir");

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
            if (c.integer("max_steps") <= 0 && !(c.number("num_train_epochs") > 0)) p.add("set max_steps > 0 or num_train_epochs > 0");
            if (c.integer("logging_steps") < 1) p.add("logging_steps must be >= 1");
            if (c.integer("save_steps") < 1) p.add("save_steps must be >= 1");
            if (!(c.number("learning_rate") >= 0)) p.add("learning_rate must be >= 0");
            SettingsSchema.oneOf(p, c, "lr_scheduler_type", "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr");
            if (!p.isEmpty()) throw new IllegalArgumentException("invalid SFT settings:\n  - " + String.join("\n  - ", p));
            return c;
        }
    }
}
