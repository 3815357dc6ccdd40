package org.grpo4j.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsWriter;
import org.grpo4j.safetensors.TensorInfo;

/**
 * LoRA adapters in PEFT's folder format, so {@code PeftModel.from_pretrained(base, dir)} loads what grpo4j
 * trains and grpo4j loads PEFT's adapters: {@code adapter_config.json} ({@code peft_type: LORA}, {@code r},
 * {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}, {@code use_rslora}, …) and
 * {@code adapter_model.safetensors} with tensors named
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} ({@code [r, in]}) and
 * {@code ….lora_B.weight} ({@code [out, r]}).
 */
public final class PeftAdapter {
    public static final String CONFIG = "adapter_config.json", WEIGHTS = "adapter_model.safetensors";
    private static final Pattern NAME = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.((?:self_attn|mlp)\\.[a-z]+_proj)\\.lora_([AB])(?:\\.default)?\\.weight");

    private PeftAdapter() {}

    /** Writes the adapters into {@code dir}; {@code baseModel} is recorded as {@code base_model_name_or_path}. */
    public static void save(LoraAdapters adapters, Path dir, String baseModel) throws IOException {
        save(adapters, dir, baseModel, "CAUSAL_LM");
    }

    /** The same with PEFT's {@code task_type} ({@code TOKEN_CLS} for PPO's value model). */
    public static void save(LoraAdapters adapters, Path dir, String baseModel, String taskType) throws IOException {
        Files.createDirectories(dir);
        LoraConfig c = adapters.config();
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode n = json.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", taskType);
        n.put("base_model_name_or_path", baseModel);
        n.put("r", c.r());
        n.put("lora_alpha", c.alpha());
        n.put("lora_dropout", c.dropout());
        n.putPOJO("target_modules", c.targetNames());
        n.put("use_rslora", c.useRslora());
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("init_lora_weights", true);
        n.put("inference_mode", true);
        n.put("use_dora", false);
        n.putNull("modules_to_save");
        n.putNull("layers_to_transform");
        n.putObject("rank_pattern");
        n.putObject("alpha_pattern");
        Files.writeString(dir.resolve(CONFIG), json.writeValueAsString(n) + "\n");

        Backend be = adapters.backend();
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        int r = c.r();
        for (LoraAdapters.Adapter ad : adapters.adapters()) {
            Tensor a = adapters.a(ad), b = adapters.b(ad);
            w.add(ad.peftPrefix() + ".lora_A.weight", DType.F32, new long[] {r, ad.in()}, be, a);
            w.add(ad.peftPrefix() + ".lora_B.weight", DType.F32, new long[] {ad.out(), r}, be, b);
        }
        w.write(dir.resolve(WEIGHTS));
    }

    /** Loads a PEFT LoRA adapter folder for a model of config {@code model}; every mismatch names the file. */
    public static LoraAdapters load(Path dir, ModelConfig model, Backend backend) throws IOException {
        Path cfgFile = dir.resolve(CONFIG), weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(cfgFile)) throw new IOException(dir + ": not a PEFT adapter folder (no " + CONFIG + ")");
        if (!Files.isRegularFile(weights))
            throw new IOException(dir + ": no " + WEIGHTS + (Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin is a pickle; save with safe_serialization=True)" : ""));
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new IOException(cfgFile + ": not valid JSON: " + e.getMessage(), e);
        }
        String type = n.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new IOException(cfgFile + ": peft_type is '" + type + "'; grpo4j loads LORA adapters");
        refuse(cfgFile, n, "use_dora", "DoRA adapters are not supported");
        refuse(cfgFile, n, "fan_in_fan_out", "fan_in_fan_out (GPT-2 Conv1D layout) is not supported");
        if (!n.path("bias").asText("none").equals("none")) throw new IOException(cfgFile + ": bias = '" + n.path("bias").asText() + "'; only 'none' is supported");
        for (String f : new String[] {"rank_pattern", "alpha_pattern"})
            if (n.path(f).size() > 0) throw new IOException(cfgFile + ": per-module " + f + " is not supported (one r and lora_alpha for all modules)");
        if (n.hasNonNull("layers_to_transform")) throw new IOException(cfgFile + ": layers_to_transform is not supported (adapters on every layer)");
        if (n.path("modules_to_save").size() > 0) throw new IOException(cfgFile + ": modules_to_save " + n.get("modules_to_save") + " is not supported");
        int r = n.path("r").asInt(0);
        double alpha = n.path("lora_alpha").asDouble(Double.NaN);
        if (r < 1 || !(alpha > 0)) throw new IOException(cfgFile + ": needs r >= 1 and lora_alpha > 0, got r = " + n.get("r") + ", lora_alpha = " + n.get("lora_alpha"));

        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            // the tensors, not the target_modules pattern, say which modules carry adapters
            EnumSet<LoraModule> targets = EnumSet.noneOf(LoraModule.class);
            Set<String> seen = new HashSet<>();
            for (String name : f.tensors().keySet()) {
                Matcher m = NAME.matcher(name);
                if (!m.matches()) throw new IOException(weights + ": unexpected tensor '" + name + "' (expected PEFT LoRA names such as "
                        + "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight)");
                int layer = Integer.parseInt(m.group(1));
                if (layer >= model.numLayers()) throw new IOException(weights + ": tensor '" + name + "' is for layer " + layer + " but the model has " + model.numLayers());
                try {
                    targets.add(LoraModule.byName(m.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(weights + ": tensor '" + name + "': " + e.getMessage());
                }
                seen.add(name);
            }
            if (targets.isEmpty()) throw new IOException(weights + ": no LoRA tensors");
            LoraConfig cfg = new LoraConfig(r, alpha, n.path("lora_dropout").asDouble(0), targets, n.path("use_rslora").asBoolean(false));
            LoraAdapters out = new LoraAdapters(cfg, model, backend);
            for (LoraAdapters.Adapter ad : out.adapters()) {
                read(f, weights, seen, ad.peftPrefix() + ".lora_A", new long[] {r, ad.in()}, out.a(ad), backend);
                read(f, weights, seen, ad.peftPrefix() + ".lora_B", new long[] {ad.out(), r}, out.b(ad), backend);
            }
            return out;
        }
    }

    private static void read(SafetensorsFile f, Path file, Set<String> seen, String stem, long[] shape, Tensor dst, Backend be) throws IOException {
        String name = seen.contains(stem + ".weight") ? stem + ".weight" : stem + ".default.weight";
        if (!seen.contains(name))
            throw new IOException(file + ": lacks tensor '" + stem + ".weight' (adapters must cover the same modules in every layer)");
        TensorInfo info = f.info(name);
        if (!java.util.Arrays.equals(info.shape(), shape))
            throw new IOException(file + ": tensor '" + name + "' has shape " + info.shapeString() + ", expected " + java.util.Arrays.toString(shape));
        be.write(dst, f.readFloats(name));
    }

    private static void refuse(Path file, JsonNode n, String field, String why) throws IOException {
        if (n.path(field).asBoolean(false)) throw new IOException(file + ": " + field + " = true: " + why);
    }
}
