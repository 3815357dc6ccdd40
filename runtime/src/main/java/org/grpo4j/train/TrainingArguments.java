package org.grpo4j.train;

import static org.grpo4j.train.SettingsSchema.Kind.INT;
import static org.grpo4j.train.SettingsSchema.Kind.NUMBER;
import static org.grpo4j.train.SettingsSchema.Kind.TEXT;
import static org.grpo4j.train.SettingsSchema.Kind.TEXT_OR_BOOL;

import java.util.List;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.optim.LearningRateSchedule;

/**
 * The settings every trainer shares, as transformers' {@code TrainingArguments} (which TRL's GRPOConfig and
 * SFTConfig extend): optimiser, schedule, run length, logging, saving and resuming — declared, validated and
 * turned into an optimiser and a schedule in one place.
 */
public final class TrainingArguments {
    private TrainingArguments() {}

    /** Adds the shared settings to a trainer's schema with that trainer's default learning rate and output folder. */
    public static SettingsSchema addTo(SettingsSchema s, double learningRate, String outputDir) {
        return s.add("learning_rate", NUMBER, learningRate, "AdamW learning rate")
                .add("lr_scheduler_type", TEXT, "linear", "constant | constant_with_warmup | linear | cosine | cosine_with_min_lr")
                .add("warmup_ratio", NUMBER, 0.0, "fraction of steps for linear warm-up")
                .add("warmup_steps", INT, 0, "warm-up steps (overrides warmup_ratio)")
                .add("min_lr_rate", NUMBER, 0.0, "cosine_with_min_lr floor as a fraction of learning_rate")
                .add("weight_decay", NUMBER, 0.0, "AdamW decoupled weight decay")
                .add("adam_beta1", NUMBER, 0.9, "AdamW β1")
                .add("adam_beta2", NUMBER, 0.999, "AdamW β2")
                .add("adam_epsilon", NUMBER, 1e-8, "AdamW ε")
                .add("max_grad_norm", NUMBER, 1.0, "gradient clipping (0 = off)")
                .add("seed", INT, 42, "seed of sampling, shuffling and initialisation")
                .add("max_steps", INT, -1, "optimiser steps (overrides num_train_epochs when > 0)")
                .add("num_train_epochs", NUMBER, 3.0, "passes over the data")
                .add("logging_steps", INT, 10, "steps between metric lines")
                .add("save_steps", INT, 500, "steps between checkpoints")
                .add("save_total_limit", INT, null, "checkpoints kept (oldest removed)")
                .add("eval_steps", INT, null, "steps between evaluations (null: only at the end)")
                .add("output_dir", TEXT, outputDir, "metrics and checkpoints")
                .add("resume_from_checkpoint", TEXT_OR_BOOL, null, "a checkpoint folder, or true for the latest in output_dir");
    }

    /** The rules of the shared settings, each problem naming the setting and the rule. */
    public static void validate(Settings c, List<String> p) {
        if (c.integer("max_steps") <= 0 && !(c.number("num_train_epochs") > 0))
            p.add("set max_steps > 0 or num_train_epochs > 0, or the run has no length");
        if (c.integer("logging_steps") < 1) p.add("logging_steps must be >= 1");
        if (c.integer("save_steps") < 1) p.add("save_steps must be >= 1");
        if (c.isSet("save_total_limit") && c.integer("save_total_limit") < 1) p.add("save_total_limit must be >= 1");
        if (c.isSet("eval_steps") && c.integer("eval_steps") < 1) p.add("eval_steps must be >= 1");
        if (!(c.number("learning_rate") >= 0)) p.add("learning_rate must be >= 0");
        if (!(c.number("warmup_ratio") >= 0 && c.number("warmup_ratio") <= 1)) p.add("warmup_ratio must be in [0, 1]");
        SettingsSchema.oneOf(p, c, "lr_scheduler_type", "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr");
    }

    public static AdamW optimizer(Transformer model, Settings c) {
        return new AdamW(model, new AdamW.Settings(c.number("learning_rate"), c.number("adam_beta1"), c.number("adam_beta2"),
                c.number("adam_epsilon"), c.number("weight_decay")));
    }

    public static LearningRateSchedule schedule(Settings c, int totalSteps) {
        return LearningRateSchedule.of(c.text("lr_scheduler_type"), c.number("learning_rate"), totalSteps, c.number("warmup_ratio"),
                c.integer("warmup_steps"), c.number("min_lr_rate"));
    }

    /** {@code save_total_limit}, or 0 to keep every checkpoint. */
    public static int checkpointsKept(Settings c) {
        return c.isSet("save_total_limit") ? c.integer("save_total_limit") : 0;
    }
}
