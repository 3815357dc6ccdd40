package org.grpo4j.grpo;

import java.util.Arrays;

/**
 * TRL's GRPO policy loss ({@code GRPOTrainer._compute_loss}) for one micro-batch, with its gradient with respect
 * to every token's log-probability written out by hand, so that the engine's backward can take it from there.
 *
 * <p>Layout: the engine packs each sequence's completion tokens contiguously, so sequence {@code b} owns the
 * tokens {@code [start[b], start[b+1])} of every per-token array. Per token: {@code logp} (current policy),
 * {@code oldLogp} (the policy that generated the batch; {@code null} when the batch is used once, which makes
 * the ratio exactly 1 with the gradient of {@code A·∇logπ}), {@code refLogp} (only needed when beta ≠ 0),
 * {@code mask} (1 = in the loss; TRL multiplies by it, so other values act as weights) and {@code entropy}
 * (only needed for {@code top_entropy_quantile < 1}); per sequence: {@code advantages}.
 *
 * <p>Per token, with w the ratio (token level: {@code exp(logp − old)}; sequence level, GSPO: the exp of the
 * masked mean log-ratio of the row, the same for every token of the row) and A the row's advantage:
 * <pre>
 * clip losses (grpo, bnpo, dr_grpo, dapo):  p = −min(u·A, clamp(w, 1−ε, 1+ε_high)·A),  u = min(w, δ) if δ set else w
 * cispo:                                    p = −sg(min(w, ε_high))·A·logp           (no gradient through w)
 * sapo:                                     p = −(4/τ)·σ(τ(w − 1))·A,  τ = τ_pos if A &gt; 0 else τ_neg
 * ℓ = E·p + β·k3,  k3 = exp(ref − logp) − (ref − logp) − 1            E = top-entropy mask (1 without it)
 *                   (k3 is the default {@code kl_loss_type}; {@link KlLossType} has verl's other estimators)
 * </pre>
 * With {@code use_bias_correction_kl} the KL term is {@code β·w·k3} (DeepSeek-V3.2's importance-weighted estimator,
 * as TRL), w the same ratio as the policy term's, and its gradient flows through w as well.
 * and {@code loss = Σ_b α_b Σ_t M ℓ}: grpo/sapo {@code α_b = 1/(B·max(1, Σ_t M_b)·GA)}, bnpo
 * {@code 1/(max(1, Σ M)·GA)}, dr_grpo {@code 1/(B·L·GA)}, dapo/cispo {@code 1/max(1, num_items_in_batch)}
 * (TRL does not clamp that last one; it only matters when nothing in the generation batch is active).
 * At torch's non-differentiable points the gradient is torch's: clamp passes the gradient at its bounds, min
 * splits it evenly on a tie. tools/oracle/README.md ("GRPO loss cases") has the derivation.
 *
 * <p>Top-entropy filter: as TRL's {@code get_high_entropy_mask}, the threshold is the {@code 1 − ρ} quantile
 * (torch.quantile, linear interpolation) of the entropies of the active tokens of <em>this micro-batch</em>
 * (TRL's forward batch, gathered over processes; one process here); a token is kept iff it is active and its
 * entropy is ≥ the threshold. It multiplies the policy term only, never the KL.
 *
 * <p>Not thread-safe: an instance keeps scratch buffers for the {@code float[]} entry point (grown as needed, so
 * steady-state calls do not allocate). The {@code double[]} entry point is static and allocates nothing per
 * token.
 */
public final class GrpoLoss {
    private double[] lp = new double[0], old = new double[0], ref = new double[0], msk = new double[0], ent = new double[0];
    private double[] grad = new double[0], ptl = new double[0];

    /**
     * The engine's entry point: float arrays in packed order (see the class comment); computes in double.
     *
     * @param settings        the loss settings (TRL names, {@link LossSettings})
     * @param scale           what the loss divides by this step (accumulation window, L, active tokens of the generation batch)
     * @param gradOut         receives d loss / d logp for tokens {@code [start[0], start[B])}
     * @param perTokenLossOut receives ℓ before masking for the same tokens; {@code null} to skip
     */
    public LossResult compute(LossSettings settings, LossScale scale, int[] start, float[] logp, float[] oldLogp, float[] refLogp, float[] mask,
                              double[] advantages, float[] entropy, float[] gradOut, float[] perTokenLossOut) {
        return compute(settings, scale, start, logp, oldLogp, refLogp, mask, advantages, null, entropy, gradOut, perTokenLossOut);
    }

