package org.grpo4j.repl;

import java.time.Duration;
import java.util.Map;

/**
 * One step of a training run as the REPL shows it. {@code metrics} holds every logged value of the step under
 * TRL's names ({@code reward}, {@code kl}, {@code completions/mean_length}, {@code rewards/<name>/mean}, ...);
 * {@code eta} is {@code null} when unknown.
 */
public record TrainingStatus(int step, int maxSteps, double reward, double kl, double completionLength,
                             double tokensPerSecond, Duration eta, Map<String, Double> metrics) {
    public TrainingStatus {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /**
     * The status line: {@code step 12/200  reward 0.512  kl 0.0031  len 48.2  1,234 tok/s  ETA 3:05}; a PPO run adds
     * {@code vf_loss 0.2113  vf_ev 0.412} (its critic's value loss and explained variance) before the ETA.
     */
    public String line() {
        StringBuilder b = new StringBuilder("step ").append(step);
        if (maxSteps > 0) b.append('/').append(maxSteps);
        b.append(String.format(java.util.Locale.ROOT, "  reward %.3f  kl %.4f  len %.1f  %,.0f tok/s", reward, kl,
                completionLength, tokensPerSecond));
        // PPO (adv_estimator = gae): how well the critic fits, verl's names shortened
        Double vf = metrics.get("critic/vf_loss"), ev = metrics.get("critic/vf_explained_var");
        if (vf != null) b.append(String.format(java.util.Locale.ROOT, "  vf_loss %.4f", vf));
        if (ev != null) b.append(String.format(java.util.Locale.ROOT, "  vf_ev %.3f", ev));
        if (eta != null) {
            long s = eta.toSeconds();
            b.append("  ETA ").append(s >= 3600 ? String.format(java.util.Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(java.util.Locale.ROOT, "%d:%02d", s / 60, s % 60));
        }
        return b.toString();
    }
}
