package org.grpo4j.train;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;
import static org.grpo4j.train.Setting.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.grpo4j.backend.Backend;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.LoraConfig;
import org.grpo4j.lora.LoraModule;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.quant.WeightFormat;

/**
 * LoRA / QLoRA and memory settings under TRL's {@code ModelConfig} names (open-r1's YAML recipes use them):
 * {@code use_peft} trains LoRA adapters beside a frozen base; {@code load_in_4bit} / {@code load_in_8bit} keep
 * that base in NF4 / int8, {@code torch_dtype: bfloat16} in bf16; {@code gradient_checkpointing} recomputes each
 * layer's wide activations (attention probabilities, gate/up output) in the backward. Shared by the GRPO and SFT trainers.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("use_peft", true).set("lora_r", 16).set("load_in_4bit", true).build();
 * }</pre>
 */
public record PeftSettings(boolean usePeft, int loraR, double loraAlpha, double loraDropout, String loraTargetModules, boolean useRslora,
                           boolean loadIn_4bit, boolean loadIn_8bit, String torchDtype, boolean gradientCheckpointing) {

    public static final SettingsGroup<PeftSettings> SETTINGS = SettingsGroup.of(PeftSettings.class,
            flag("use_peft", false, "train LoRA adapters beside the frozen base (PEFT); only adapters get gradients"),
            integer("lora_r", 16, "LoRA rank r").check(v -> v >= 1, "must be >= 1"),
            number("lora_alpha", 32.0, "LoRA alpha: the adapters' output is scaled by alpha / r (alpha / sqrt(r) with use_rslora)").check(v -> v > 0, "must be > 0"),
            number("lora_dropout", 0.05, "dropout on the adapters' input").check(v -> v >= 0 && v < 1, "must be in [0, 1)"),
            text("lora_target_modules", null, "modules to adapt: all-linear or names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj); default q_proj, v_proj as PEFT for Qwen2/Llama"),
            flag("use_rslora", false, "rank-stabilised LoRA: scale alpha / sqrt(r)"),
            flag("load_in_4bit", false, "QLoRA: keep the frozen base in NF4 (blocks of 64, absmax per block)"),
            flag("load_in_8bit", false, "keep the frozen base in int8 (one scale per row)"),
            choice("torch_dtype", "float32", "storage of a use_peft run's frozen base (bfloat16 reads BF16 checkpoints as they are); trained weights are always float32",
                    "float32", "bfloat16", "auto"),
            flag("gradient_checkpointing", false, "keep each layer's narrow activations and recompute the wide ones (attention probabilities, gate/up output) in the backward (less memory, ~60% of one more forward)"))
            .rules(PeftSettings::rules);

    private static void rules(PeftSettings s, List<String> p) {
        if (s.loadIn_4bit && s.loadIn_8bit) p.add("load_in_4bit and load_in_8bit are both set: choose one");
        if ((s.loadIn_4bit || s.loadIn_8bit) && !s.usePeft)
            p.add((s.loadIn_4bit ? "load_in_4bit" : "load_in_8bit") + " = true needs use_peft = true: a quantised base is frozen, only LoRA adapters train");
        if (s.loraTargetModules != null) {
            try {
                LoraConfig.parseTargets(s.loraTargetModules);
            } catch (IllegalArgumentException e) {
                p.add("lora_target_modules: " + e.getMessage());
            }
        }
    }

    /** The LoRA configuration these settings describe (meaningful with {@code use_peft}). */
    public LoraConfig lora() {
        EnumSet<LoraModule> targets = loraTargetModules == null ? EnumSet.of(LoraModule.Q, LoraModule.V) : EnumSet.copyOf(LoraConfig.parseTargets(loraTargetModules));
        return new LoraConfig(loraR, loraAlpha, loraDropout, targets, useRslora);
    }

    /** How the frozen base is stored: NF4, int8, bf16 or fp32 ({@code auto}: bf16 when the model's config says bfloat16). */
    public WeightFormat baseFormat(ModelConfig model) {
        if (!usePeft) return WeightFormat.FP32;
        if (loadIn_4bit) return WeightFormat.NF4;
        if (loadIn_8bit) return WeightFormat.INT8;
        boolean bf16 = torchDtype.equals("bfloat16") || (torchDtype.equals("auto") && "bfloat16".equals(model.torchDtype()));
        return bf16 ? WeightFormat.BF16 : WeightFormat.FP32;
    }

    /**
     * Loads the policy these settings ask for: the plain fp32 model, or the frozen base in its format with fresh
     * PEFT-initialised adapters (or the adapters of {@code adapterDir}, when given: a resumed or continued run).
     */
    public Transformer loadPolicy(Path modelDir, Backend backend, long seed, Path adapterDir) throws IOException {
        Transformer m;
        if (!usePeft) m = Transformer.load(modelDir, backend);
        else {
            ModelConfig c = ModelConfig.load(modelDir);
            m = Transformer.load(modelDir, backend, baseFormat(c));
            LoraAdapters a = adapterDir != null ? org.grpo4j.lora.PeftAdapter.load(adapterDir, c, backend) : new LoraAdapters(lora(), c, backend).initialise(seed);
            a.setDropoutSeed(seed);
            m.withLora(a);
        }
        m.setGradientCheckpointing(gradientCheckpointing);
        return m;
    }

    /** Applies these settings to a model made elsewhere (a random or already loaded fp32 model): adapters, checkpointing. */
    public Transformer apply(Transformer m, long seed) {
        if (usePeft && m.lora() == null) {
            LoraAdapters a = new LoraAdapters(lora(), m.config(), m.backend()).initialise(seed);
            a.setDropoutSeed(seed);
            m.withLora(a);
        }
        m.setGradientCheckpointing(gradientCheckpointing);
        return m;
    }
}
