package org.grpo4j.grpo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.grpo4j.grpo.critic.Gae;

/**
 * β of the KL penalty in the reward (verl's {@code FixedKLController} and {@code AdaptiveKLController}, Ziegler et al.
 * 2019): fixed keeps {@code kl_coef}; adaptive moves it after every generation batch of n sequences towards
 * {@code target_kl}:
 * <pre>
 * β ← β · (1 + clip(KL / target_kl − 1, −0.2, 0.2) · n / horizon)
 * </pre>
 * where KL is the batch's mean over sequences of each sequence's mean token KL. β is part of a checkpoint
 * ({@code kl_ctrl.json} at its root), so a resumed run continues with the β it had.
 */
public final class KlController {
    /** {@code kl_ctrl}. */
    public enum Kind { FIXED, ADAPTIVE }

    static final String FILE = "kl_ctrl.json";

    private final KlRewardSettings settings;
    private double value;

    public KlController(KlRewardSettings settings) {
        this.settings = settings;
        this.value = settings.klCoef();
    }

    /** The β the next batch's rewards use. */
    public double value() {
        return value;
    }

    /** After a batch of {@code sequences} completions whose mean KL was {@code currentKl}. */
    public void update(double currentKl, int sequences) {
        if (settings.klCtrl() == Kind.FIXED) return;
        double error = Math.max(-0.2, Math.min(0.2, currentKl / settings.targetKl() - 1.0));
        value *= 1.0 + error * sequences / settings.klHorizon();
    }

    /**
     * verl's {@code apply_kl_penalty} on packed completions: {@code tokenRewards[t] −= beta · KL_t} with
     * KL_t = {@code type}(old_t, ref_t); returns the sum over the completions of each one's mean token KL (verl's
     * masked mean, +1e-8 on the count), which over the number of completions is the controller's KL.
     */
    public static double penalise(int[] start, double[] oldLogp, double[] refLogp, org.grpo4j.grpo.KlLossType type, double beta, double[] tokenRewards) {
        double sum = 0;
        for (int b = 0; b + 1 < start.length; b++) {
            double row = 0;
            for (int i = start[b]; i < start[b + 1]; i++) {
                double kl = type.value(oldLogp[i], refLogp[i]);
                tokenRewards[i] -= beta * kl;
                row += kl;
            }
            sum += row / (start[b + 1] - start[b] + Gae.EPS);
        }
        return sum;
    }

    public void save(Path dir) throws IOException {
        new ObjectMapper().writeValue(dir.resolve(FILE).toFile(), Map.of("kl_ctrl", settings.klCtrl().name().toLowerCase(java.util.Locale.ROOT), "value", value));
    }

    public void load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) throw new IOException(f + " is missing: the checkpoint was written without use_kl_in_reward");
        var node = new ObjectMapper().readTree(f.toFile()).get("value");
        if (node == null || !node.isNumber()) throw new IOException(f + ": no numeric 'value'");
        value = node.asDouble();
    }
}
