package org.grpo4j.bench;

import org.grpo4j.backend.Backend;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraConfig;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.quant.WeightFormat;

/**
 * The model set-up flags shared by {@code bench train} and {@code bench grpo-step}: {@code --lora R} (LoRA of rank R
 * on every linear layer, alpha 2R, no dropout), {@code --base fp32|bf16|int8|nf4} (how the frozen base is stored)
 * and {@code --gradient-checkpointing}. Without them the benchmark is the full fp32 fine-tune.
 */
record PeftOptions(int loraR, WeightFormat base, boolean checkpointing) {
    static final String FLAG = "gradient-checkpointing";

    static PeftOptions parse(Args args) {
        int r = args.getInt("lora", 0);
        WeightFormat base = WeightFormat.parse(args.get("base", "fp32"));
        boolean ck = args.flag(FLAG);
        if (r < 0) throw new Command.UsageException("--lora must be a rank >= 1");
        if (base != WeightFormat.FP32 && r == 0) throw new Command.UsageException("--base " + base.settingName() + " is a frozen base: add --lora R to train adapters on it");
        return new PeftOptions(r, base, ck);
    }

    boolean lora() {
        return loraR > 0;
    }

    /** Anything but the plain full fine-tune. */
    boolean active() {
        return lora() || checkpointing;
    }

    /** A random model of config {@code c} set up as asked (the packed base is drawn in its format, never whole in fp32). */
    Transformer build(ModelConfig c, Backend backend) {
        Transformer m = Transformer.random(c, backend, base, 1, 0.02);
        if (lora()) m.withLora(new LoraAdapters(LoraConfig.of(loraR, 2.0 * loraR), c, backend).initialise(2));
        m.setGradientCheckpointing(checkpointing);
        return m;
    }

    /** The memory target for this set-up, as a suffix of the peak memory line (2.5 GB = 2.33 GiB). */
    String memoryTarget() {
        if (lora() && (base == WeightFormat.NF4 || base == WeightFormat.INT8)) return "; QLoRA target <= 2.5 GB";
        if (lora() && checkpointing) return "; LoRA + checkpointing target <= 4 GB";
        return "";
    }

    String describe() {
        return (lora() ? "LoRA r=" + loraR + " all-linear on a frozen " + base.settingName() + " base" : "full fp32 fine-tune")
                + (checkpointing ? ", gradient checkpointing" : "");
    }
}
