package org.grpo4j.safetensors;

/** The element types grpo4j reads from safetensors files (and the ones it writes: F32, BF16). */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    static DType parse(String s) {
        for (DType d : values()) if (d.name().equals(s)) return d;
        return null;
    }

    /** bf16 → f32: the upper half of the f32 bit pattern. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** f32 → bf16 with round-to-nearest-even, as torch does (NaN stays NaN). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
