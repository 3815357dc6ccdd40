package org.grpo4j.backend.cpu;

/**
 * Inverted dropout whose mask is a hash of (seed, element index) instead of a stored tensor: the LoRA backward
 * and gradient checkpointing recompute the exact mask of the forward from the seed, so nothing is kept.
 * Element {@code i} is kept when {@code u(seed, i) ≥ p}, with {@code u} uniform in [0, 1) from SplitMix64's
 * finaliser, and kept values are scaled by {@code 1 / (1 − p)} (torch's convention).
 */
public final class Dropout {
    private Dropout() {}

    /** {@code out (+)= mask(seed) ⊙ in / (1 − p)} over {@code n} values. */
    public static void apply(float[] out, int outOff, float[] in, int inOff, long seed, float p, int n, boolean accumulate) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        float keep = 1 / (1 - p);
        // threshold on the top 24 bits, so the test is an exact integer compare
        int threshold = (int) Math.ceil(p * (1 << 24));
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = kept(seed, i, threshold) ? in[inOff + i] * keep : 0f;
                out[outOff + i] = accumulate ? out[outOff + i] + v : v;
            }
        });
    }

    /** Whether element {@code i} survives: the top 24 bits of the hash, as an integer in [0, 2^24), reach the threshold. */
    public static boolean kept(long seed, long i, int threshold) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (int) (z >>> 40) >= threshold;
    }
}
