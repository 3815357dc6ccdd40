package org.grpo4j.model;

import org.grpo4j.backend.Tensor;

/**
 * Views of one decoder layer's parameters (and, once bound, of their gradients), made once per model: the two
 * RMSNorm weights, Qwen3's per-head q/k norms ({@code null} for other architectures) and the four projections.
 */
final class LayerWeights {
    final Tensor inputNorm, postNorm, qNorm, kNorm;
    Tensor dInputNorm, dPostNorm, dqNorm, dkNorm;
    final Linear qkv, o, gateUp, down;
    private final ParameterLayout.Layer at;
    private final int d, hd;

    LayerWeights(ModelConfig c, ParameterLayout.Layer at, Tensor params, int index) {
        this(c, at, params, null, index);
    }

    /** With a {@link FrozenBase}, the projections are its packed matrices and {@code params} is its fp32 block of norms and biases. */
    LayerWeights(ModelConfig c, ParameterLayout.Layer at, Tensor params, FrozenBase base, int index) {
        this.at = at;
        d = c.hiddenSize();
        hd = c.headDim();
        int F = c.intermediateSize(), a = c.numHeads() * hd;
        String p = "model.layers." + index + ".";
        long shift = base == null ? 0 : base.smallStart;
        inputNorm = params.slice(at.inputNorm() - shift, d);
        postNorm = params.slice(at.postNorm() - shift, d);
        qNorm = at.qNorm() < 0 ? null : params.slice(at.qNorm() - shift, hd);
        kNorm = at.kNorm() < 0 ? null : params.slice(at.kNorm() - shift, hd);
        if (base == null) {
            qkv = new Linear(p + "self_attn.qkv", params, at.qkvWeight(), at.qkvBias(), c.qkvDim(), d);
            o = new Linear(p + "self_attn.o_proj", params, at.oWeight(), -1, d, a);
            gateUp = new Linear(p + "mlp.gate_up", params, at.gateUpWeight(), -1, 2 * F, d);
            down = new Linear(p + "mlp.down_proj", params, at.downWeight(), -1, d, F);
        } else {
            Tensor bias = at.qkvBias() < 0 ? null : params.slice(at.qkvBias() - shift, c.qkvDim());
            qkv = new Linear(p + "self_attn.qkv", base.qkv[index], bias, at.qkvWeight(), at.qkvBias(), c.qkvDim(), d);
            o = new Linear(p + "self_attn.o_proj", base.o[index], null, at.oWeight(), -1, d, a);
            gateUp = new Linear(p + "mlp.gate_up", base.gateUp[index], null, at.gateUpWeight(), -1, 2 * F, d);
            down = new Linear(p + "mlp.down_proj", base.down[index], null, at.downWeight(), -1, d, F);
        }
    }

    /** A frozen layer: the norm gradients, which the backward must write somewhere, go to a discarded {@code sink}. */
    void bindSink(Tensor sink) {
        dInputNorm = sink.slice(0, d);
        dPostNorm = sink.slice(0, d);
        dqNorm = at.qNorm() < 0 ? null : sink.slice(0, hd);
        dkNorm = at.kNorm() < 0 ? null : sink.slice(0, hd);
    }

    void adapt(org.grpo4j.lora.LoraAdapters lora, int index) {
        qkv.adapt(lora, index, org.grpo4j.lora.LoraModule.Group.QKV);
        o.adapt(lora, index, org.grpo4j.lora.LoraModule.Group.O);
        gateUp.adapt(lora, index, org.grpo4j.lora.LoraModule.Group.GATE_UP);
        down.adapt(lora, index, org.grpo4j.lora.LoraModule.Group.DOWN);
    }

    void bindGradients(Tensor grads) {
        dInputNorm = grads.slice(at.inputNorm(), d);
        dPostNorm = grads.slice(at.postNorm(), d);
        dqNorm = at.qNorm() < 0 ? null : grads.slice(at.qNorm(), hd);
        dkNorm = at.kNorm() < 0 ? null : grads.slice(at.kNorm(), hd);
        qkv.bindGradients(grads);
        o.bindGradients(grads);
        gateUp.bindGradients(grads);
        down.bindGradients(grads);
    }
}
