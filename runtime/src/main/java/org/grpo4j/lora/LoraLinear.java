package org.grpo4j.lora;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;

/**
 * The forward and backward of one LoRA adapter beside a frozen linear layer, written against the backend ops:
 * {@code out[:, col..col+outDim] += u · Bᵀ} with {@code u = scale · dropout(x) · Aᵀ}. The adapter's output lands in
 * a column block of the fused projection's output, so q/k/v (and gate/up) adapters share the fused product.
 * The dropout mask is a function of its seed, so the backward recomputes {@code dropout(x)} instead of keeping it.
 */
public final class LoraLinear {
    private LoraLinear() {}

    /** Scratch shared by every adapter of a model, sized for the largest module and batch. */
    public record Scratch(Tensor xd, Tensor t, Tensor du) {}

    /**
     * Forward: saves {@code u [N, r]} (already scaled) and adds the adapter's output into {@code out}.
     *
     * @param x      the layer's input {@code [N, in]}
     * @param out    the fused projection's output, rows of width {@code ldOut}
     * @param p      dropout probability (0 at inference)
     */
    public static void forward(Backend be, Tensor a, Tensor b, Tensor u, Tensor x, Tensor out, int ldOut, int col,
                               int N, int in, int outDim, int r, float scale, float p, long seed, Scratch s) {
        Tensor xd = x;
        if (p > 0) {
            xd = s.xd().slice(0, (long) N * in);
            be.dropout(xd, x, seed, p, N * in, false);
        }
        be.matmul(u, xd, a, null, N, r, in, false);
        be.scale(u, scale);
        Tensor t = s.t().slice(0, (long) N * outDim);
        be.matmul(t, u, b, null, N, outDim, r, false);
        be.addColumns(out, ldOut, col, t, N, outDim, 1f);
    }

    /**
     * Backward: accumulates {@code dA}, {@code dB} and {@code dX} (the input gradient, which the frozen layer's own
     * backward has already written) from {@code dOut}, the fused output's gradient.
     */
    public static void backward(Backend be, Tensor a, Tensor b, Tensor dA, Tensor dB, Tensor u, Tensor x, Tensor dX,
                                Tensor dOut, int ldOut, int col, int N, int in, int outDim, int r, float scale, float p, long seed, Scratch s) {
        Tensor dt = s.t().slice(0, (long) N * outDim), du = s.du().slice(0, (long) N * r);
        be.copyColumns(dt, dOut, ldOut, col, N, outDim);
        be.matmulBackwardWeight(dB, dt, u, N, outDim, r);
        be.matmulBackwardInput(du, dt, b, N, outDim, r, false);
        be.scale(du, scale);
        Tensor xd = x;
        if (p > 0) {
            xd = s.xd().slice(0, (long) N * in);
            be.dropout(xd, x, seed, p, N * in, false);
        }
        be.matmulBackwardWeight(dA, du, xd, N, r, in);
        if (p > 0) {
            // d x = mask ⊙ (du · A) / (1 − p): the same mask, applied to the gradient
            be.matmulBackwardInput(xd, du, a, N, r, in, false);
            be.dropout(dX, xd, seed, p, N * in, true);
        } else {
            be.matmulBackwardInput(dX, du, a, N, r, in, true);
        }
    }
}
