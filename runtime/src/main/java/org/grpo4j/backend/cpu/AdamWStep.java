package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/** The kernel of one torch.optim.AdamW step over one flat range of parameters (decoupled weight decay, bias correction); the optimiser is {@code org.grpo4j.optim.AdamW}. */
final class AdamWStep {
    private AdamWStep() {}

    static void step(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                     float lr, float beta1, float beta2, float eps, float wd, int t) {
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        float decay = 1f - lr * wd, stepSize = lr / c1, sqrtC2 = (float) Math.sqrt(c2);
        var F = VectorMath.F;
        int W = VectorMath.W;
        Parallel.forRange(n, 4096, (from, to) -> {
            int i = from;
            FloatVector vb1 = FloatVector.broadcast(F, beta1), vb2 = FloatVector.broadcast(F, beta2);
            FloatVector v1b1 = FloatVector.broadcast(F, 1 - beta1), v1b2 = FloatVector.broadcast(F, 1 - beta2);
            for (int upper = from + F.loopBound(to - from); i < upper; i += W) {
                FloatVector gi = FloatVector.fromArray(F, g, go + i);
                FloatVector mi = FloatVector.fromArray(F, m, mo + i).mul(vb1).add(gi.mul(v1b1));
                FloatVector vi = FloatVector.fromArray(F, v, vo + i).mul(vb2).add(gi.mul(gi).mul(v1b2));
                mi.intoArray(m, mo + i);
                vi.intoArray(v, vo + i);
                FloatVector denom = vi.sqrt().div(sqrtC2).add(eps);
                FloatVector pi = FloatVector.fromArray(F, p, po + i).mul(decay);
                pi.sub(mi.div(denom).mul(stepSize)).intoArray(p, po + i);
            }
            for (; i < to; i++) {
                float gi = g[go + i];
                float mi = m[mo + i] = beta1 * m[mo + i] + (1 - beta1) * gi;
                float vi = v[vo + i] = beta2 * v[vo + i] + (1 - beta2) * gi * gi;
                p[po + i] = p[po + i] * decay - stepSize * mi / ((float) Math.sqrt(vi) / sqrtC2 + eps);
            }
        });
    }
}