    /**
     * The same with per-token advantages ({@code tokenAdvantages[i]} for token i, in packed order; PPO's GAE) in place
     * of the sequences' {@code advantages}, which then only count for the clip metrics' bookkeeping; token level only.
     */
    public LossResult compute(LossSettings settings, LossScale scale, int[] start, float[] logp, float[] oldLogp, float[] refLogp, float[] mask,
                              double[] advantages, double[] tokenAdvantages, float[] entropy, float[] gradOut, float[] perTokenLossOut) {
        checkShape(start, advantages);
        int n = start[start.length - 1];
        requireLength("logp", logp == null ? -1 : logp.length, n);
        requireLength("gradOut", gradOut == null ? -1 : gradOut.length, n);
        if (lp.length < n) {
            int cap = Math.max(n, lp.length * 3 / 2);
            lp = new double[cap]; old = new double[cap]; ref = new double[cap]; msk = new double[cap]; ent = new double[cap];
            grad = new double[cap]; ptl = new double[cap];
        }
        int from = start[0];
        widen(logp, lp, from, n);
        double[] o = oldLogp == null ? null : widen("oldLogp", oldLogp, old, from, n);
        double[] r = refLogp == null ? null : widen("refLogp", refLogp, ref, from, n);
        double[] m = mask == null ? null : widen("mask", mask, msk, from, n);
        double[] e = entropy == null ? null : widen("entropy", entropy, ent, from, n);
        LossResult res = compute(settings, scale, start, lp, o, r, m, advantages, tokenAdvantages, e, grad, perTokenLossOut == null ? null : ptl);
        for (int i = from; i < n; i++) gradOut[i] = (float) grad[i];
        if (perTokenLossOut != null) {
            requireLength("perTokenLossOut", perTokenLossOut.length, n);
            for (int i = from; i < n; i++) perTokenLossOut[i] = (float) ptl[i];
        }
        return res;
    }

    /**
     * The double-precision loss (the reference the oracle tests check to ~1e-12). Arguments as the float entry
     * point; {@code mask} is required here.
     */
    public static LossResult compute(LossSettings s, LossScale n, int[] start, double[] logp, double[] oldLogp, double[] refLogp, double[] mask,
                                     double[] advantages, double[] entropy, double[] gradOut, double[] perTokenLossOut) {
        return compute(s, n, start, logp, oldLogp, refLogp, mask, advantages, null, entropy, gradOut, perTokenLossOut);
    }

