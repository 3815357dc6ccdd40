package org.grpo4j.train;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.DType;

/**
 * Checkpoints in Hugging Face layout — {@code output_dir/checkpoint-STEP/} with {@code config.json},
 * {@code model.safetensors} and the tokenizer files (loadable as a model folder; a LoRA run writes a PEFT adapter
 * folder instead, {@code adapter_config.json} and {@code adapter_model.safetensors}), plus {@code optimizer.safetensors}
 * and {@code trainer_state.json}. Each is written into a temporary folder and renamed into place, so a kill at any
 * moment leaves the previous checkpoint intact.
 */
public final class Checkpoints {
    /** Tokenizer files copied from the model folder into every checkpoint. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "generation_config.json", "chat_template.jinja");

    private Checkpoints() {}

    public static Path save(Path outputDir, Transformer model, AdamW optimizer, TrainerState state, Path tokenizerDir, int keep) throws IOException {
        Files.createDirectories(outputDir);
        Path done = outputDir.resolve("checkpoint-" + state.globalStep());
        Path tmp = outputDir.resolve(".checkpoint-" + state.globalStep() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        // a LoRA run's checkpoint is a PEFT adapter folder (PeftModel.from_pretrained loads it on the base)
        if (model.lora() != null) PeftAdapter.save(model.lora(), tmp, "");
        else model.save(tmp, DType.F32);
        if (tokenizerDir != null)
            for (String f : TOKENIZER_FILES) {
                Path src = tokenizerDir.resolve(f);
                if (Files.exists(src)) Files.copy(src, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        if (optimizer != null) optimizer.save(tmp.resolve("optimizer.safetensors"));
        state.save(tmp.resolve("trainer_state.json"));
        if (Files.exists(done)) {
            Path old = outputDir.resolve(".checkpoint-" + state.globalStep() + ".old");
            deleteTree(old);
            Files.move(done, old);
            move(tmp, done);
            deleteTree(old);
        } else {
            move(tmp, done);
        }
        if (keep > 0) rotate(outputDir, keep);
        return done;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Loads a checkpoint's weights into {@code model} and its moments into {@code optimizer}; returns where the run stood. */
    public static TrainerState restore(Path checkpoint, Transformer model, AdamW optimizer) throws IOException {
        if (model.lora() != null) {
            LoraAdapters saved = PeftAdapter.load(checkpoint, model.config(), model.backend());
            if (!saved.config().equals(model.lora().config()))
                throw new IOException(checkpoint + ": the adapters (" + saved.config() + ") differ from the run's LoRA settings (" + model.lora().config() + ")");
            model.backend().copy(model.lora().params(), saved.params());
        } else {
            try (org.grpo4j.safetensors.SafetensorsModel w = org.grpo4j.safetensors.SafetensorsModel.open(checkpoint)) {
                model.loadWeights(w);
            }
        }
        optimizer.load(checkpoint.resolve("optimizer.safetensors"));
        return TrainerState.load(checkpoint.resolve("trainer_state.json"));
    }

    /** Completed checkpoints of a run, oldest first. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.exists(p.resolve("trainer_state.json")))
                    .sorted(Comparator.comparingInt(Checkpoints::stepOf)).toList();
        }
    }

    /** The newest checkpoint of a run, or null. */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    static int stepOf(Path p) {
        return Integer.parseInt(p.getFileName().toString().substring("checkpoint-".length()));
    }

    private static void rotate(Path outputDir, int keep) throws IOException {
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - keep; i++) deleteTree(all.get(i));
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /** Resolves TRL's {@code resume_from_checkpoint}: a folder, or {@code true} for the latest one in the output folder. */
    public static Path resolveResume(Object setting, Path outputDir) throws IOException {
        if (setting == null || Boolean.FALSE.equals(setting) || "false".equals(setting)) return null;
        if (Boolean.TRUE.equals(setting) || "true".equals(setting)) {
            Path p = latest(outputDir);
            if (p == null) throw new IOException("resume_from_checkpoint = true, but " + outputDir + " has no checkpoint");
            return p;
        }
        Path p = Path.of(setting.toString());
        if (!Files.exists(p.resolve("trainer_state.json")))
            throw new IOException("resume_from_checkpoint: " + p + " is not a checkpoint (no trainer_state.json)");
        return p;
    }
}
