package org.grpo4j.grpo;

import java.util.Locale;

/** How the group-centred rewards are scaled into advantages (TRL's {@code scale_rewards}). */
public enum ScaleRewards {
    /** Divide by the group's standard deviation (+1e-4): TRL's default. */
    GROUP,
    /** Divide by the standard deviation of the whole generation batch (+1e-4). */
    BATCH,
    /** No scaling, A = r − μ_group (Dr. GRPO). */
    NONE;

    /** The TRL spelling. */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code group}, {@code batch}, {@code none}, and the older booleans ({@code true} = group, {@code false} = none). */
    public static ScaleRewards parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "group", "true" -> GROUP;
            case "batch" -> BATCH;
            case "none", "false" -> NONE;
            default -> throw new IllegalArgumentException("unknown scale_rewards '" + s + "': expected group, batch or none");
        };
    }
}
