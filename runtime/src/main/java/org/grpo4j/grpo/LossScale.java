package org.grpo4j.grpo;

/**
 * What the loss divides by, known only when a step runs (not settings): TRL divides by the current accumulation
 * window's micro-batch count, Dr. GRPO by {@code max_completion_length}, DAPO and CISPO by the active tokens of the
 * whole generation batch.
 *
 * <pre>{@code
 * LossScale n = new LossScale(2, 256, 1730);
 * }</pre>
 *
 * @param gradientAccumulationSteps micro-batches per optimiser step
 * @param maxCompletionLength       the Dr. GRPO denominator
 * @param numItemsInBatch           active (mask = 1) tokens of the whole generation batch, all accumulation
 *                                  micro-batches together: the DAPO / CISPO denominator; {@code NaN} = not known
 *                                  (an error for those two loss types)
 */
public record LossScale(int gradientAccumulationSteps, int maxCompletionLength, double numItemsInBatch) {
    public LossScale {
        if (gradientAccumulationSteps < 1)
            throw new IllegalArgumentException("gradient_accumulation_steps must be ≥ 1, got " + gradientAccumulationSteps);
        if (maxCompletionLength < 1) throw new IllegalArgumentException("max_completion_length must be ≥ 1, got " + maxCompletionLength);
        if (!Double.isNaN(numItemsInBatch) && !(numItemsInBatch >= 0 && Double.isFinite(numItemsInBatch)))
            throw new IllegalArgumentException("num_items_in_batch must be ≥ 0 (or NaN = unknown), got " + numItemsInBatch);
    }

    /** One accumulation step, TRL's default 256 new tokens, no generation-batch count. */
    public static LossScale unknown() {
        return new LossScale(1, 256, Double.NaN);
    }
}
