package org.grpo4j.model;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraModule;

/**
 * One projection of the decoder, {@code y (+)= x · Wᵀ (+ b)} with {@code W} of HF layout {@code [out, in]}: the only
 * place the forward, the backward and generation apply a weight. The weight may be a frozen packed tensor (bf16,
 * int8, NF4: the backend widens it inside the product) and LoRA adapters may sit beside it ({@code + scale·x·Aᵀ·Bᵀ}
 * into this projection's output columns); a frozen weight gets no gradient.
 */
public final class Linear {
    private final String name;
    private final int out, in;
    private final long weightOffset, biasOffset;
    private final Tensor weight, bias;
    private Tensor dWeight, dBias;
    /** The backend's decode-time copy of the weight ({@link Backend#decodeLayout}), or null; read only by {@link #decode}. */
    private Tensor decodeCopy;
    /**
     * The backend's copy of the weight for a model whose weights stay fixed ({@link Backend#fixedLayout}; the gate/up
     * projection's laid out for {@link Backend#matmulSwiglu}), or null: the products pack the weight themselves.
     */
    private Tensor fixedCopy;
    private boolean fixedGateUp;
    private LoraAdapters lora;
    private int layer;
    private LoraModule.Group group;

    /** {@code biasOffset < 0}: no bias. Offsets index the model's parameter block (and, the same, its gradient block). */
    Linear(String name, Tensor params, long weightOffset, long biasOffset, int out, int in) {
        this(name, params.slice(weightOffset, (long) out * in), biasOffset < 0 ? null : params.slice(biasOffset, out), weightOffset, biasOffset, out, in);
    }

    /** A projection over given weight and bias tensors (a packed frozen weight, or views of the parameter block). */
    Linear(String name, Tensor weight, Tensor bias, long weightOffset, long biasOffset, int out, int in) {
        this.name = name;
        this.out = out;
        this.in = in;
        this.weightOffset = weightOffset;
        this.biasOffset = biasOffset;
        this.weight = weight;
        this.bias = bias;
    }

    /** Frozen from now on: no gradient views (a model that trained fully and then gets adapters). */
    void unbindGradients() {
        dWeight = null;
        dBias = null;
    }

    /** Puts layer {@code layer}'s adapters of fused projection {@code group} beside this weight. */
    void adapt(LoraAdapters adapters, int layer, LoraModule.Group group) {
        this.lora = adapters;
        this.layer = layer;
        this.group = group;
    }

    /** Binds the gradient views (the gradient block is allocated on first need). */
    void bindGradients(Tensor grads) {
        dWeight = grads.slice(weightOffset, (long) out * in);
        dBias = biasOffset < 0 ? null : grads.slice(biasOffset, out);
    }

    /** LoRA adapters sit beside this weight (their backward reads the input to add their part of {@code dx}). */
    boolean adapted() {
        return lora != null;
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

    /**
     * {@code y[rows, out] (+)= x[rows, in] · Wᵀ (+ b)} plus the adapters' output; {@code saveForBackward} keeps what
     * their backward needs (training forwards; generation passes false).
     */
    void forward(Backend b, Tensor y, Tensor x, int rows, boolean accumulate, boolean saveForBackward) {
        if (fixedCopy != null && !fixedGateUp) b.matmulFixed(y, x, weight, fixedCopy, bias, rows, out, in, accumulate);
        else b.matmul(y, x, weight, bias, rows, out, in, accumulate);
        if (lora != null) lora.forward(layer, group, x, y, rows, saveForBackward);
    }

    /**
     * The fused gate/up projection and SwiGLU where nothing keeps the gate/up rows (a scoring pass): {@code act[rows, F]}
     * from {@code x}, {@code gateUp} scratch. The backend may apply SwiGLU inside the product; with a bias or adapters
     * this is {@link #forward} into {@code gateUp}, then {@link Backend#swiglu}.
     */
    void forwardSwiglu(Backend b, Tensor act, Tensor gateUp, Tensor x, int rows, int F, boolean saveForBackward) {
        if (lora != null || bias != null) {
            forward(b, gateUp, x, rows, false, saveForBackward);
            b.swiglu(act, gateUp, rows, F);
            return;
        }
        b.matmulSwiglu(act, gateUp, x, weight, fixedGateUp ? fixedCopy : null, rows, F, in);
    }

    /** Bytes of this weight's fixed copy ({@code gateUp}: the fused gate/up projection's), 0 where the backend keeps none. */
    long fixedCopyBytes(Backend b, boolean gateUp) {
        return b.fixedLayoutBytes(weight, out, in, gateUp);
    }

    /** (Re)builds the fixed copy from the current weight, reusing the previous copy's memory; {@code keep == false} drops it. */
    void layOutFixed(Backend b, boolean gateUp, boolean keep) {
        fixedCopy = keep ? b.fixedLayout(weight, out, in, gateUp, fixedGateUp == gateUp ? fixedCopy : null) : null;
        fixedGateUp = gateUp;
    }

    /** Reads {@code other}'s fixed copy (a replica's projection, over the same weight). */
    void shareFixed(Linear other) {
        fixedCopy = other.fixedCopy;
        fixedGateUp = other.fixedGateUp;
    }

    /**
     * {@link #forward} in a decode step (nothing saved); {@code useCopy}: read the weight from the decode-time copy
     * built by the last {@link #buildDecodeCopy}, which the caller guarantees is of the current weights.
     */
    void decode(Backend b, Tensor y, Tensor x, int rows, boolean accumulate, boolean useCopy) {
        b.matmulDecode(y, x, weight, useCopy ? decodeCopy : null, bias, rows, out, in, accumulate);
        if (lora != null) lora.forward(layer, group, x, y, rows, false);
    }

    /** Bytes of this weight's decode-time copy (0: the backend has none for it, e.g. a packed frozen weight). */
    long decodeCopyBytes(Backend b) {
        return b.decodeLayoutBytes(weight, out, in);
    }

    /** Whether a decode-time copy of the weight exists (built once, then rebuilt in place). */
    boolean hasDecodeCopy() {
        return decodeCopy != null;
    }

    /** (Re)builds the decode-time copy from the current weight, reusing the previous copy's memory. */
    void buildDecodeCopy(Backend b) {
        decodeCopy = b.decodeLayout(weight, out, in, decodeCopy);
    }

    /**
     * The whole backward of this projection: the weight's gradient (unless frozen), {@code dx = dy · W} (overwritten)
     * and the adapters' gradients, which add their part to {@code dx}.
     */
    void backward(Backend b, Tensor dx, Tensor dy, Tensor x, int rows) {
        if (dWeight != null) backwardWeight(b, dy, x, rows);
        backwardInput(b, dx, dy, rows, false);
        if (lora != null) lora.backward(layer, group, x, dx, dy, rows);
    }

    /** {@code dx[rows, in] (+)= dy[rows, out] · W}. */
    void backwardInput(Backend b, Tensor dx, Tensor dy, int rows, boolean accumulate) {
        b.matmulBackwardInput(dx, dy, weight, rows, out, in, accumulate);
    }

    /** Accumulates {@code dW += dyᵀ · x} and {@code db += Σ_rows dy}; nothing for a frozen weight. */
    void backwardWeight(Backend b, Tensor dy, Tensor x, int rows) {
        if (dWeight == null) return;
        if (bias != null) b.biasBackward(dBias, dy, rows, out);
        b.matmulBackwardWeight(dWeight, dy, x, rows, out, in);
    }
}
