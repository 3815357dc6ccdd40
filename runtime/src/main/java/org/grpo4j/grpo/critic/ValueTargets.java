package org.grpo4j.grpo.critic;

/**
 * One completion's per-token PPO quantities, fixed when its batch is scored: the critic's values then (V_old, the
 * centre of {@code cliprange_value}), the GAE returns (the critic's targets) and the whitened GAE advantages (the
 * policy's). One entry per completion token. Estimators without a critic that still give per-token advantages
 * (reinforce_plus_plus, remax with {@code use_kl_in_reward}) leave {@code values} null.
 */
public record ValueTargets(float[] values, float[] returns, float[] advantages) {
    /** Completion tokens {@code [from, to)} of batch-wide per-token arrays ({@code values} may be null). */
    public static ValueTargets of(double[] values, double[] returns, double[] advantages, int from, int to) {
        return new ValueTargets(values == null ? null : floats(values, from, to), floats(returns, from, to), floats(advantages, from, to));
    }

    private static float[] floats(double[] x, int from, int to) {
        float[] f = new float[to - from];
        for (int i = from; i < to; i++) f[i - from] = (float) x[i];
        return f;
    }
}
