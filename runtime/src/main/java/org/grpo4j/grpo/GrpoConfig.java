package org.grpo4j.grpo;

import static org.grpo4j.train.SettingsSchema.Kind.BOOL;
import static org.grpo4j.train.SettingsSchema.Kind.INT;
import static org.grpo4j.train.SettingsSchema.Kind.NUMBER;
import static org.grpo4j.train.SettingsSchema.Kind.NUMBERS;
import static org.grpo4j.train.SettingsSchema.Kind.TEXT;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.train.Settings;
import org.grpo4j.train.SettingsSchema;
import org.grpo4j.train.TrainingArguments;

/**
 * Every setting of a GRPO run under the name TRL's {@code GRPOConfig} gives it, with TRL's current defaults, so a
 * TRL or open-r1 recipe carries over. Built with {@link #builder()}; {@link Builder#set(String, Object)} takes the
 * TRL names themselves (YAML recipes, the DSL). Invalid combinations are rejected by {@link Builder#build()}
 * before any work starts, with a message naming the settings and the rule.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("num_generations", 8).set("beta", 0.04).set("loss_type", "grpo").build();
 * }</pre>
 */
public record GrpoConfig(Map<String, Object> values) implements Settings {

    /** Every setting, its TRL name, kind, default and meaning. */
    public static final SettingsSchema SCHEMA = TrainingArguments.addTo(new SettingsSchema("GRPO")
            // batching and generation
            .add("num_generations", INT, 8, "completions per prompt (G)")
            .add("per_device_train_batch_size", INT, 8, "completions per micro-batch")
            .add("gradient_accumulation_steps", INT, 1, "micro-batches per optimiser step")
            .add("steps_per_generation", INT, null, "optimiser steps per generation batch (default: gradient_accumulation_steps)")
            .add("generation_batch_size", INT, null, "completions per generation batch (alternative to steps_per_generation)")
            .add("num_iterations", INT, 1, "optimisation passes over each generation batch (μ)")
            .add("max_prompt_length", INT, 512, "prompt tokens kept (left-truncated)")
            .add("max_completion_length", INT, 256, "new tokens per completion")
            .add("temperature", NUMBER, 1.0, "sampling temperature; log-probs use logits / temperature")
            .add("top_p", NUMBER, 1.0, "nucleus sampling")
            .add("top_k", INT, 0, "top-k sampling (0 = off)")
            .add("min_p", NUMBER, 0.0, "min-p sampling (0 = off)")
            .add("repetition_penalty", NUMBER, 1.0, "HF repetition penalty")
            .add("mask_truncated_completions", BOOL, false, "drop completions without EOS from the loss")
            // loss
            .add("beta", NUMBER, 0.0, "KL coefficient (0: no reference model)")
            .add("epsilon", NUMBER, 0.2, "lower clip range ε_low")
            .add("epsilon_high", NUMBER, null, "upper clip range (default: epsilon)")
            .add("delta", NUMBER, null, "two-sided clipping: the unclipped term uses min(w, δ)")
            .add("loss_type", TEXT, "dapo", "grpo | bnpo | dr_grpo | dapo | cispo | sapo")
            .add("scale_rewards", TEXT, "group", "group | batch | none")
            .add("importance_sampling_level", TEXT, "token", "token | sequence (GSPO)")
            .add("top_entropy_quantile", NUMBER, 1.0, "keep the policy term only on the top-ρ entropy tokens")
            .add("sapo_temperature_pos", NUMBER, 1.0, "SAPO τ for positive advantages")
            .add("sapo_temperature_neg", NUMBER, 1.05, "SAPO τ for negative advantages")
            .add("reward_weights", NUMBERS, null, "one weight per reward function (default all 1.0)")
            .add("multi_objective_aggregation", TEXT, "sum_then_normalize", "sum_then_normalize | normalize_then_sum")
            .add("dynamic_sampling", BOOL, false, "drop groups with equal rewards and generate more (DAPO)")
            .add("max_resample_rounds", INT, 3, "extra generation rounds dynamic sampling may use per batch")
            .add("reward_timeout_seconds", NUMBER, 60.0, "wall-clock limit of one reward-function call")
            // reference model
            .add("sync_ref_model", BOOL, false, "periodically move the reference model towards the policy")
            .add("ref_model_sync_steps", INT, 512, "steps between reference syncs")
            .add("ref_model_mixup_alpha", NUMBER, 0.6, "ref = α·policy + (1−α)·ref at each sync")
            .add("log_completions", BOOL, true, "write sample completions to completions.jsonl")
            .add("num_completions_to_print", INT, 4, "sample completions kept per logging step"), 1e-6, "runs/grpo");

