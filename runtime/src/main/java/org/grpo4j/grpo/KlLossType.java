package org.grpo4j.grpo;

import java.util.Locale;

/**
 * Which estimator of KL(π‖π_ref) the loss adds per token, β times it (verl's {@code kl_loss_type}; Schulman,
 * "Approximating KL divergence", 2020). With x = logp − ref:
 * <pre>
 * k1 (kl)         x                                       d/dlogp = 1
 * abs             |x|                                     sign(x)  (0 at x = 0, as torch)
 * k2 (mse)        ½x²                                     x
 * k3              e^{−x} + x − 1         TRL's, default   1 − e^{−x}
 * low_var_kl      clamp(e^{c} − c − 1, −10, 10),  c = clamp(−x, −20, 20)   verl's k3: the gradient is 0 where a clamp acts
 * </pre>
 * One deliberate difference: verl clamps both {@code k3} and {@code low_var_kl}; here {@code k3} is TRL's unclamped
 * form (grpo4j's default, today's behaviour) and {@code low_var_kl} is verl's clamped one. Clamp bounds pass the
 * gradient, as torch.clamp does.
 */
public enum KlLossType {
    K1, KL, ABS, K2, MSE, K3, LOW_VAR_KL;

    /** verl's spelling. */
    public String verlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The estimate at one token. */
    public double value(double logp, double ref) {
        double x = logp - ref;
        return switch (this) {
            case K1, KL -> x;
            case ABS -> Math.abs(x);
            case K2, MSE -> 0.5 * x * x;
            case K3 -> Math.exp(-x) + x - 1.0;
            case LOW_VAR_KL -> {
                double c = Math.min(20.0, Math.max(-20.0, -x));
                yield Math.min(10.0, Math.max(-10.0, Math.exp(c) - c - 1.0));
            }
        };
    }

    /** Its derivative by logp. */
    public double gradient(double logp, double ref) {
        double x = logp - ref;
        return switch (this) {
            case K1, KL -> 1.0;
            case ABS -> Math.signum(x);
            case K2, MSE -> x;
            case K3 -> 1.0 - Math.exp(-x);
            case LOW_VAR_KL -> {
                double d = -x, c = Math.min(20.0, Math.max(-20.0, d)), v = Math.exp(c) - c - 1.0;
                yield d < -20.0 || d > 20.0 || v < -10.0 || v > 10.0 ? 0.0 : 1.0 - Math.exp(c);
            }
        };
    }
}
