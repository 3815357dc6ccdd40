package org.grpo4j.backend.cpu;

/** The SwiGLU MLP activation on fused gate/up rows: {@code out = silu(gate) · up}. */
final class SwiGlu {
    private SwiGlu() {}

    static void forward(float[] out, int oo, float[] gu, int go, int rows, int F) {
        Parallel.forRange(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                int g = go + r * 2 * F, o = oo + r * F;
                for (int j = 0; j < F; j++) {
                    float x = gu[g + j];
                    out[o + j] = x / (1f + (float) Math.exp(-x)) * gu[g + F + j];
                }
            }
        });
    }

    /** d gate = dout·up·σ(g)·(1 + g·(1−σ(g))), d up = dout·silu(g). */
    static void backward(float[] dgu, int dgo, float[] dOut, int doo, float[] gu, int go, int rows, int F) {
        Parallel.forRange(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                int g = go + r * 2 * F, dg = dgo + r * 2 * F, o = doo + r * F;
                for (int j = 0; j < F; j++) {
                    float x = gu[g + j], u = gu[g + F + j], d = dOut[o + j];
                    float sig = 1f / (1f + (float) Math.exp(-x));
                    dgu[dg + j] = d * u * sig * (1f + x * (1f - sig));
                    dgu[dg + F + j] = d * x * sig;
                }
            }
        });
    }
}
