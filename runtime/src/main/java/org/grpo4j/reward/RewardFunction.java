package org.grpo4j.reward;

import java.util.List;

/**
 * What the GRPO trainer calls to score a generation batch (TRL's reward function contract): once per batch,
 * one value per sample. {@code NaN} means "not applicable to this sample" (TRL's {@code None}); the trainer
 * ignores it when it sums the weighted rewards. A function that throws or returns an infinite value is
 * recorded as NaN for those samples and reported by the trainer.
 */
public interface RewardFunction {
    /** The name used in metrics, {@code rewards/<name>/mean}. */
    String name();

    /** Scores every sample of the batch; the result has exactly {@code samples.size()} entries. */
    double[] score(List<Sample> samples);
}
