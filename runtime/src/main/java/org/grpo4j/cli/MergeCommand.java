package org.grpo4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;

/**
 * {@code grpo merge --model BASE --adapter DIR --out DIR [--dtype f32|bf16]}: folds a PEFT LoRA adapter into its
 * base model ({@code W += scale · B A}, PEFT's {@code merge_and_unload}) and writes a plain Hugging Face model
 * folder: weights, {@code config.json}, and the base's tokenizer and generation files.
 */
public final class MergeCommand implements Command {
    @Override
    public String name() {
        return "merge";
    }

    @Override
    public String summary() {
        return "fold a LoRA adapter into its base model (--model BASE --adapter DIR --out DIR [--dtype f32|bf16])";
    }

    @Override
    public int run(Args args) throws Exception {
        Path base = Path.of(args.require("model")), adapter = Path.of(args.require("adapter")), out = Path.of(args.require("out"));
        String dtypeArg = args.get("dtype", null);
        args.rejectUnknown();
        if (Files.exists(out.resolve("model.safetensors")) || Files.exists(out.resolve("model.safetensors.index.json")))
            throw new UsageException(out + " already holds a model; choose an empty --out folder");
        merge(base, adapter, out, dtypeArg);
        System.out.println("merged " + adapter + " into " + base + " -> " + out);
        return 0;
    }

    /** Merges and writes; {@code dtype} null keeps the base's {@code torch_dtype} (bf16 stays bf16, else f32). */
    public static void merge(Path base, Path adapter, Path out, String dtype) throws IOException {
        Transformer model = Transformer.load(base, new CpuBackend());
        LoraAdapters lora = PeftAdapter.load(adapter, model.config(), model.backend());
        lora.mergeInto(model.params(), model.layout());
        DType d = switch (dtype == null ? model.config().torchDtype() : dtype) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "f32", "fp32", "float32", "float64", "float16" -> DType.F32;
            default -> throw new UsageException("--dtype must be f32 or bf16, got '" + dtype + "'");
        };
        model.save(out, d);
        // tokenizer and generation files come along, so the folder is a complete model
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && !n.endsWith(".safetensors") && !n.equals("config.json") && !n.equals("model.safetensors.index.json")
                        && !n.endsWith(".bin") && !Files.exists(out.resolve(n)))
                    Files.copy(f, out.resolve(n));
            }
        }
    }
}
