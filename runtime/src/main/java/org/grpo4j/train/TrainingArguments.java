package org.grpo4j.train;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;
import static org.grpo4j.train.Setting.text;
import static org.grpo4j.train.Setting.textOrFlag;

import java.util.List;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.optim.LearningRateSchedule;

/**
 * The settings every trainer shares, as transformers' {@code TrainingArguments} (which TRL's GRPOConfig and
 * SFTConfig extend): optimiser, schedule, run length, logging, saving and resuming — declared, validated and
 * turned into an optimiser and a schedule in one place. Each component is the setting of the same name in
 * snake case ({@link #settings}).
 *
 * <pre>{@code
 * TrainingArguments a = TrainingArguments.settings(1e-6, "runs/grpo").defaults();
 * AdamW opt = a.optimizer(model);
 * }</pre>
 */
public record TrainingArguments(double learningRate, String lrSchedulerType, double warmupRatio, int warmupSteps, double minLrRate,
                                double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, double maxGradNorm, int seed,
                                int maxSteps, double numTrainEpochs, int loggingSteps, int saveSteps, Integer saveTotalLimit,
                                Integer evalSteps, String outputDir, boolean overwriteOutputDir, Object resumeFromCheckpoint) {

    /** The shared settings with a trainer's own default learning rate and output folder (TRL's differ per trainer). */
    public static SettingsGroup<TrainingArguments> settings(double learningRate, String outputDir) {
        return SettingsGroup.of(TrainingArguments.class,
                number("learning_rate", learningRate, "AdamW learning rate").check(v -> v >= 0, "must be >= 0"),
                choice("lr_scheduler_type", "linear", "constant | constant_with_warmup | linear | cosine | cosine_with_min_lr",
                        "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr"),
                number("warmup_ratio", 0.0, "fraction of steps for linear warm-up").check(v -> v >= 0 && v <= 1, "must be in [0, 1]"),
                integer("warmup_steps", 0, "warm-up steps (overrides warmup_ratio)").check(v -> v >= 0, "must be >= 0"),
                number("min_lr_rate", 0.0, "cosine_with_min_lr floor as a fraction of learning_rate"),
                number("weight_decay", 0.0, "AdamW decoupled weight decay"),
                number("adam_beta1", 0.9, "AdamW β1"),
                number("adam_beta2", 0.999, "AdamW β2"),
                number("adam_epsilon", 1e-8, "AdamW ε"),
                number("max_grad_norm", 1.0, "gradient clipping (0 = off)"),
                integer("seed", 42, "seed of sampling, shuffling and initialisation"),
                integer("max_steps", -1, "optimiser steps (overrides num_train_epochs when > 0)"),
                number("num_train_epochs", 3.0, "passes over the data"),
                integer("logging_steps", 10, "steps between metric lines").check(v -> v >= 1, "must be >= 1"),
                integer("save_steps", 500, "steps between checkpoints").check(v -> v >= 1, "must be >= 1"),
                integer("save_total_limit", null, "checkpoints kept (oldest removed)").check(v -> v >= 1, "must be >= 1"),
                integer("eval_steps", null, "steps between evaluations (null: only at the end)").check(v -> v >= 1, "must be >= 1"),
                text("output_dir", outputDir, "metrics and checkpoints"),
                flag("overwrite_output_dir", false, "let a fresh run replace an earlier run's checkpoints in output_dir (else it is refused)"),
                textOrFlag("resume_from_checkpoint", "a checkpoint folder, or true for the latest in output_dir"))
                .rules(TrainingArguments::rules);
    }

    private static void rules(TrainingArguments a, List<String> p) {
        if (a.maxSteps <= 0 && !(a.numTrainEpochs > 0)) p.add("set max_steps > 0 or num_train_epochs > 0, or the run has no length");
    }

    public AdamW optimizer(Transformer model) {
        return new AdamW(model.trainable(), new AdamW.Settings(learningRate, adamBeta1, adamBeta2, adamEpsilon, weightDecay));
    }

    public LearningRateSchedule schedule(int totalSteps) {
        return LearningRateSchedule.of(lrSchedulerType, learningRate, totalSteps, warmupRatio, warmupSteps, minLrRate);
    }

    /** {@code save_total_limit}, or 0 to keep every checkpoint. */
    public int checkpointsKept() {
        return saveTotalLimit == null ? 0 : saveTotalLimit;
    }
}
