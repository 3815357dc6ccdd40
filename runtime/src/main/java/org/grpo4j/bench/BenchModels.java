package org.grpo4j.bench;

import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;

/** The benchmark model shapes of {@code docs/benchmarks.md} (random weights; RMSNorm eps 1e-6, RoPE theta 1e4). */
public final class BenchModels {
    private BenchModels() {}

    public static ModelConfig named(String name) {
        return switch (name) {
            case "bench-s" -> config(Architecture.LLAMA, 64, 128, 4, 4, 2, 32, 352, 256);
            case "bench-m" -> config(Architecture.LLAMA, 8192, 512, 8, 8, 4, 64, 1376, 512);
            case "qwen05b" -> config(Architecture.QWEN2, 151936, 896, 24, 14, 2, 64, 4864, 32768);
            default -> throw new IllegalArgumentException("unknown benchmark config '" + name + "'; known: bench-s, bench-m, qwen05b");
        };
    }

    private static ModelConfig config(Architecture a, int vocab, int d, int layers, int heads, int kv, int hd, int ffn, int maxSeq) {
        return new ModelConfig(a, vocab, d, ffn, layers, heads, kv, hd, 1e-6f, 10000.0, null, true, maxSeq, a == Architecture.QWEN2,
                -1, new int[0], "float32");
    }
}
