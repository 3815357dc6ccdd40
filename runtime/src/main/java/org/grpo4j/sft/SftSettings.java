package org.grpo4j.sft;

import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;

import org.grpo4j.train.SettingsGroup;

/** The settings only supervised fine-tuning has (TRL's {@code SFTConfig} beyond {@code TrainingArguments}). */
public record SftSettings(int perDeviceTrainBatchSize, int gradientAccumulationSteps, int maxLength, boolean packing, boolean completionOnlyLoss) {

    public static final SettingsGroup<SftSettings> SETTINGS = SettingsGroup.of(SftSettings.class,
            integer("per_device_train_batch_size", 8, "examples per micro-batch (with packing: a token budget of this × max_length)")
                    .check(v -> v >= 1, "must be >= 1"),
            integer("gradient_accumulation_steps", 1, "micro-batches per optimiser step").check(v -> v >= 1, "must be >= 1"),
            integer("max_length", 1024, "tokens per example (longer ones are truncated)").check(v -> v >= 2, "must be >= 2"),
            flag("packing", false, "fill micro-batches up to a token budget instead of a fixed count (no cross-example attention)"),
            flag("completion_only_loss", true, "loss on completion tokens only"));
}
