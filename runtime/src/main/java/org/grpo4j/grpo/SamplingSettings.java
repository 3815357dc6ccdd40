package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;

import java.util.List;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.train.SettingsGroup;

/**
 * How GRPO samples its completions (TRL's generation settings); {@link #params} turns them into the generator's
 * {@link SamplingParams}.
 *
 * <pre>{@code
 * SamplingSettings s = SamplingSettings.SETTINGS.with(SamplingSettings.SETTINGS.defaults(), "temperature", 0.7);
 * }</pre>
 */
public record SamplingSettings(int maxPromptLength, int maxCompletionLength, double temperature, double topP, int topK, double minP,
                               double repetitionPenalty) {

    public static final SettingsGroup<SamplingSettings> SETTINGS = SettingsGroup.of(SamplingSettings.class,
            integer("max_prompt_length", 512, "prompt tokens kept (left-truncated)").check(v -> v >= 1, "must be >= 1"),
            integer("max_completion_length", 256, "new tokens per completion").check(v -> v >= 1, "must be >= 1"),
            number("temperature", 1.0, "sampling temperature; log-probs use logits / temperature")
                    .check(v -> v > 0, "must be > 0 (training log-probs divide the logits by it)"),
            number("top_p", 1.0, "nucleus sampling").check(v -> v > 0 && v <= 1, "must be in (0, 1]"),
            integer("top_k", 0, "top-k sampling (0 = off)").check(v -> v >= 0, "must be >= 0"),
            number("min_p", 0.0, "min-p sampling (0 = off)").check(v -> v >= 0 && v < 1, "must be in [0, 1)"),
            number("repetition_penalty", 1.0, "HF repetition penalty").check(v -> v > 0, "must be > 0"));

    /** G samples per prompt with these settings, drawn from {@code seed}. */
    public SamplingParams params(int numGenerations, int[] stopTokenIds, long seed) {
        return new SamplingParams(numGenerations, temperature, true, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds,
                List.of(), false, seed);
    }

    /** Greedy decoding of up to {@code max_completion_length} tokens. */
    public SamplingParams greedy(int[] stopTokenIds, long seed) {
        return new SamplingParams(1, 0.0, false, 0, 1.0, 0.0, 1.0, maxCompletionLength, stopTokenIds, List.of(), false, seed);
    }
}
