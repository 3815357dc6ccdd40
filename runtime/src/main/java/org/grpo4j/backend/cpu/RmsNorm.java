package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/** RMSNorm forward and backward on packed rows (and Qwen3's per-head variant on fused QKV rows). */
final class RmsNorm {
    // static final, not a local the lambdas capture: a captured species is no constant to C2, and the Vector API's
    // zero/broadcast then run their Java fallback (allocating) instead of an instruction
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    private RmsNorm() {}

    static void forward(float[] out, int oo, float[] rstd, int ro, float[] in, int io, float[] w, int wo, int rows, int dim, float eps) {
        forward(out, oo, rstd, ro, null, 0, in, io, w, wo, rows, dim, eps);
    }

    /** The same, copying each input row into {@code copy} (if not null) while it is in L1. */
    static void forward(float[] out, int oo, float[] rstd, int ro, float[] copy, int co, float[] in, int io, float[] w, int wo, int rows, int dim, float eps) {
        Parallel.forRange(rows, Parallel.grain(2L * dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = io + r * dim;
                float s = 1f / (float) Math.sqrt(VectorMath.sumSquares(in, x, dim) / dim + eps);
                rstd[ro + r] = s;
                VectorMath.scaleMul(out, oo + r * dim, in, x, s, w, wo, dim);
                if (copy != null) System.arraycopy(in, x, copy, co + r * dim, dim);
            }
        });
    }

    /**
     * dx = rstd · (dxhat − xhat · mean(dxhat · xhat)) with xhat = x·rstd and dxhat = dout·w; accumulated into dIn.
     * The weight gradient is summed over rows per column range in a second pass, so threads never share a sum.
     */
    static void backward(float[] dIn, int dio, float[] dW, int dwo, float[] dOut, int doo, float[] in, int io,
                         float[] w, int wo, float[] rstd, int ro, int rows, int dim) {
        int upper = S.loopBound(dim);
        // explicit vectors: C2 leaves the dot product's float reduction scalar and cannot vectorise the column pass
        // (it cannot rule out that dW and dOut are one array): bench-s 3072 × 128, 1 thread, 1.07 → 0.50–0.57 ms (docs/benchmarks.md)
        Parallel.forRange(rows, Parallel.grain(2L * dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = io + r * dim, d = doo + r * dim, g = dio + r * dim, j = 0;
                float s = rstd[ro + r];
                // mean(dxhat·xhat) = s/dim · Σ dout·w·x
                FloatVector acc = FloatVector.zero(S);
                for (; j < upper; j += W)
                    acc = FloatVector.fromArray(S, dOut, d + j).mul(FloatVector.fromArray(S, w, wo + j)).fma(FloatVector.fromArray(S, in, x + j), acc);
                float dot = VectorMath.sum(acc);
                for (; j < dim; j++) dot += dOut[d + j] * w[wo + j] * in[x + j];
                float c = dot * s * s / dim;
                FloatVector vs = FloatVector.broadcast(S, s), vc = FloatVector.broadcast(S, c);
                for (j = 0; j < upper; j += W) {
                    FloatVector t = FloatVector.fromArray(S, dOut, d + j).mul(FloatVector.fromArray(S, w, wo + j))
                            .sub(FloatVector.fromArray(S, in, x + j).mul(vc));
                    FloatVector.fromArray(S, dIn, g + j).add(vs.mul(t)).intoArray(dIn, g + j);
                }
                for (; j < dim; j++) dIn[g + j] += s * (dOut[d + j] * w[wo + j] - in[x + j] * c);
            }
        });
        // the weight gradient, column blocks in registers over all rows (rows in order: the scalar loop's sums, bit for bit)
        Parallel.forRange(dim, Parallel.grain(2L * rows), (from, to) -> {
            int j = from;
            for (; j + W <= to; j += W) {
                FloatVector acc = FloatVector.fromArray(S, dW, dwo + j);
                for (int r = 0; r < rows; r++)
                    acc = acc.add(FloatVector.fromArray(S, dOut, doo + r * dim + j).mul(FloatVector.fromArray(S, in, io + r * dim + j)).mul(rstd[ro + r]));
                acc.intoArray(dW, dwo + j);
            }
            for (; j < to; j++) {
                float acc = dW[dwo + j];
                for (int r = 0; r < rows; r++) acc += dOut[doo + r * dim + j] * in[io + r * dim + j] * rstd[ro + r];
                dW[dwo + j] = acc;
            }
        });
    }

    /** Per-head RMSNorm of the q and k parts of fused QKV rows; v is copied unchanged. */
    static void qkForward(float[] out, int oo, float[] rstd, int ro, float[] qkv, int io, float[] qw, int qwo, float[] kw, int kwo,
                          int rows, int heads, int kvHeads, int hd, float eps) {
        int width = (heads + 2 * kvHeads) * hd, normed = heads + kvHeads;
        Parallel.forRange(rows, Parallel.grain(2L * width), (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int h = 0; h < normed; h++) {
                    int x = io + r * width + h * hd;
                    float s = 1f / (float) Math.sqrt(VectorMath.sumSquares(qkv, x, hd) / hd + eps);
                    rstd[ro + r * normed + h] = s;
                    if (h < heads) VectorMath.scaleMul(out, oo + r * width + h * hd, qkv, x, s, qw, qwo, hd);
                    else VectorMath.scaleMul(out, oo + r * width + h * hd, qkv, x, s, kw, kwo, hd);
                }
                int v = normed * hd;
                System.arraycopy(qkv, io + r * width + v, out, oo + r * width + v, kvHeads * hd);
            }
        });
    }

    static void qkBackward(float[] dQkv, int dqo, float[] dqw, int dqwo, float[] dkw, int dkwo, float[] dOut, int doo,
                           float[] qkv, int io, float[] qw, int qwo, float[] kw, int kwo, float[] rstd, int ro,
                           int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, normed = heads + kvHeads;
        Parallel.forRange(rows, Parallel.grain(2L * width), (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int h = 0; h < normed; h++) {
                    int off = r * width + h * hd;
                    float[] w = h < heads ? qw : kw;
                    int wo = h < heads ? qwo : kwo;
                    float s = rstd[ro + r * normed + h];
                    float dot = 0f;
                    for (int j = 0; j < hd; j++) dot += dOut[doo + off + j] * w[wo + j] * qkv[io + off + j];
                    float c = dot * s * s / hd;
                    for (int j = 0; j < hd; j++)
                        dQkv[dqo + off + j] = s * (dOut[doo + off + j] * w[wo + j] - qkv[io + off + j] * c);
                }
                int v = normed * hd;
                System.arraycopy(dOut, doo + r * width + v, dQkv, dqo + r * width + v, kvHeads * hd);
            }
        });
        // weight gradients: one thread per weight vector, rows in order, so sums are deterministic
        Parallel.forRange(2, Parallel.grain((long) rows * heads * hd), (from, to) -> {
            for (int which = from; which < to; which++) {
                float[] dw = which == 0 ? dqw : dkw;
                int dwo = which == 0 ? dqwo : dkwo;
                int h0 = which == 0 ? 0 : heads, h1 = which == 0 ? heads : normed;
                for (int r = 0; r < rows; r++)
                    for (int h = h0; h < h1; h++) {
                        int off = r * width + h * hd;
                        float s = rstd[ro + r * normed + h];
                        for (int j = 0; j < hd; j++) dw[dwo + j] += dOut[doo + off + j] * qkv[io + off + j] * s;
                    }
            }
        });
    }
}
