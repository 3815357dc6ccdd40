package org.grpo4j.grpo;

import java.util.Map;

/**
 * One training prompt: its position in the data set, its token ids (already formatted, e.g. by a chat template),
 * its text (what reward functions see as the prompt) and the data set row it came from (gold answers, test
 * cases…), which every reward function receives.
 */
public record Prompt(int index, int[] ids, String text, Map<String, Object> row) {
    public Prompt {
        if (ids == null || ids.length == 0) throw new IllegalArgumentException("prompt " + index + " has no tokens");
        row = row == null ? Map.of() : row;
        text = text == null ? "" : text;
    }
}
