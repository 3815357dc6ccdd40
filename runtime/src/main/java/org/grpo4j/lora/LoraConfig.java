package org.grpo4j.lora;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A LoRA configuration with PEFT's semantics: each targeted linear layer {@code y = W x} becomes
 * {@code y = W x + scale · B A dropout(x)} with {@code A [r, in]} (Kaiming-uniform), {@code B [out, r]} (zero,
 * so step 0 is the base model) and {@code scale = lora_alpha / r}, or {@code lora_alpha / √r} with
 * {@code use_rslora}. {@code target_modules} takes PEFT's module names or {@code all-linear} (every linear
 * layer but the output head, as PEFT).
 */
public record LoraConfig(int r, double alpha, double dropout, Set<LoraModule> targets, boolean useRslora) {

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("lora_r must be >= 1, got " + r);
        if (!(alpha > 0)) throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        if (targets.isEmpty()) throw new IllegalArgumentException("lora_target_modules is empty");
        targets = Set.copyOf(EnumSet.copyOf(targets));
    }

    /** r and alpha with PEFT's other defaults for a GRPO run: no dropout, every linear layer. */
    public static LoraConfig of(int r, double alpha) {
        return new LoraConfig(r, alpha, 0.0, EnumSet.allOf(LoraModule.class), false);
    }

    /** The multiplier of {@code B A x}. */
    public float scale() {
        return (float) (useRslora ? alpha / Math.sqrt(r) : alpha / r);
    }

    public boolean targets(LoraModule m) {
        return targets.contains(m);
    }

    /**
     * Parses {@code lora_target_modules}: {@code all-linear}, a list of names, or one comma/space separated string
     * ({@code "q_proj,v_proj"}); PEFT's full paths ({@code self_attn.q_proj}) are accepted too.
     */
    public static Set<LoraModule> parseTargets(Object value) {
        List<String> names = new ArrayList<>();
        if (value == null) return EnumSet.allOf(LoraModule.class);
        if (value instanceof Iterable<?> it) for (Object o : it) names.add(String.valueOf(o).trim());
        else for (String s : value.toString().replace("[", " ").replace("]", " ").split("[,\\s]+")) if (!s.isBlank()) names.add(s.trim());
        if (names.size() == 1 && (names.get(0).equals("all-linear") || names.get(0).equals("all_linear"))) return EnumSet.allOf(LoraModule.class);
        EnumSet<LoraModule> out = EnumSet.noneOf(LoraModule.class);
        for (String n : names) out.add(LoraModule.byName(n));
        return out;
    }

    /** The PEFT {@code target_modules} list, in module order. */
    public List<String> targetNames() {
        List<String> out = new ArrayList<>();
        for (LoraModule m : LoraModule.values()) if (targets.contains(m)) out.add(m.peftName);
        return out;
    }
}
