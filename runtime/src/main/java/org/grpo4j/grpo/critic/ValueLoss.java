package org.grpo4j.grpo.critic;

/**
 * PPO's clipped value loss for one micro-batch (verl {@code compute_value_loss}, TRL's PPO): the new values may move
 * at most {@code cliprange_value} from the rollout's values before the loss stops rewarding the move.
 *
 * <pre>
 * V_clip = clamp(V, V_old − c, V_old + c)
 * ℓ_t = max((V − R)², (V_clip − R)²)
 * loss = ½ · Σ_t m_t ℓ_t / (Σ_t m_t + 1e-8)            (verl's token-mean)
 * vf_clipfrac = Σ_t m_t [(V_clip − R)² > (V − R)²] / (Σ_t m_t + 1e-8)
 * </pre>
 * The gradient is torch's: at a tie of the max each side gets half, and verl's clamp is
 * {@code max(min(V, hi), lo)}, so at a bound V passes half its gradient.
 */
public final class ValueLoss {
    /** The loss and the share of tokens where the clipped branch was the larger. */
    public record Result(double loss, double clipFraction) {}

    private ValueLoss() {}

    /**
     * @param values   the critic's values now (V), per token of {@code [from, to)}
     * @param old      the values the rollout was scored with (V_old)
     * @param returns  the GAE returns (R)
     * @param mask     1 where a token is in the loss
     * @param gradOut  receives d loss / d V (times {@code scale})
     * @param scale    multiplies the gradient only (vf_coef over the accumulation steps)
     */
    public static Result compute(double[] values, double[] old, double[] returns, double[] mask, int from, int to, double clip, double scale,
                                 double[] gradOut) {
        double den = 0;
        for (int i = from; i < to; i++) den += mask[i];
        den += Gae.EPS;
        double loss = 0, clipped = 0;
        for (int i = from; i < to; i++) {
            double v = values[i], lo = old[i] - clip, hi = old[i] + clip;
            double vc = Math.min(Math.max(v, lo), hi);
            // d vc / d v as torch's max-then-min: half at a bound
            double dvc = v > lo && v < hi ? 1.0 : v == lo || v == hi ? 0.5 : 0.0;
            double e1 = v - returns[i], e2 = vc - returns[i];
            double l1 = e1 * e1, l2 = e2 * e2;
            double w = 0.5 * mask[i] / den;
            double g1 = 2 * e1, g2 = 2 * e2 * dvc;
            double g = l1 > l2 ? g1 : l2 > l1 ? g2 : 0.5 * (g1 + g2);
            loss += w * Math.max(l1, l2);
            clipped += l2 > l1 ? mask[i] : 0.0;
            gradOut[i] = scale * w * g;
        }
        return new Result(loss, clipped / den);
    }
}
