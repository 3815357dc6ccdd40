package org.grpo4j.grpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link GrpoLoss} returns for one micro-batch besides the per-token arrays: the scalar loss and TRL's loss
 * metrics for this micro-batch. A metric that does not apply (KL with beta = 0, clip ratios for SAPO, ...) is NaN.
 * TRL appends these per micro-batch and logs their average, so the trainer should do the same.
 *
 * @param loss            the scalar whose gradient {@link GrpoLoss} wrote
 * @param kl              {@code kl}: masked mean of the per-token KL estimate ({@code kl_loss_type}, k3 by default; beta ≠ 0 only)
 * @param entropy         {@code entropy}: masked mean of the token entropies (only when entropies were given)
 * @param clipLowMean     {@code clip_ratio/low_mean}: share of ratios below {@code 1 − epsilon} with A &lt; 0
 * @param clipHighMean    {@code clip_ratio/high_mean}: share of ratios above {@code 1 + epsilon_high} with A &gt; 0
 * @param clipRegionMean  {@code clip_ratio/region_mean}: share of either
 * @param cispoClipRatio  {@code cispo_clip_ratio}: share of ratios above the CISPO cap with A &gt; 0
 * @param activeTokens    Σ mask over the micro-batch
 * @param sequences       B
 */
public record LossResult(double loss, double kl, double entropy, double clipLowMean, double clipHighMean,
                         double clipRegionMean, double cispoClipRatio, double activeTokens, int sequences) {

    /**
     * The applicable metrics under TRL's names, in TRL's order. With a single process TRL's cross-process
     * {@code clip_ratio/low_min} and {@code clip_ratio/high_max} are this micro-batch's own values.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        put(m, "kl", kl);
        put(m, "entropy", entropy);
        put(m, "clip_ratio/low_mean", clipLowMean);
        put(m, "clip_ratio/low_min", clipLowMean);
        put(m, "clip_ratio/high_mean", clipHighMean);
        put(m, "clip_ratio/high_max", clipHighMean);
        put(m, "clip_ratio/region_mean", clipRegionMean);
        put(m, "cispo_clip_ratio", cispoClipRatio);
        return m;
    }

    private static void put(Map<String, Double> m, String k, double v) {
        if (!Double.isNaN(v)) m.put(k, v);
    }
}
