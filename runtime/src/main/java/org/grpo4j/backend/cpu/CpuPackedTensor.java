package org.grpo4j.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.grpo4j.backend.PackedTensor;
import org.grpo4j.quant.Int8Rows;
import org.grpo4j.quant.Nf4;
import org.grpo4j.quant.WeightFormat;
import org.grpo4j.safetensors.DType;

/** The CPU backend's packed weight: bf16 bit patterns, int8 + row scales, or NF4 nibbles + block absmax. */
public final class CpuPackedTensor extends PackedTensor {
    final short[] bf16;     // BF16
    final byte[] q;         // INT8: one byte per element; NF4: two elements per byte
    final float[] scales;   // INT8: per row; NF4: absmax per block of 64

    // bf16 → f32 is a 16-bit shift: half-width short vectors widen into the kernels' one float species
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final boolean VECTOR_BF16 = F.vectorBitSize() >= 128;
    private static final VectorSpecies<Short> SH = VECTOR_BF16 ? VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2)) : null;
    private static final VectorSpecies<Integer> IN = VECTOR_BF16 ? VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize())) : null;
    // int8 → f32: a quarter-width byte vector widens to the float lanes (needs 8+ lanes: no 32-bit byte vectors)
    private static final boolean VECTOR_INT8 = F.length() >= 8;
    private static final VectorSpecies<Byte> BY = VECTOR_INT8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4)) : null;
    // NF4 → f32: the 16-value code book is one 16-lane vector, so a lane's nibble picks its value with one permute
    private static final boolean VECTOR_NF4 = F.length() == 16;
    private static final FloatVector NF4_CODES = VECTOR_NF4 ? FloatVector.fromArray(F, Nf4.CODE, 0) : null;
    /** Lane j of 16 elements takes byte j/2 of 8 (the pair's byte), and its nibble is the high one for even j. */
    private static final VectorShuffle<Integer> NF4_PAIR_BYTE = VECTOR_NF4 ? VectorShuffle.fromOp(IN, j -> j / 2) : null;
    private static final IntVector NF4_NIBBLE_SHIFT = VECTOR_NF4 ? IntVector.zero(IN).addIndex(1).and(1).mul(-4).add(4) : null;

    private CpuPackedTensor(WeightFormat format, int rows, int cols, short[] bf16, byte[] q, float[] scales) {
        super(format, rows, cols);
        this.bf16 = bf16;
        this.q = q;
        this.scales = scales;
    }

    /** Packs fp32 values (row-major {@code rows × cols}) into {@code format} (bf16 rounds to nearest even). */
    static CpuPackedTensor pack(WeightFormat format, int rows, int cols, float[] values, int offset) {
        int n = Math.multiplyExact(rows, cols);
        return switch (format) {
            case BF16 -> {
                short[] b = new short[n];
                for (int i = 0; i < n; i++) b[i] = DType.floatToBf16(values[offset + i]);
                yield new CpuPackedTensor(format, rows, cols, b, null, null);
            }
            case INT8 -> {
                byte[] q = new byte[n];
                float[] s = new float[rows];
                Int8Rows.quantise(values, offset, rows, cols, q, s);
                yield new CpuPackedTensor(format, rows, cols, null, q, s);
            }
            case NF4 -> {
                byte[] q = new byte[Nf4.packedBytes(n)];
                float[] s = new float[Nf4.blocks(n)];
                Nf4.quantise(values, offset, n, q, s);
                yield new CpuPackedTensor(format, rows, cols, null, q, s);
            }
            case FP32 -> throw new IllegalArgumentException("fp32 weights are plain tensors, not packed ones");
        };
    }

    /** Wraps bf16 bit patterns as they are (a BF16 safetensors tensor, never widened). */
    static CpuPackedTensor ofBf16(int rows, int cols, short[] bits) {
        if (bits.length != (long) rows * cols) throw new IllegalArgumentException(bits.length + " bf16 values for a " + rows + "×" + cols + " matrix");
        return new CpuPackedTensor(WeightFormat.BF16, rows, cols, bits, null, null);
    }

    /** Widens row {@code r}, columns {@code [c0, c0 + n)}, into {@code dst[dstOff..]}. */
    void widenRow(int r, int c0, int n, float[] dst, int dstOff) {
        int cols = cols();
        switch (format()) {
            case BF16 -> {
                int base = r * cols + c0, c = 0;
                if (VECTOR_BF16)
                    for (int bound = SH.loopBound(n); c < bound; c += SH.length()) {
                        IntVector wide = (IntVector) ShortVector.fromArray(SH, bf16, base + c).convertShape(VectorOperators.S2I, IN, 0);
                        ((FloatVector) wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).intoArray(dst, dstOff + c);
                    }
                for (; c < n; c++) dst[dstOff + c] = Float.intBitsToFloat(bf16[base + c] << 16);
            }
            case INT8 -> {
                int c = 0;
                if (VECTOR_INT8) {
                    int base = r * cols + c0;
                    FloatVector scale = FloatVector.broadcast(F, scales[r]);
                    for (int bound = F.loopBound(n); c < bound; c += F.length()) {
                        IntVector wide = (IntVector) ByteVector.fromArray(BY, q, base + c).convertShape(VectorOperators.B2I, IN, 0);
                        ((FloatVector) wide.convert(VectorOperators.I2F, 0)).mul(scale).intoArray(dst, dstOff + c);
                    }
                }
                Int8Rows.dequantise(q, scales, cols, r, c0 + c, n - c, dst, dstOff + c);
            }
            case NF4 -> widenNf4((long) r * cols + c0, n, dst, dstOff);
            case FP32 -> throw new IllegalStateException();
        }
    }

    /**
     * NF4 elements {@code [from, from + n)} into {@code dst}: 16 at a time from 16-aligned positions (so a vector
     * never straddles a block of 64 and starts on a whole byte), the ragged ends by {@link Nf4#dequantise}. Both
     * compute {@code CODE[nibble] · absmax} in float, so the vector path is bit-identical to the scalar one.
     */
    private void widenNf4(long from, int n, float[] dst, int dstOff) {
        long i = from, end = from + n;
        int o = dstOff;
        if (VECTOR_NF4) {
            int head = (int) Math.min(n, (16 - (i & 15)) & 15);
            Nf4.dequantise(q, scales, i, head, dst, o);
            i += head;
            o += head;
            // a vector loads 16 bytes (its 8 and the next 8): stop where those would run past the array
            long last = Math.min(end, 2L * (q.length - 16));
            for (; i + 16 <= last; i += 16, o += 16) {
                IntVector bytes = (IntVector) ByteVector.fromArray(ByteVector.SPECIES_128, q, (int) (i >>> 1)).convertShape(VectorOperators.B2I, IN, 0);
                IntVector nibbles = bytes.rearrange(NF4_PAIR_BYTE).lanewise(VectorOperators.LSHR, NF4_NIBBLE_SHIFT).and(15);
                NF4_CODES.rearrange(nibbles.toShuffle().cast(F)).mul(scales[(int) (i / Nf4.BLOCK)]).intoArray(dst, o);
            }
        }
        Nf4.dequantise(q, scales, i, (int) (end - i), dst, o);
    }

    /** The whole matrix in fp32 (tests, merging). */
    public float[] widen() {
        float[] out = new float[Math.toIntExact(size())];
        for (int r = 0; r < rows(); r++) widenRow(r, 0, cols(), out, r * cols());
        return out;
    }
}
