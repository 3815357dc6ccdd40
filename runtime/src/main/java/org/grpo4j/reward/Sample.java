package org.grpo4j.reward;

import java.util.Map;

/**
 * One completion to score, as TRL passes it to a reward function: the prompt text, the completion text, its
 * token ids, why generation stopped ({@code eos}, {@code stop}, {@code length}) and every column of the
 * dataset row it came from (a group's G samples share the same row).
 */
public record Sample(String prompt, String completion, int[] completionIds, String finishReason, Map<String, Object> row) {
    public Sample {
        row = row == null ? Map.of() : row;
        completionIds = completionIds == null ? new int[0] : completionIds;
    }

    /** A sample with only a completion and a dataset row: for tests, the REPL and {@code score(...)}. */
    public static Sample of(String completion, Map<String, Object> row) {
        return new Sample("", completion, new int[0], "eos", row);
    }
}
