package org.grpo4j.dsl.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What {@code --model} may name, resolved to a folder the engine loads: a Hugging Face model folder
 * ({@code config.json} + safetensors), a checkpoint ({@code output_dir/checkpoint-N}, the same layout), or a run's
 * output folder (its newest checkpoint). A PEFT adapter folder ({@code adapter_config.json}) is recognised here
 * and refused with a clear message until LoRA loading exists; this is the one place that will apply it.
 *
 * <pre>{@code
 * Path m = ModelFolder.resolve(Path.of("runs/arithmetic-grpo")); // runs/arithmetic-grpo/checkpoint-80
 * }</pre>
 */
public final class ModelFolder {
    private ModelFolder() {}

    public static Path resolve(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model '" + dir + "': folder not found");
        if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
        if (Files.isRegularFile(dir.resolve("adapter_config.json")))
            throw new IllegalArgumentException("model '" + dir + "' is a PEFT adapter (adapter_config.json): loading LoRA adapters is not supported yet; "
                    + "give the full model folder (a merged model or a checkpoint) instead");
        Path last = newestCheckpoint(dir);
        if (last != null) return last;
        throw new IllegalArgumentException("model '" + dir + "': no config.json (not a Hugging Face model folder) and no checkpoint-N folders inside");
    }

    /** The {@code checkpoint-N} sub-folder with the highest N that holds a {@code config.json}, or null. */
    static Path newestCheckpoint(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isRegularFile(p.resolve("config.json")))
                    .max(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()))))
                    .orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("model '" + dir + "': cannot list the folder: " + e.getMessage(), e);
        }
    }
}
