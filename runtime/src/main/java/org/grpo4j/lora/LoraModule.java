package org.grpo4j.lora;

import org.grpo4j.model.ModelConfig;

/**
 * The linear layers of a decoder layer that LoRA can adapt, under PEFT's names. The engine fuses q/k/v into one
 * projection and gate/up into another, so each module also knows its fused group and its column offset in it.
 */
public enum LoraModule {
    Q("q_proj", "self_attn.q_proj", Group.QKV), K("k_proj", "self_attn.k_proj", Group.QKV), V("v_proj", "self_attn.v_proj", Group.QKV),
    O("o_proj", "self_attn.o_proj", Group.O),
    GATE("gate_proj", "mlp.gate_proj", Group.GATE_UP), UP("up_proj", "mlp.up_proj", Group.GATE_UP),
    DOWN("down_proj", "mlp.down_proj", Group.DOWN);

    /** A fused projection of the engine (one weight matrix, one product). */
    public enum Group { QKV, O, GATE_UP, DOWN }

    public final String peftName, path;
    public final Group group;

    LoraModule(String peftName, String path, Group group) {
        this.peftName = peftName;
        this.path = path;
        this.group = group;
    }

    public static LoraModule byName(String name) {
        for (LoraModule m : values()) if (m.peftName.equals(name) || m.path.equals(name)) return m;
        StringBuilder known = new StringBuilder();
        for (LoraModule m : values()) known.append(known.isEmpty() ? "" : ", ").append(m.peftName);
        throw new IllegalArgumentException("unknown LoRA target module '" + name + "' (known: " + known + ", or all-linear)");
    }

    public int in(ModelConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP -> c.hiddenSize();
            case O -> c.numHeads() * c.headDim();
            case DOWN -> c.intermediateSize();
        };
    }

    public int out(ModelConfig c) {
        return switch (this) {
            case Q -> c.numHeads() * c.headDim();
            case K, V -> c.numKvHeads() * c.headDim();
            case O, DOWN -> c.hiddenSize();
            case GATE, UP -> c.intermediateSize();
        };
    }

    /** First column of this module's output inside its fused group's output rows. */
    public int column(ModelConfig c) {
        return switch (this) {
            case Q, O, GATE, DOWN -> 0;
            case K -> c.numHeads() * c.headDim();
            case V -> (c.numHeads() + c.numKvHeads()) * c.headDim();
            case UP -> c.intermediateSize();
        };
    }

    /** Width of the fused group's output rows. */
    public static int groupWidth(Group g, ModelConfig c) {
        return switch (g) {
            case QKV -> c.qkvDim();
            case O, DOWN -> c.hiddenSize();
            case GATE_UP -> 2 * c.intermediateSize();
        };
    }
}
