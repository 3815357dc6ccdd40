package org.grpo4j.grpo;

import java.util.Locale;

/** Whether the policy ratio is taken per token (PPO/GRPO) or once per sequence (GSPO); TRL's {@code importance_sampling_level}. */
public enum ImportanceSamplingLevel {
    /** {@code w[t] = exp(logπ[t] − logπ_old[t])}. */
    TOKEN,
    /** {@code w = exp(Σ_t M·(logπ − logπ_old) / max(1, Σ_t M))}, shared by every token of the sequence (GSPO). */
    SEQUENCE;

    /** The TRL spelling ({@code "token"}, {@code "sequence"}). */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a TRL spelling, case-insensitively. */
    public static ImportanceSamplingLevel parse(String s) {
        for (ImportanceSamplingLevel l : values()) if (l.trlName().equalsIgnoreCase(s.trim())) return l;
        throw new IllegalArgumentException("unknown importance_sampling_level '" + s + "': expected token or sequence");
    }
}
