package org.grpo4j.dsl.recipe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;
import org.grpo4j.tokenizer.CharTokenizer;
import org.grpo4j.tokenizer.Tokenizer;

/** A random tiny model folder in Hugging Face layout with a character tokenizer (ChatML template, EOS <|im_end|>). */
final class TinyModel {
    static final String CHARS = "0123456789+-*/=?. QAabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,:<>\n{}\\!'";

    private TinyModel() {}

    static Path create(Path dir, int maxPositions) throws IOException {
        CharTokenizer ct = CharTokenizer.build(List.of(CHARS), List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        ct.save(dir);
        Tokenizer tok = Tokenizer.load(dir);
        ModelConfig cfg = new ModelConfig(Architecture.QWEN2, ct.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6f, 1e4, null, true, maxPositions, true, -1,
                new int[] {tok.eosTokenId().getAsInt()}, "float32");
        Transformer.create(cfg, new CpuBackend()).initialise(1, 0.02).save(dir, DType.F32);
        return dir;
    }
}