    public GrpoConfig {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ derived values

    public int numGenerations() {
        return integer("num_generations");
    }

    public int gradientAccumulationSteps() {
        return integer("gradient_accumulation_steps");
    }

    /** Optimiser steps per generation batch. */
    public int stepsPerGeneration() {
        if (isSet("steps_per_generation")) return integer("steps_per_generation");
        if (isSet("generation_batch_size")) return integer("generation_batch_size") / integer("per_device_train_batch_size");
        return gradientAccumulationSteps();
    }

    /** Completions per generation batch. */
    public int generationBatchSize() {
        if (isSet("generation_batch_size")) return integer("generation_batch_size");
        return integer("per_device_train_batch_size") * stepsPerGeneration();
    }

    /** Prompts per generation batch. */
    public int promptsPerGeneration() {
        return generationBatchSize() / numGenerations();
    }

    public double epsilonHigh() {
        return isSet("epsilon_high") ? number("epsilon_high") : number("epsilon");
    }

    /** A copy with one setting changed (by TRL name), validated again. */
    public GrpoConfig with(String name, Object value) {
        Builder b = new Builder();
        values.forEach(b::set);
        return b.set(name, value).build();
    }

    /** Collects settings by TRL name; {@link #build()} validates them together. */
    public static final class Builder {
        private final Map<String, Object> values = SCHEMA.defaults();

        private Builder() {}

        /** Sets a setting by its TRL name; an unknown name is an error that suggests the closest known one. */
        public Builder set(String name, Object value) {
            values.put(name, SCHEMA.coerce(name, value));
            return this;
        }

        public GrpoConfig build() {
            GrpoConfig c = new GrpoConfig(values);
            List<String> problems = validate(c);
            if (!problems.isEmpty()) throw new IllegalArgumentException("invalid GRPO settings:\n  - " + String.join("\n  - ", problems));
            return c;
        }
    }

    private static List<String> validate(GrpoConfig c) {
        List<String> p = new ArrayList<>();
        int G = c.numGenerations(), bs = c.integer("per_device_train_batch_size"), ga = c.gradientAccumulationSteps();
        if (G < 2) p.add("num_generations = " + G + ": GRPO needs at least 2 completions per prompt to compare them");
        if (bs < 1) p.add("per_device_train_batch_size = " + bs + " must be >= 1");
        if (ga < 1) p.add("gradient_accumulation_steps = " + ga + " must be >= 1");
        if (c.isSet("steps_per_generation") && c.isSet("generation_batch_size"))
            p.add("steps_per_generation and generation_batch_size are mutually exclusive: set only one");
        if (c.isSet("generation_batch_size") && c.integer("generation_batch_size") % Math.max(1, bs) != 0)
            p.add("generation_batch_size = " + c.integer("generation_batch_size") + " must be a multiple of per_device_train_batch_size = " + bs);
        if (c.isSet("steps_per_generation") && c.integer("steps_per_generation") < 1)
            p.add("steps_per_generation = " + c.integer("steps_per_generation") + " must be >= 1");
        if (G >= 2 && bs >= 1 && c.generationBatchSize() % G != 0)
            p.add("the generation batch (per_device_train_batch_size × steps_per_generation = " + c.generationBatchSize()
                    + " completions) must be divisible by num_generations = " + G);
        if (c.integer("num_iterations") < 1) p.add("num_iterations = " + c.integer("num_iterations") + " must be >= 1");
        if (c.integer("max_completion_length") < 1) p.add("max_completion_length must be >= 1");
        if (c.integer("max_prompt_length") < 1) p.add("max_prompt_length must be >= 1");
        if (!(c.number("temperature") > 0)) p.add("temperature = " + c.number("temperature") + " must be > 0 (training log-probs divide the logits by it)");
        if (!(c.number("top_p") > 0 && c.number("top_p") <= 1)) p.add("top_p = " + c.number("top_p") + " must be in (0, 1]");
        if (c.integer("top_k") < 0) p.add("top_k must be >= 0");
        if (!(c.number("min_p") >= 0 && c.number("min_p") < 1)) p.add("min_p must be in [0, 1)");
        if (!(c.number("repetition_penalty") > 0)) p.add("repetition_penalty must be > 0");
        if (!(c.number("beta") >= 0)) p.add("beta = " + c.number("beta") + " must be >= 0");
        if (!(c.number("epsilon") > 0)) p.add("epsilon = " + c.number("epsilon") + " must be > 0");
        if (!(c.epsilonHigh() > 0)) p.add("epsilon_high must be > 0");
        if (c.isSet("delta") && !(c.number("delta") > 1)) p.add("delta = " + c.number("delta") + " must be > 1 (it caps the ratio from above)");
        SettingsSchema.oneOf(p, c, "loss_type", "grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo");
        SettingsSchema.oneOf(p, c, "scale_rewards", "group", "batch", "none");
        SettingsSchema.oneOf(p, c, "importance_sampling_level", "token", "sequence");
        SettingsSchema.oneOf(p, c, "multi_objective_aggregation", "sum_then_normalize", "normalize_then_sum");
        double q = c.number("top_entropy_quantile");
        if (!(q > 0 && q <= 1)) p.add("top_entropy_quantile = " + q + " must be in (0, 1]");
        if (c.flag("sync_ref_model") && c.number("beta") == 0)
            p.add("sync_ref_model = true needs a reference model, but beta = 0 keeps none: set beta > 0 or sync_ref_model = false");
        double alpha = c.number("ref_model_mixup_alpha");
        if (!(alpha >= 0 && alpha <= 1)) p.add("ref_model_mixup_alpha must be in [0, 1]");
        TrainingArguments.validate(c, p);
        if (!(c.number("reward_timeout_seconds") > 0)) p.add("reward_timeout_seconds must be > 0");
        if (c.integer("max_resample_rounds") < 0) p.add("max_resample_rounds must be >= 0");
        return p;
    }

}
