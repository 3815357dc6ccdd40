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
        this.at = at;
        d = c.hiddenSize();
        hd = c.headDim();
        int F = c.intermediateSize(), a = c.numHeads() * hd;
        String p = "model.layers." + index + ".";
        inputNorm = params.slice(at.inputNorm(), d);
        postNorm = params.slice(at.postNorm(), d);
        qNorm = at.qNorm() < 0 ? null : params.slice(at.qNorm(), hd);
        kNorm = at.kNorm() < 0 ? null : params.slice(at.kNorm(), hd);
        qkv = new Linear(p + "self_attn.qkv", params, at.qkvWeight(), at.qkvBias(), c.qkvDim(), d);
        o = new Linear(p + "self_attn.o_proj", params, at.oWeight(), -1, d, a);
        gateUp = new Linear(p + "mlp.gate_up", params, at.gateUpWeight(), -1, 2 * F, d);
        down = new Linear(p + "mlp.down_proj", params, at.downWeight(), -1, d, F);
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
