package org.grpo4j.model;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;

/**
 * One projection of the decoder, {@code y (+)= x · Wᵀ (+ b)} with {@code W} of HF layout {@code [out, in]}: the only
 * place the forward, the backward and generation apply a weight. A new weight format (bf16, NF4) or an adapter
 * (LoRA's {@code + x·Aᵀ·Bᵀ}) changes this class and nothing else in the layer body.
 */
public final class Linear {
    private final String name;
    private final int out, in;
    private final long weightOffset, biasOffset;
    private final Tensor weight, bias;
    private Tensor dWeight, dBias;

    /** {@code biasOffset < 0}: no bias. Offsets index the model's parameter block (and, the same, its gradient block). */
    Linear(String name, Tensor params, long weightOffset, long biasOffset, int out, int in) {
        this.name = name;
        this.out = out;
        this.in = in;
        this.weightOffset = weightOffset;
        this.biasOffset = biasOffset;
        this.weight = params.slice(weightOffset, (long) out * in);
        this.bias = biasOffset < 0 ? null : params.slice(biasOffset, out);
    }

    /** Binds the gradient views (the gradient block is allocated on first need). */
    void bindGradients(Tensor grads) {
        dWeight = grads.slice(weightOffset, (long) out * in);
        dBias = biasOffset < 0 ? null : grads.slice(biasOffset, out);
    }

    public String name() {
        return name;
    }

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
    }

    /** {@code y[rows, out] (+)= x[rows, in] · Wᵀ (+ b)}. */
    void forward(Backend b, Tensor y, Tensor x, int rows, boolean accumulate) {
        b.matmul(y, x, weight, bias, rows, out, in, accumulate);
    }

    /** {@code dx[rows, in] (+)= dy[rows, out] · W}. */
    void backwardInput(Backend b, Tensor dx, Tensor dy, int rows, boolean accumulate) {
        b.matmulBackwardInput(dx, dy, weight, rows, out, in, accumulate);
    }

    /** Accumulates {@code dW += dyᵀ · x} and {@code db += Σ_rows dy}. */
    void backwardWeight(Backend b, Tensor dy, Tensor x, int rows) {
        if (bias != null) b.biasBackward(dBias, dy, rows, out);
        b.matmulBackwardWeight(dWeight, dy, x, rows, out, in);
    }
}
