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

    /** Rows per partial weight gradient: a fixed count, so the sums do not depend on the number of threads. */
    private static final int BLOCK = 32;

    /**
     * dx = rstd · (dxhat − xhat · mean(dxhat · xhat)) with xhat = x·rstd and dxhat = dout·w; accumulated into dIn.
     * One pass over the rows: each block of {@link #BLOCK} rows sums its part of the weight gradient while the rows
     * are in L1 (into the caller's scratch, one row of partial sums a block), then the blocks' parts are added to dW
     * in block order — deterministic for any thread count. The second pass over all rows this replaces re-read
     * dout and x from L3 (bench-s 3,072 × 128: h14q in docs/benchmarks.md).
     */
    static void backward(float[] dIn, int dio, float[] dW, int dwo, float[] dOut, int doo, float[] in, int io,
                         float[] w, int wo, float[] rstd, int ro, int rows, int dim) {
        int blocks = (rows + BLOCK - 1) / BLOCK;
        float[] part = Scratch.floats(0, blocks * dim);
        Parallel.forRange(blocks, Parallel.grain(2L * dim * BLOCK), (from, to) -> {
            for (int b = from; b < to; b++) backwardBlock(dIn, dio, part, b * dim, dOut, doo, in, io, w, wo, rstd, ro,
                    b * BLOCK, Math.min(rows, (b + 1) * BLOCK), dim);
        });
        int upper = S.loopBound(dim), j = 0;
        for (; j < upper; j += W) {
            FloatVector acc = FloatVector.fromArray(S, dW, dwo + j);
            for (int b = 0; b < blocks; b++) acc = acc.add(FloatVector.fromArray(S, part, b * dim + j));
            acc.intoArray(dW, dwo + j);
        }
        for (; j < dim; j++) {
            float acc = dW[dwo + j];
            for (int b = 0; b < blocks; b++) acc += part[b * dim + j];
            dW[dwo + j] = acc;
        }
    }

    // explicit vectors: C2 leaves the dot product's float reduction scalar (bench-s 3072 × 128, 1 thread, 1.07 →
    // 0.50–0.57 ms, docs/benchmarks.md); the weight gradient's part of the block starts from its first row's terms
    private static void backwardBlock(float[] dIn, int dio, float[] part, int po, float[] dOut, int doo, float[] in, int io,
                                      float[] w, int wo, float[] rstd, int ro, int r0, int r1, int dim) {
        int upper = S.loopBound(dim);
        for (int r = r0; r < r1; r++) {
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
            boolean first = r == r0;
            for (j = 0; j < upper; j += W) {
                FloatVector dy = FloatVector.fromArray(S, dOut, d + j), xv = FloatVector.fromArray(S, in, x + j);
                FloatVector t = dy.mul(FloatVector.fromArray(S, w, wo + j)).sub(xv.mul(vc));
                FloatVector.fromArray(S, dIn, g + j).add(vs.mul(t)).intoArray(dIn, g + j);
                FloatVector dw = dy.mul(xv).mul(vs);
                (first ? dw : FloatVector.fromArray(S, part, po + j).add(dw)).intoArray(part, po + j);
            }
            for (; j < dim; j++) {
                dIn[g + j] += s * (dOut[d + j] * w[wo + j] - in[x + j] * c);
                float dw = dOut[d + j] * in[x + j] * s;
                part[po + j] = first ? dw : part[po + j] + dw;
            }
        }
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
