package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.integer;

import java.util.List;
import org.grpo4j.train.SettingsGroup;

/**
 * How a GRPO run cuts its work (TRL's batching settings): G completions per prompt, micro-batches of
 * {@code per_device_train_batch_size} completions, {@code gradient_accumulation_steps} micro-batches per optimiser
 * step, a generation batch that feeds {@code steps_per_generation} optimiser steps, reused {@code num_iterations}
 * times.
 *
 * <pre>{@code
 * BatchSettings b = BatchSettings.SETTINGS.with(BatchSettings.SETTINGS.defaults(), "num_generations", 4);
 * int prompts = b.promptsPerGeneration();
 * }</pre>
 */
public record BatchSettings(int numGenerations, int perDeviceTrainBatchSize, int gradientAccumulationSteps, Integer stepsPerGeneration,
                            Integer generationBatchSize, int numIterations) {

    public static final SettingsGroup<BatchSettings> SETTINGS = SettingsGroup.of(BatchSettings.class,
            integer("num_generations", 8, "completions per prompt (G)")
                    .check(v -> v >= 2, "must be >= 2: GRPO needs at least 2 completions per prompt to compare them"),
            integer("per_device_train_batch_size", 8, "completions per micro-batch").check(v -> v >= 1, "must be >= 1"),
            integer("gradient_accumulation_steps", 1, "micro-batches per optimiser step").check(v -> v >= 1, "must be >= 1"),
            integer("steps_per_generation", null, "optimiser steps per generation batch (default: gradient_accumulation_steps)")
                    .check(v -> v >= 1, "must be >= 1"),
            integer("generation_batch_size", null, "completions per generation batch (alternative to steps_per_generation)")
                    .check(v -> v >= 1, "must be >= 1"),
            integer("num_iterations", 1, "optimisation passes over each generation batch (μ)").check(v -> v >= 1, "must be >= 1"))
            .rules(BatchSettings::rules);

    private static void rules(BatchSettings b, List<String> p) {
        if (b.stepsPerGeneration != null && b.generationBatchSize != null)
            p.add("steps_per_generation and generation_batch_size are mutually exclusive: set only one");
        else if (b.generationBatchSize != null && b.generationBatchSize % b.perDeviceTrainBatchSize != 0)
            p.add("generation_batch_size = " + b.generationBatchSize + " must be a multiple of per_device_train_batch_size = " + b.perDeviceTrainBatchSize);
        else if (b.generationCompletions() % b.numGenerations != 0)
            p.add("the generation batch (per_device_train_batch_size × steps_per_generation = " + b.generationCompletions()
                    + " completions) must be divisible by num_generations = " + b.numGenerations);
    }

    /** Optimiser steps per generation batch: {@code steps_per_generation}, else from {@code generation_batch_size}, else GA. */
    public int generationSteps() {
        if (stepsPerGeneration != null) return stepsPerGeneration;
        if (generationBatchSize != null) return generationBatchSize / perDeviceTrainBatchSize;
        return gradientAccumulationSteps;
    }

    /** Completions per generation batch. */
    public int generationCompletions() {
        return generationBatchSize != null ? generationBatchSize : perDeviceTrainBatchSize * generationSteps();
    }

    /** Prompts per generation batch. */
    public int promptsPerGeneration() {
        return generationCompletions() / numGenerations;
    }

    /** Whether a generation batch outlives the policy that sampled it, so its log-probs must be kept (TRL's old_per_token_logps). */
    public boolean reusesBatch() {
        return numIterations > 1 || generationSteps() > gradientAccumulationSteps;
    }
}
