package org.grpo4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter lives in the model's one flat allocation (llm.c's layout record), under its Hugging Face
 * name. Tensors that the kernels use together are adjacent, so they act as one fused matrix: a layer's
 * q/k/v projections form one {@code [qkvDim, d]} matrix (and their biases one vector), gate and up one
 * {@code [2F, d]} matrix. Gradients and AdamW moments use the same layout, so zeroing, the optimiser step, the
 * gradient norm and checkpointing are each one loop.
 */
public final class ParameterLayout {

    /** One named tensor: its HF name, shape, and place in the flat allocation. */
    public record Param(String name, int[] shape, long offset, long size, boolean weightDecay) {}

    /** Offsets of one decoder layer's tensors ({@code -1} when the architecture has none). */
    public record Layer(long inputNorm, long qkvWeight, long qkvBias, long qNorm, long kNorm, long oWeight,
                        long postNorm, long gateUpWeight, long downWeight) {}

    private final ModelConfig config;
    private final List<Param> params = new ArrayList<>();
    private final Map<String, Param> byName = new LinkedHashMap<>();
    private final Layer[] layers;
    private final long embedding, finalNorm, lmHead;
    private long size;

    public ParameterLayout(ModelConfig c) {
        this.config = c;
        int d = c.hiddenSize(), hd = c.headDim(), F = c.intermediateSize();
        // Matrices first, then every norm weight and bias: the two weight-decay groups are then two contiguous
        // runs, so an optimiser step is two kernel calls, whatever the depth of the model.
        int L = c.numLayers();
        long[] qkv = new long[L], o = new long[L], gu = new long[L], down = new long[L];
        long[] in = new long[L], bias = new long[L], qn = new long[L], kn = new long[L], post = new long[L];
        embedding = add("model.embed_tokens.weight", c.vocabSize(), d);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            qkv[l] = add(p + "self_attn.q_proj.weight", c.numHeads() * hd, d);
            add(p + "self_attn.k_proj.weight", c.numKvHeads() * hd, d);
            add(p + "self_attn.v_proj.weight", c.numKvHeads() * hd, d);
            o[l] = add(p + "self_attn.o_proj.weight", d, c.numHeads() * hd);
            gu[l] = add(p + "mlp.gate_proj.weight", F, d);
            add(p + "mlp.up_proj.weight", F, d);
            down[l] = add(p + "mlp.down_proj.weight", d, F);
        }
        lmHead = c.tieWordEmbeddings() ? embedding : add("lm_head.weight", c.vocabSize(), d);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            in[l] = add(p + "input_layernorm.weight", d);
            bias[l] = qn[l] = kn[l] = -1;
            if (c.attentionBias()) {
                bias[l] = add(p + "self_attn.q_proj.bias", c.numHeads() * hd);
                add(p + "self_attn.k_proj.bias", c.numKvHeads() * hd);
                add(p + "self_attn.v_proj.bias", c.numKvHeads() * hd);
            }
            if (c.qkNorm()) {
                qn[l] = add(p + "self_attn.q_norm.weight", hd);
                kn[l] = add(p + "self_attn.k_norm.weight", hd);
            }
            post[l] = add(p + "post_attention_layernorm.weight", d);
        }
        finalNorm = add("model.norm.weight", d);
        layers = new Layer[L];
        for (int l = 0; l < L; l++) layers[l] = new Layer(in[l], qkv[l], bias[l], qn[l], kn[l], o[l], post[l], gu[l], down[l]);
    }

    private long add(String name, int... shape) {
        long n = 1;
        for (int s : shape) n *= s;
        // HF's Trainer exempts biases and norm weights from weight decay
        boolean decay = !(name.endsWith(".bias") || name.contains("norm"));
        Param p = new Param(name, shape, size, n, decay);
        params.add(p);
        byName.put(name, p);
        long at = size;
        size += n;
        return at;
    }

    public ModelConfig config() {
        return config;
    }

    /** Total number of parameters (floats). */
    public long size() {
        return size;
    }

    public List<Param> params() {
        return Collections.unmodifiableList(params);
    }

    public Param param(String name) {
        return byName.get(name);
    }

    public Layer layer(int l) {
        return layers[l];
    }

    public long embedding() {
        return embedding;
    }

    public long finalNorm() {
        return finalNorm;
    }

    /** The output projection: the embedding table itself when tied. */
    public long lmHead() {
        return lmHead;
    }

    /** Maximal runs of adjacent parameters that share a weight-decay setting, as {offset, size, decay(0/1)}. */
    public List<long[]> decayGroups() {
        List<long[]> groups = new ArrayList<>();
        for (Param p : params) {
            long[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            int decay = p.weightDecay() ? 1 : 0;
            if (last != null && last[2] == decay && last[0] + last[1] == p.offset()) last[1] += p.size();
            else groups.add(new long[] {p.offset(), p.size(), decay});
        }
        return groups;
    }
}
