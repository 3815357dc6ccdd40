package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The SwiGLU MLP activation on fused gate/up rows: {@code out = silu(gate) · up}, vectorised with {@link VectorMath#exp}.
 * silu is {@code g / (1 + e^−g)} in both directions, so the backward's recomputed output is the forward's, bit for bit.
 */
final class SwiGlu {
    // static final, not locals the loop lambdas capture: a captured species is no constant to C2 (see RmsNorm)
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    private SwiGlu() {}

    static void forward(float[] out, int oo, float[] gu, int go, int rows, int F) {
        Parallel.forRange(rows, Parallel.grain(8L * F), (from, to) -> {
            for (int r = from; r < to; r++) {
                int g = go + r * 2 * F, o = oo + r * F, j = 0;
                for (int upper = S.loopBound(F); j < upper; j += W) {
                    FloatVector x = FloatVector.fromArray(S, gu, g + j), u = FloatVector.fromArray(S, gu, g + F + j);
                    x.div(VectorMath.exp(x.neg()).add(1f)).mul(u).intoArray(out, o + j);
                }
                for (; j < F; j++) {
                    float x = gu[g + j];
                    out[o + j] = x / (1f + VectorMath.exp(-x)) * gu[g + F + j];
                }
            }
        });
    }

    /**
     * d gate = dout·up·σ(g)·(1 + g·(1−σ(g))), d up = dout·silu(g); also writes the forward's output into {@code out}
     * (its exponentials are the backward's, and the down projection's weight gradient reads it), so a backward that
     * kept no output reads the gate/up rows once instead of twice.
     */
    static void backward(float[] dgu, int dgo, float[] out, int oo, float[] dOut, int doo, float[] gu, int go, int rows, int F) {
        Parallel.forRange(rows, Parallel.grain(10L * F), (from, to) -> {
            FloatVector one = FloatVector.broadcast(S, 1f);
            for (int r = from; r < to; r++) {
                int g = go + r * 2 * F, dg = dgo + r * 2 * F, o = doo + r * F, a = oo + r * F, j = 0;
                for (int upper = S.loopBound(F); j < upper; j += W) {
                    FloatVector x = FloatVector.fromArray(S, gu, g + j), u = FloatVector.fromArray(S, gu, g + F + j);
                    FloatVector d = FloatVector.fromArray(S, dOut, o + j);
                    FloatVector den = VectorMath.exp(x.neg()).add(1f), sig = one.div(den), silu = x.div(den);
                    silu.mul(u).intoArray(out, a + j);
                    d.mul(u).mul(sig).mul(x.mul(one.sub(sig)).add(1f)).intoArray(dgu, dg + j);
                    d.mul(silu).intoArray(dgu, dg + F + j);
                }
                for (; j < F; j++) {
                    float x = gu[g + j], u = gu[g + F + j], d = dOut[o + j];
                    float den = 1f + VectorMath.exp(-x), sig = 1f / den, silu = x / den;
                    out[a + j] = silu * u;
                    dgu[dg + j] = d * u * sig * (1f + x * (1f - sig));
                    dgu[dg + F + j] = d * silu;
                }
            }
        });
    }
}
