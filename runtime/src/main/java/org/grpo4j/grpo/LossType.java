package org.grpo4j.grpo;

import java.util.Locale;

/**
 * How per-token losses are turned into one scalar (TRL's {@code loss_type}); see {@link GrpoLoss} for the exact
 * normalisations. Default in TRL and here: {@link #DAPO}.
 */
public enum LossType {
    /** Mean over each sequence's tokens, then over sequences; divided by gradient accumulation steps. */
    GRPO,
    /** One mean over every active token of the micro-batch; divided by gradient accumulation steps. */
    BNPO,
    /** Sum over tokens divided by {@code B · max_completion_length} (Dr. GRPO: no length bias). */
    DR_GRPO,
    /** Sum over tokens divided by the active tokens of the whole generation batch ({@code num_items_in_batch}). */
    DAPO,
    /** Clipped importance-sampling-weight policy optimisation (MiniMax-M1): {@code -sg(min(w, ε_high))·A·log π}. */
    CISPO,
    /** Soft adaptive policy optimisation: a sigmoid gate instead of a hard clip; aggregated like GRPO. */
    SAPO;

    /** The TRL spelling ({@code "dr_grpo"}, ...). */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a TRL spelling, case-insensitively; the error lists the accepted values. */
    public static LossType parse(String s) {
        for (LossType t : values()) if (t.trlName().equalsIgnoreCase(s.trim())) return t;
        throw new IllegalArgumentException("unknown loss_type '" + s + "': expected one of grpo, bnpo, dr_grpo, dapo, cispo, sapo");
    }
}