    /** The double-precision loss with per-token advantages (null: each token takes its sequence's). */
    public static LossResult compute(LossSettings s, LossScale n, int[] start, double[] logp, double[] oldLogp, double[] refLogp, double[] mask,
                                     double[] advantages, double[] tokenAdvantages, double[] entropy, double[] gradOut, double[] perTokenLossOut) {
        checkShape(start, advantages);
        int B = advantages.length, from = start[0], to = start[B];
        requireLength("logp", logp == null ? -1 : logp.length, to);
        requireLength("mask", mask == null ? -1 : mask.length, to);
        requireLength("gradOut", gradOut == null ? -1 : gradOut.length, to);
        if (oldLogp != null) requireLength("oldLogp", oldLogp.length, to);
        if (perTokenLossOut != null) requireLength("perTokenLossOut", perTokenLossOut.length, to);
        double beta = s.beta();
        boolean withKl = beta != 0.0;
        if (withKl) {
            if (refLogp == null) throw new IllegalArgumentException("beta = " + beta + " needs reference log-probs (refLogp is null)");
            requireLength("refLogp", refLogp.length, to);
        }
        boolean filter = s.topEntropyQuantile() < 1.0;
        if (filter) {
            if (entropy == null) throw new IllegalArgumentException("top_entropy_quantile = " + s.topEntropyQuantile() + " needs token entropies (entropy is null)");
            requireLength("entropy", entropy.length, to);
        } else if (entropy != null) {
            requireLength("entropy", entropy.length, to);
        }
        for (int b = 0; b < B; b++)
            if (!Double.isFinite(advantages[b])) throw new IllegalArgumentException("advantage of sequence " + b + " is " + advantages[b]);
        if (tokenAdvantages != null) {
            requireLength("tokenAdvantages", tokenAdvantages.length, to);
            if (s.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE)
                throw new IllegalArgumentException("per-token advantages (adv_estimator = gae) need importance_sampling_level = token");
            for (int i = from; i < to; i++)
                if (!Double.isFinite(tokenAdvantages[i])) throw new IllegalArgumentException("advantage of token " + i + " is " + tokenAdvantages[i]);
        }
        LossType lt = s.lossType();
        if ((lt == LossType.DAPO || lt == LossType.CISPO) && Double.isNaN(n.numItemsInBatch()))
            throw new IllegalArgumentException("loss_type " + lt.trlName() + " needs num_items_in_batch (the active tokens of the whole generation batch)");

        double totalMask = 0, entSum = 0;
        for (int i = from; i < to; i++) {
            totalMask += mask[i];
            if (entropy != null) entSum += mask[i] * entropy[i];
        }
        double tokenDen = Math.max(1.0, totalMask);
        double threshold = filter ? entropyThreshold(entropy, mask, from, to, s.topEntropyQuantile()) : Double.NaN;

        double lo = 1.0 - s.epsilon(), hi = 1.0 + s.clipHigh(), cap = s.clipHigh();
        double delta = s.delta() == null ? Double.POSITIVE_INFINITY : s.delta();
        double ga = n.gradientAccumulationSteps();
        boolean seq = s.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE;
        boolean clipLoss = lt != LossType.CISPO && lt != LossType.SAPO;
        boolean klWeighted = withKl && s.useBiasCorrectionKl();
        KlLossType klType = s.klLossType();

        double loss = 0, klSum = 0, low = 0, high = 0, region = 0, cispoClip = 0;
        for (int b = 0; b < B; b++) {
            int s0 = start[b], s1 = start[b + 1];
            double A = advantages[b];
            double rowMask = 0, rowLog = 0, kept = 0, rowKl = 0;
            for (int i = s0; i < s1; i++) {
                double mi = mask[i];
                rowMask += mi;
                if (oldLogp != null) rowLog += mi * (logp[i] - oldLogp[i]);
                if (filter) kept += mi * keep(entropy, mask, threshold, i);
                if (seq && klWeighted) rowKl += mi * klType.value(logp[i], refLogp[i]);
            }
            double nb = Math.max(1.0, rowMask);
            if (!filter) kept = rowMask;
            double alpha = switch (lt) {
                case GRPO, SAPO -> 1.0 / (B * nb * ga);
                case BNPO -> 1.0 / (tokenDen * ga);
                case DR_GRPO -> 1.0 / ((double) B * n.maxCompletionLength() * ga);
                case DAPO, CISPO -> 1.0 / Math.max(1.0, n.numItemsInBatch());
            };

            // Sequence level: one ratio, one policy value and one d p / d w for the whole row.
            double wRow = seq ? Math.exp(rowLog / nb) : 1.0;
            double pRow = 0, dRow = 0;
            if (seq) {
                if (lt != LossType.CISPO) {
                    pRow = policy(lt, wRow, A, lo, hi, delta, s);
                    dRow = policyGrad(lt, wRow, A, lo, hi, delta, s);
                }
                double u = Math.min(wRow, delta);
                boolean isLow = u < lo && A < 0, isHigh = u > hi && A > 0;
                low += isLow ? 1 : 0;
                high += isHigh ? 1 : 0;
                region += isLow || isHigh ? 1 : 0;
                cispoClip += wRow > cap && A > 0 ? 1 : 0;
            }
            // d loss / d w_row summed over the row's kept tokens, spread back through w_row = exp(mean log-ratio)
            double seqCoef = seq && lt != LossType.CISPO ? alpha * kept * dRow * wRow / nb : 0.0;

            for (int i = s0; i < s1; i++) {
                double mi = mask[i], lpi = logp[i];
                double e = filter ? keep(entropy, mask, threshold, i) : 1.0;
                double p, g;
                if (seq) {
                    if (lt == LossType.CISPO) {
                        double c = Math.min(wRow, cap);
                        p = -c * A * lpi;
                        g = alpha * mi * e * (-c * A);
                    } else {
                        p = pRow;
                        g = seqCoef * mi;
                    }
                } else {
                    double w = oldLogp == null ? 1.0 : Math.exp(lpi - oldLogp[i]);
                    if (tokenAdvantages != null) A = tokenAdvantages[i];
                    if (lt == LossType.CISPO) {
                        double c = Math.min(w, cap);
                        p = -c * A * lpi;
                        g = alpha * mi * e * (-c * A);
                        cispoClip += w > cap && A > 0 ? mi : 0;
                    } else {
                        p = policy(lt, w, A, lo, hi, delta, s);
                        g = alpha * mi * e * policyGrad(lt, w, A, lo, hi, delta, s) * w;
                        if (clipLoss) {
                            double u = Math.min(w, delta);
                            boolean isLow = u < lo && A < 0, isHigh = u > hi && A > 0;
                            low += isLow ? mi : 0;
                            high += isHigh ? mi : 0;
                            region += isLow || isHigh ? mi : 0;
                        }
                    }
                }
                double l = e * p;
                if (withKl) {
                    double kl = klType.value(lpi, refLogp[i]), dkl = klType.gradient(lpi, refLogp[i]);
                    if (klWeighted) {
                        // use_bias_correction_kl: kl·w, and w depends on logp too (token: dw/dlogp = w; sequence: w·M/n_b)
                        double w = seq ? wRow : oldLogp == null ? 1.0 : Math.exp(lpi - oldLogp[i]);
                        g += alpha * mi * beta * w * (dkl + (seq ? 0.0 : kl)) + (seq ? alpha * beta * rowKl * w * mi / nb : 0.0);
                        kl *= w;
                    } else {
                        g += alpha * mi * beta * dkl;
                    }
                    l += beta * kl;
                    klSum += mi * kl;
                }
                loss += alpha * mi * l;
                gradOut[i] = g;
                if (perTokenLossOut != null) perTokenLossOut[i] = l;
            }
        }
        // TRL's masked_batch_mean: per token over active tokens, per sequence over all B rows (empty rows count).
        double clipDen = seq ? Math.max(1, B) : tokenDen;
        double nan = Double.NaN;
        return new LossResult(loss,
                withKl ? klSum / tokenDen : nan,
                entropy != null ? entSum / tokenDen : nan,
                clipLoss ? low / clipDen : nan,
                clipLoss ? high / clipDen : nan,
                clipLoss ? region / clipDen : nan,
                lt == LossType.CISPO ? cispoClip / clipDen : nan,
                totalMask, B);
    }

