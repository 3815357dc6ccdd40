package org.grpo4j.grpo.critic;

/**
 * Generalised advantage estimation on ragged completions (verl {@code compute_gae_advantage_return}, Schulman et al.
 * 2016). Completion {@code b} owns the tokens {@code [start[b], start[b+1])} of every per-token array; a completion
 * ends where its tokens end, so there is no padding and no value after its last token:
 *
 * <pre>
 * δ_t = r_t + γ·V_{t+1} − V_t          (V_{T} = 0 after the last token)
 * A_t = δ_t + γλ·A_{t+1}               (A_{T} = 0)
 * R_t = A_t + V_t                      the returns, the critic's targets
 * </pre>
 * then the advantages are whitened over every valid token of the batch (verl's {@code masked_whiten}: mean and
 * unbiased variance over the tokens whose {@code valid} is 1, {@code (A − μ)/sqrt(σ² + 1e-8)}). A completion that is
 * not valid (no reward) gets A = 0 on every token and stays out of the statistics. Under data parallelism the
 * statistics are the whole batch's: {@link #whiten} takes them from the caller, who sums over ranks.
 */
public final class Gae {
    /** verl's ε of {@code masked_whiten} (under the square root) and of {@code masked_mean} (on the count). */
    public static final double EPS = 1e-8;

    private Gae() {}

    /** Token-level rewards: the sequence reward on each valid completion's last token, 0 elsewhere (outcome reward). */
    public static void outcomeRewards(int[] start, double[] rewards, boolean[] valid, double[] out) {
        for (int b = 0; b + 1 < start.length; b++) {
            for (int i = start[b]; i < start[b + 1]; i++) out[i] = 0.0;
            if (valid[b] && start[b + 1] > start[b]) out[start[b + 1] - 1] = rewards[b];
        }
    }

    /** Advantages (not yet whitened) and returns of every completion token. */
    public static void advantagesAndReturns(int[] start, double[] tokenRewards, double[] values, double gamma, double lam, double[] advOut,
                                            double[] returnsOut) {
        for (int b = 0; b + 1 < start.length; b++) {
            double next = 0, last = 0;
            for (int i = start[b + 1] - 1; i >= start[b]; i--) {
                double delta = tokenRewards[i] + gamma * next - values[i];
                last = delta + gamma * lam * last;
                advOut[i] = last;
                returnsOut[i] = last + values[i];
                next = values[i];
            }
        }
    }

    /** {count, Σ A} over the valid completions' tokens: the first pass of the batch's statistics. */
    public static double[] sums(int[] start, boolean[] valid, double[] adv) {
        double n = 0, s = 0;
        for (int b = 0; b + 1 < start.length; b++) {
            if (!valid[b]) continue;
            for (int i = start[b]; i < start[b + 1]; i++) s += adv[i];
            n += start[b + 1] - start[b];
        }
        return new double[] {n, s};
    }

    /** Σ (A − μ)² over the valid completions' tokens: the second pass. */
    public static double squaredDeviations(int[] start, boolean[] valid, double[] adv, double mean) {
        double ss = 0;
        for (int b = 0; b + 1 < start.length; b++) {
            if (!valid[b]) continue;
            for (int i = start[b]; i < start[b + 1]; i++) ss += (adv[i] - mean) * (adv[i] - mean);
        }
        return ss;
    }

    /** verl's masked mean: Σ / (n + 1e-8). */
    public static double mean(double n, double sum) {
        return sum / (n + EPS);
    }

    /** verl's unbiased masked variance from the count and Σ (x − μ)²; fewer than two tokens have none (verl refuses them). */
    public static double variance(double n, double squaredDeviations) {
        if (n < 2) throw new IllegalArgumentException("the batch has " + (long) n + " valid completion token(s); whitening the advantages needs at least 2");
        return squaredDeviations / (n + EPS) * n / (n - 1);
    }

    /** {@code (A − μ)/sqrt(σ² + 1e-8)} on valid completions' tokens, 0 on the others. */
    public static void whiten(int[] start, boolean[] valid, double[] adv, double mean, double variance) {
        double inv = 1.0 / Math.sqrt(variance + EPS);
        for (int b = 0; b + 1 < start.length; b++)
            for (int i = start[b]; i < start[b + 1]; i++) adv[i] = valid[b] ? (adv[i] - mean) * inv : 0.0;
    }

    /**
     * verl's {@code masked_whiten} of {@code x} over every valid completion token of the whole batch: the count, sum and
     * squared deviations are summed over the ranks (one process: {@code Communicator.single()}); used by GAE and by
     * REINFORCE++'s token-level returns.
     */
    public static void whitenOverRanks(int[] start, boolean[] valid, double[] x, org.grpo4j.distributed.Communicator comm) {
        double[] s = sums(start, valid, x);
        comm.sumInPlace(s);
        double mu = mean(s[0], s[1]);
        double[] ss = {squaredDeviations(start, valid, x, mu)};
        comm.sumInPlace(ss);
        whiten(start, valid, x, mu, variance(s[0], ss[0]));
    }

    /** The whole computation for one process: outcome rewards, GAE, whitening; returns are written to {@code returnsOut}. */
    public static void compute(int[] start, double[] rewards, boolean[] valid, double[] values, double gamma, double lam, double[] advOut,
                               double[] returnsOut) {
        double[] tokenRewards = new double[start[start.length - 1]];
        outcomeRewards(start, rewards, valid, tokenRewards);
        advantagesAndReturns(start, tokenRewards, values, gamma, lam, advOut, returnsOut);
        whitenOverRanks(start, valid, advOut, org.grpo4j.distributed.Communicator.single());
    }
}
