package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The kernel of one torch.optim.AdamW step (decoupled weight decay, bias correction) over a flat parameter block;
 * the optimiser is {@code org.grpo4j.optim.AdamW}. The block's decay groups and the clipping coefficient are applied
 * in the same pass: one hand-off per step, each value read and written once.
 */
final class AdamWStep {
    private AdamWStep() {}

    /**
     * Steps {@code n} values from the given offsets; {@code groupEnds[k]} (relative, increasing, the last {@code n})
     * ends group {@code k}, whose weight decay is {@code groupWd[k]}. With {@code gradScale != 1} the gradient is
     * scaled in place first (the same float product as a separate scale).
     */
    static void step(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                     int[] groupEnds, float[] groupWd, float gradScale, float lr, float beta1, float beta2, float eps, int t) {
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        float stepSize = lr / c1, sqrtC2 = (float) Math.sqrt(c2);
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            int k = 0;
            while (groupEnds[k] <= from) k++;
            for (int i = from; i < to; k++) {
                int end = Math.min(to, groupEnds[k]);
                range(p, po + i, g, go + i, m, mo + i, v, vo + i, end - i, gradScale, 1f - lr * groupWd[k], stepSize, sqrtC2, beta1, beta2, eps);
                i = end;
            }
        });
    }

    private static void range(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n, float gradScale,
                              float decay, float stepSize, float sqrtC2, float beta1, float beta2, float eps) {
        var F = VectorMath.F;
        int W = VectorMath.W, i = 0;
        boolean scaled = gradScale != 1f;
        FloatVector vb1 = FloatVector.broadcast(F, beta1), vb2 = FloatVector.broadcast(F, beta2);
        FloatVector v1b1 = FloatVector.broadcast(F, 1 - beta1), v1b2 = FloatVector.broadcast(F, 1 - beta2);
        for (int upper = F.loopBound(n); i < upper; i += W) {
            FloatVector gi = FloatVector.fromArray(F, g, go + i);
            if (scaled) {
                gi = gi.mul(gradScale);
                gi.intoArray(g, go + i);
            }
            FloatVector mi = FloatVector.fromArray(F, m, mo + i).mul(vb1).add(gi.mul(v1b1));
            FloatVector vi = FloatVector.fromArray(F, v, vo + i).mul(vb2).add(gi.mul(gi).mul(v1b2));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            FloatVector denom = vi.sqrt().div(sqrtC2).add(eps);
            FloatVector pi = FloatVector.fromArray(F, p, po + i).mul(decay);
            pi.sub(mi.div(denom).mul(stepSize)).intoArray(p, po + i);
        }
        for (; i < n; i++) {
            float gi = g[go + i];
            if (scaled) g[go + i] = gi *= gradScale;
            float mi = m[mo + i] = beta1 * m[mo + i] + (1 - beta1) * gi;
            float vi = v[vo + i] = beta2 * v[vo + i] + (1 - beta2) * gi * gi;
            p[po + i] = p[po + i] * decay - stepSize * mi / ((float) Math.sqrt(vi) / sqrtC2 + eps);
        }
    }
}
