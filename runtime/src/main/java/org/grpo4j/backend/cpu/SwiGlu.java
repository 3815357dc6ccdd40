package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/** The SwiGLU MLP activation on fused gate/up rows: {@code out = silu(gate) · up}, vectorised with {@link VectorMath#exp}. */
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

    /** d gate = dout·up·σ(g)·(1 + g·(1−σ(g))), d up = dout·silu(g). */
    static void backward(float[] dgu, int dgo, float[] dOut, int doo, float[] gu, int go, int rows, int F) {
        Parallel.forRange(rows, Parallel.grain(8L * F), (from, to) -> {
            FloatVector one = FloatVector.broadcast(S, 1f);
            for (int r = from; r < to; r++) {
                int g = go + r * 2 * F, dg = dgo + r * 2 * F, o = doo + r * F, j = 0;
                for (int upper = S.loopBound(F); j < upper; j += W) {
                    FloatVector x = FloatVector.fromArray(S, gu, g + j), u = FloatVector.fromArray(S, gu, g + F + j);
                    FloatVector d = FloatVector.fromArray(S, dOut, o + j);
                    FloatVector sig = one.div(VectorMath.exp(x.neg()).add(1f));
                    d.mul(u).mul(sig).mul(x.mul(sig.neg().add(1f)).add(1f)).intoArray(dgu, dg + j);
                    d.mul(x).mul(sig).intoArray(dgu, dg + F + j);
                }
                for (; j < F; j++) {
                    float x = gu[g + j], u = gu[g + F + j], d = dOut[o + j];
                    float sig = 1f / (1f + VectorMath.exp(-x));
                    dgu[dg + j] = d * u * sig * (1f + x * (1f - sig));
                    dgu[dg + F + j] = d * x * sig;
                }
            }
        });
    }
}
