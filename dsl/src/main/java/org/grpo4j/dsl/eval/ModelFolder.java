package org.grpo4j.dsl.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What {@code --model} may name, resolved to a folder the engine loads: a Hugging Face model folder
 * ({@code config.json} + safetensors), a checkpoint ({@code output_dir/checkpoint-N}, the same layout), or a run's
 * output folder (its newest checkpoint), or a PEFT adapter folder ({@code adapter_config.json}, a LoRA run's
 * checkpoint) on the local base model its {@code base_model_name_or_path} names.
 *
 * <pre>{@code
 * ModelFolder.Resolved m = ModelFolder.resolve(Path.of("runs/arithmetic-grpo")); // runs/arithmetic-grpo/checkpoint-80
 * }</pre>
 */
public final class ModelFolder {
    private ModelFolder() {}

    /** The model folder to load, and the PEFT adapter folder to put on it (null: a plain model). */
    public record Resolved(Path model, Path adapter) {}

    public static Resolved resolve(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model '" + dir + "': folder not found");
        if (Files.isRegularFile(dir.resolve("config.json"))) return new Resolved(dir, null);
        if (Files.isRegularFile(dir.resolve("adapter_config.json"))) return new Resolved(adapterBase(dir), dir);
        Path last = newestCheckpoint(dir);
        if (last != null) return resolve(last);
        throw new IllegalArgumentException("model '" + dir + "': no config.json (not a Hugging Face model folder) and no checkpoint-N folders inside");
    }

    /** The local model folder a PEFT adapter was trained on ({@code base_model_name_or_path}). */
    static Path adapterBase(Path adapter) {
        String base;
        try {
            base = new com.fasterxml.jackson.databind.ObjectMapper().readTree(adapter.resolve("adapter_config.json").toFile())
                    .path("base_model_name_or_path").asText("");
        } catch (IOException e) {
            throw new UncheckedIOException("model '" + adapter + "': adapter_config.json: " + e.getMessage(), e);
        }
        Path p = Path.of(base);
        if (!base.isEmpty() && Files.isRegularFile(p.resolve("config.json"))) return p;
        throw new IllegalArgumentException("model '" + adapter + "' is a PEFT adapter whose base_model_name_or_path '" + base
                + "' is not a local model folder (config.json); set it in adapter_config.json, or merge the adapter first (./grpo merge)");
    }

    /** The {@code checkpoint-N} sub-folder with the highest N that holds a model or an adapter, or null. */
    static Path newestCheckpoint(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+")
                            && (Files.isRegularFile(p.resolve("config.json")) || Files.isRegularFile(p.resolve("adapter_config.json"))))
                    .max(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()))))
                    .orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("model '" + dir + "': cannot list the folder: " + e.getMessage(), e);
        }
    }
}
