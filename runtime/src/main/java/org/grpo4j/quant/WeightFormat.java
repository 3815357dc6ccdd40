package org.grpo4j.quant;

import java.util.Locale;

/**
 * How frozen base weights are stored: fp32, bf16 (as Hugging Face ships them), int8 with one scale per row
 * ({@code load_in_8bit}) or NF4 with one absmax per block of 64 ({@code load_in_4bit}, QLoRA). Only fp32
 * weights can be trained; the others are frozen and widened to fp32 tile by tile inside the GEMM.
 */
public enum WeightFormat {
    FP32(32), BF16(16), INT8(8), NF4(4);

    public final int bits;

    WeightFormat(int bits) {
        this.bits = bits;
    }

    /** {@code fp32|bf16|int8|nf4} (also {@code f32}, {@code float32}, {@code bfloat16}, {@code 8bit}, {@code 4bit}). */
    public static WeightFormat parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32", "f32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            case "int8", "8bit" -> INT8;
            case "nf4", "4bit" -> NF4;
            default -> throw new IllegalArgumentException("unknown weight format '" + s + "' (expected fp32, bf16, int8 or nf4)");
        };
    }

    /** Bytes of a {@code rows × cols} matrix in this format, scales included. */
    public long bytes(long rows, long cols) {
        long n = rows * cols;
        return switch (this) {
            case FP32 -> 4 * n;
            case BF16 -> 2 * n;
            case INT8 -> n + 4 * rows;
            case NF4 -> (n + 1) / 2 + 4 * ((n + Nf4.BLOCK - 1) / Nf4.BLOCK);
        };
    }

    public String settingName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
