package org.grpo4j.grpo.advantage;

/**
 * REINFORCE++ (Hu 2025; verl {@code compute_reinforce_plus_plus_outcome_advantage}): the returns are whitened over
 * every completion token of the whole batch, not per group. With the outcome reward on the last token and γ = 1,
 * every token's return is its completion's reward r_i, so the token statistics are the rewards weighted by the
 * completion lengths L_i (verl's {@code masked_whiten}: masked mean with +1e-8 on the count, unbiased variance):
 *
 * <pre>
 * T = Σ L_i    μ = Σ L_i r_i / (T + 1e-8)    σ² = Σ L_i (r_i − μ)² / (T + 1e-8) · T / (T − 1)
 * A_i = (r_i − μ) / sqrt(σ² + 1e-8)
 * </pre>
 * Only completions with a reward count; NaN gets A = 0. With fewer than two tokens σ² = 0 (verl refuses such a batch).
 *
 * <p>With the KL penalty in the reward ({@code use_kl_in_reward}) or γ &lt; 1 every token has its own return, the
 * discounted sum of the token rewards from it to the completion's end ({@link #returns}), whitened over every valid
 * token of the batch by the caller ({@code Gae.whitenOverRanks}, verl's {@code masked_whiten}); the advantages are then
 * per token.
 */
public final class ReinforcePlusPlus {
    /** verl's constant under the square root of {@code masked_whiten} and on the token count of {@code masked_mean}. */
    public static final double EPS = 1e-8;

    private ReinforcePlusPlus() {}

    /**
     * verl's reversed return loop on ragged completions: {@code R_t = r_t + γ·R_{t+1}} within completion b's tokens
     * {@code [start[b], start[b+1])}, 0 after its last token (verl resets the running return at the response mask's end).
     */
    public static void returns(int[] start, double[] tokenRewards, double gamma, double[] out) {
        for (int b = 0; b + 1 < start.length; b++) {
            double running = 0;
            for (int i = start[b + 1] - 1; i >= start[b]; i--) {
                running = tokenRewards[i] + gamma * running;
                out[i] = running;
            }
        }
    }

    public static double[] advantages(double[] rewards, double[] lengths) {
        if (lengths.length != rewards.length)
            throw new IllegalArgumentException(lengths.length + " completion lengths for " + rewards.length + " rewards");
        double tokens = 0, weighted = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (Double.isNaN(rewards[i])) continue;
            tokens += lengths[i];
            weighted += lengths[i] * rewards[i];
        }
        double mu = weighted / (tokens + EPS), ss = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (Double.isNaN(rewards[i])) continue;
            double d = rewards[i] - mu;
            ss += lengths[i] * d * d;
        }
        double var = tokens < 2 ? 0.0 : ss / (tokens + EPS) * tokens / (tokens - 1);
        double inv = 1.0 / Math.sqrt(var + EPS);
        double[] adv = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) adv[i] = Double.isNaN(rewards[i]) ? 0.0 : (rewards[i] - mu) * inv;
        return adv;
    }
}
