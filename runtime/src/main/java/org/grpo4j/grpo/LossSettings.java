package org.grpo4j.grpo;

/**
 * The settings of the GRPO policy loss, named after TRL's {@code GRPOConfig}. Immutable; the two values that change
 * from step to step ({@code num_items_in_batch}, and {@code gradient_accumulation_steps} for a short last
 * accumulation window) have withers.
 *
 * <pre>{@code
 * LossSettings s = LossSettings.defaults().withLossType(LossType.GRPO).withBeta(0.04);
 * }</pre>
 *
 * @param lossType                  {@code loss_type}
 * @param importanceSamplingLevel   {@code importance_sampling_level}
 * @param beta                      {@code beta}: weight of the k3 KL to the reference model; 0 = no reference model
 * @param epsilon                   {@code epsilon}: lower clip, the ratio is clamped at {@code 1 − epsilon}
 * @param epsilonHigh               {@code epsilon_high}: upper clip {@code 1 + epsilon_high}; for CISPO the cap on
 *                                  the ratio itself (TRL uses it directly, not {@code 1 + epsilon_high})
 * @param delta                     {@code delta}: two-sided clipping, caps the unclipped ratio; {@code null} = off
 * @param sapoTemperaturePos        {@code sapo_temperature_pos}: SAPO gate temperature for positive advantages
 * @param sapoTemperatureNeg        {@code sapo_temperature_neg}: SAPO gate temperature for advantages ≤ 0
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps} (TRL divides by the current window's count)
 * @param maxCompletionLength       {@code max_completion_length}: the Dr. GRPO denominator
 * @param numItemsInBatch           active (mask = 1) tokens of the whole generation batch, all accumulation
 *                                  micro-batches together: the DAPO / CISPO denominator; {@code NaN} = not known
 *                                  yet (an error for those two loss types)
 * @param topEntropyQuantile        {@code top_entropy_quantile} ρ: the policy term keeps only tokens whose entropy is
 *                                  in the top ρ of the micro-batch; 1.0 = keep all
 */
public record LossSettings(
        LossType lossType,
        ImportanceSamplingLevel importanceSamplingLevel,
        double beta,
        double epsilon,
        double epsilonHigh,
        Double delta,
        double sapoTemperaturePos,
        double sapoTemperatureNeg,
        int gradientAccumulationSteps,
        int maxCompletionLength,
        double numItemsInBatch,
        double topEntropyQuantile) {

    public LossSettings {
        if (lossType == null) throw new IllegalArgumentException("loss_type must be set");
        if (importanceSamplingLevel == null) throw new IllegalArgumentException("importance_sampling_level must be set");
        requireFinite("beta", beta, 0);
        requireFinite("epsilon", epsilon, 0);
        requireFinite("epsilon_high", epsilonHigh, 0);
        if (delta != null && !(delta > 0 && Double.isFinite(delta)))
            throw new IllegalArgumentException("delta must be a positive number or unset, got " + delta);
        if (!(sapoTemperaturePos > 0) || !(sapoTemperatureNeg > 0) || !Double.isFinite(sapoTemperaturePos) || !Double.isFinite(sapoTemperatureNeg))
            throw new IllegalArgumentException("sapo_temperature_pos/neg must be positive, got " + sapoTemperaturePos + " / " + sapoTemperatureNeg);
        if (gradientAccumulationSteps < 1)
            throw new IllegalArgumentException("gradient_accumulation_steps must be ≥ 1, got " + gradientAccumulationSteps);
        if (maxCompletionLength < 1) throw new IllegalArgumentException("max_completion_length must be ≥ 1, got " + maxCompletionLength);
        if (!Double.isNaN(numItemsInBatch) && !(numItemsInBatch >= 0 && Double.isFinite(numItemsInBatch)))
            throw new IllegalArgumentException("num_items_in_batch must be ≥ 0 (or NaN = unknown), got " + numItemsInBatch);
        if (!(topEntropyQuantile >= 0 && topEntropyQuantile <= 1))
            throw new IllegalArgumentException("top_entropy_quantile must be in [0, 1], got " + topEntropyQuantile);
    }

    private static void requireFinite(String name, double v, double min) {
        if (!(v >= min) || !Double.isFinite(v)) throw new IllegalArgumentException(name + " must be a finite number ≥ " + min + ", got " + v);
    }

    /**
     * TRL's defaults: dapo, token level, beta 0, epsilon 0.2, epsilon_high = epsilon, no delta, SAPO temperatures
     * 1.0 / 1.05, one accumulation step, max_completion_length 256, num_items_in_batch unknown, ρ = 1.
     */
    public static LossSettings defaults() {
        return new LossSettings(LossType.DAPO, ImportanceSamplingLevel.TOKEN, 0.0, 0.2, 0.2, null, 1.0, 1.05, 1, 256, Double.NaN, 1.0);
    }

    public LossSettings withLossType(LossType v) {
        return new LossSettings(v, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withImportanceSamplingLevel(ImportanceSamplingLevel v) {
        return new LossSettings(lossType, v, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withBeta(double v) {
        return new LossSettings(lossType, importanceSamplingLevel, v, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    /** Sets epsilon and epsilon_high together (TRL: epsilon_high defaults to epsilon). */
    public LossSettings withEpsilon(double low, double high) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, low, high, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withDelta(Double v) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, v, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withSapoTemperatures(double pos, double neg) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, pos, neg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withGradientAccumulationSteps(int v) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, v, maxCompletionLength, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withMaxCompletionLength(int v) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, v, numItemsInBatch, topEntropyQuantile);
    }

    public LossSettings withNumItemsInBatch(double v) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, v, topEntropyQuantile);
    }

    public LossSettings withTopEntropyQuantile(double v) {
        return new LossSettings(lossType, importanceSamplingLevel, beta, epsilon, epsilonHigh, delta, sapoTemperaturePos, sapoTemperatureNeg, gradientAccumulationSteps, maxCompletionLength, numItemsInBatch, v);
    }
}
