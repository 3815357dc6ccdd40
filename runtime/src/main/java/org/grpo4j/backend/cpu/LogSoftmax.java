package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Log-softmax of logits rows with a target gather and the entropy (forward), and its backward in place. Sums over
 * the vocabulary run in float vector lanes in blocks of {@value #BLOCK} and add the blocks in double, so a 150k
 * vocabulary keeps ~1e-7 relative accuracy at vector speed. The forward saves each row's log-sum-exp, so the
 * backward is one pass over the row (no second max and exponent-sum passes).
 */
final class LogSoftmax {
    private static final int BLOCK = 1024;

    // static final, not locals the loop lambdas capture: a captured species is no constant to C2 (see RmsNorm)
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    private LogSoftmax() {}

    static void gather(float[] logp, int lo, float[] entropy, int eo, float[] lse, int zo, float[] logits, int xo, int[] targets, int to,
                       int rows, int vocab, float temperature) {
        float inv = 1f / temperature;
        Parallel.forRange(rows, Parallel.grain(8L * vocab), (from, end) -> {
            for (int r = from; r < end; r++) {
                int x = xo + r * vocab;
                int target = targets[to + r];
                if (target < 0 || target >= vocab)
                    throw new IllegalArgumentException("target token " + target + " outside the vocabulary of " + vocab);
                float max = VectorMath.max(logits, x, vocab) * inv;
                double[] sums = sums(logits, x, vocab, inv, max, entropy != null);
                double logZ = Math.log(sums[0]);
                logp[lo + r] = (float) (logits[x + target] * inv - max - logZ);
                // H = log Z − E[z], z = logits/T − max
                if (entropy != null) entropy[eo + r] = (float) (logZ - sums[1] / sums[0]);
                if (lse != null) lse[zo + r] = (float) (max + logZ);
            }
        });
    }

    /** {Σ e^z, Σ z·e^z} with z = x·inv − max. */
    private static double[] sums(float[] x, int o, int n, float inv, float max, boolean weighted) {
        double sum = 0, wsum = 0;
        for (int b0 = 0; b0 < n; b0 += BLOCK) {
            int b1 = Math.min(n, b0 + BLOCK), j = b0;
            FloatVector acc = FloatVector.zero(S), wacc = FloatVector.zero(S);
            for (int upper = b0 + S.loopBound(b1 - b0); j < upper; j += W) {
                FloatVector z = FloatVector.fromArray(S, x, o + j).mul(inv).sub(max);
                FloatVector e = VectorMath.exp(z);
                acc = acc.add(e);
                if (weighted) wacc = z.fma(e, wacc);
            }
            float s = VectorMath.sum(acc), ws = weighted ? VectorMath.sum(wacc) : 0f;
            for (; j < b1; j++) {
                float z = x[o + j] * inv - max, e = VectorMath.exp(z);
                s += e;
                ws += z * e;
            }
            sum += s;
            wsum += ws;
        }
        return new double[] {sum, wsum};
    }

    /** {@code dlogits_j = g·(1[j = target] − exp(x_j/T − lse))} with {@code g = dLogp/T}: one pass with the saved lse. */
    static void backward(float[] logits, int xo, float[] lse, int zo, float[] dLogp, int dlo, int[] targets, int to, int rows, int vocab, float temperature) {
        float inv = 1f / temperature;
        Parallel.forRange(rows, Parallel.grain(4L * vocab), (from, end) -> {
            for (int r = from; r < end; r++) {
                int x = xo + r * vocab;
                float shift = lse[zo + r], g = dLogp[dlo + r] * inv, scale = -g;
                int j = 0;
                for (int upper = S.loopBound(vocab); j < upper; j += W)
                    VectorMath.exp(FloatVector.fromArray(S, logits, x + j).mul(inv).sub(shift)).mul(scale).intoArray(logits, x + j);
                for (; j < vocab; j++) logits[x + j] = VectorMath.exp(logits[x + j] * inv - shift) * scale;
                logits[x + targets[to + r]] += g;
            }
        });
    }
}