    /** The policy term p(w) of the clip losses and SAPO (CISPO is handled inline: its p depends on logp). */
    private static double policy(LossType lt, double w, double A, double lo, double hi, double delta, LossSettings s) {
        if (lt == LossType.SAPO) {
            double tau = A > 0 ? s.sapoTemperaturePos() : s.sapoTemperatureNeg();
            return -(4.0 / tau) * sigmoid(tau * (w - 1.0)) * A;
        }
        double c = Math.min(Math.max(w, lo), hi), u = Math.min(w, delta);
        return u * A <= c * A ? -u * A : -c * A;
    }

    /** d p / d w with torch's conventions at the kinks (see the class comment). */
    private static double policyGrad(LossType lt, double w, double A, double lo, double hi, double delta, LossSettings s) {
        if (lt == LossType.SAPO) {
            double tau = A > 0 ? s.sapoTemperaturePos() : s.sapoTemperatureNeg();
            double sg = sigmoid(tau * (w - 1.0));
            return -4.0 * sg * (1.0 - sg) * A;
        }
        double c = Math.min(Math.max(w, lo), hi);
        double dc = w >= lo && w <= hi ? 1.0 : 0.0;
        double u = w <= delta ? w : delta, du = w <= delta ? 1.0 : 0.0;
        double ua = u * A, ca = c * A;
        if (ua < ca) return -A * du;
        if (ua > ca) return -A * dc;
        return -A * (du + dc) * 0.5;
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    }

    private static double keep(double[] entropy, double[] mask, double threshold, int i) {
        return mask[i] != 0.0 && entropy[i] >= threshold ? 1.0 : 0.0;
    }

    /**
     * TRL's top-entropy threshold: {@code torch.quantile(H[active], 1 − ρ)} with linear interpolation over the
     * active tokens of {@code [from, to)}; {@code +∞} (nothing kept) when no token is active.
     */
    public static double entropyThreshold(double[] entropy, double[] mask, int from, int to, double topEntropyQuantile) {
        int n = 0;
        for (int i = from; i < to; i++) if (mask[i] != 0.0) n++;
        if (n == 0) return Double.POSITIVE_INFINITY;
        double[] v = new double[n];
        for (int i = from, k = 0; i < to; i++) if (mask[i] != 0.0) v[k++] = entropy[i];
        Arrays.sort(v);
        double rank = (1.0 - topEntropyQuantile) * (n - 1);
        int below = (int) Math.floor(rank), above = (int) Math.ceil(rank);
        double w = rank - below, a = v[below], c = v[above];
        // torch.lerp's two-sided form, so that the result equals torch's bit for bit at the interpolation ends
        return w < 0.5 ? a + w * (c - a) : c - (c - a) * (1.0 - w);
    }

    private static void checkShape(int[] start, double[] advantages) {
        if (advantages == null) throw new IllegalArgumentException("advantages is null");
        if (start == null || start.length != advantages.length + 1)
            throw new IllegalArgumentException("start needs B + 1 = " + (advantages.length + 1) + " offsets, got "
                    + (start == null ? "null" : start.length));
        if (start[0] < 0) throw new IllegalArgumentException("start[0] = " + start[0] + " is negative");
        for (int b = 0; b < advantages.length; b++)
            if (start[b + 1] < start[b])
                throw new IllegalArgumentException("start is not ascending at sequence " + b + ": " + start[b] + " > " + start[b + 1]);
    }

    private static void requireLength(String name, int length, int needed) {
        if (length < 0) throw new IllegalArgumentException(name + " is null");
        if (length < needed) throw new IllegalArgumentException(name + " has " + length + " entries, the batch needs " + needed);
    }

    private static void widen(float[] src, double[] dst, int from, int to) {
        for (int i = from; i < to; i++) dst[i] = src[i];
    }

    private static double[] widen(String name, float[] src, double[] dst, int from, int to) {
        requireLength(name, src.length, to);
        widen(src, dst, from, to);
        return dst;
    }
}
