package org.grpo4j.model;

/** The decoder families the engine runs, by their Hugging Face {@code architectures} name. */
public enum Architecture {
    /** Llama 2/3, SmolLM2: no biases, RMSNorm, rotate-half RoPE, GQA, SwiGLU. */
    LLAMA("LlamaForCausalLM", false, false),
    /** Qwen2 / Qwen2.5: as Llama plus biases on the q/k/v projections. */
    QWEN2("Qwen2ForCausalLM", true, false),
    /** Qwen3: as Llama plus RMSNorm on each q and k head before RoPE. */
    QWEN3("Qwen3ForCausalLM", false, true);

    public final String hfName;
    final boolean defaultQkvBias;
    public final boolean qkNorm;

    Architecture(String hfName, boolean defaultQkvBias, boolean qkNorm) {
        this.hfName = hfName;
        this.defaultQkvBias = defaultQkvBias;
        this.qkNorm = qkNorm;
    }

    static Architecture of(String hfName) {
        for (Architecture a : values()) if (a.hfName.equals(hfName)) return a;
        return null;
    }

    static String supported() {
        StringBuilder sb = new StringBuilder();
        for (Architecture a : values()) sb.append(sb.isEmpty() ? "" : ", ").append(a.hfName);
        return sb.toString();
    }
}
