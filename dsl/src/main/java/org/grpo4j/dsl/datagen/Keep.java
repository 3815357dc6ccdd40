package org.grpo4j.dsl.datagen;

import java.util.Locale;

/**
 * Which prompts {@code generate-data} writes, and which of their n answers becomes the row's {@code completion}
 * and {@code messages}. Every row also carries all n answers with their rewards and correctness.
 */
public enum Keep {
    /** Rejection sampling: only prompts with at least one correct answer; the first correct one is kept. */
    CORRECT,
    /** Every prompt; the answer with the highest total reward (the first on ties), correct or not. */
    BEST,
    /** Every prompt, no selection: the first answer (plain distillation, unverified). */
    ALL;

    public static Keep parse(String s) {
        for (Keep k : values()) if (k.name().equalsIgnoreCase(s.strip())) return k;
        throw new IllegalArgumentException("keep = '" + s + "': choose correct, best or all");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
