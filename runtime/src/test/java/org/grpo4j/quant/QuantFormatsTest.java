package org.grpo4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.grpo4j.backend.PackedTensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.CpuPackedTensor;
import org.grpo4j.safetensors.DType;
import org.junit.jupiter.api.Test;

/** NF4, int8 and bf16 storage: code book, bit layout and quantise → dequantise error within each format's bound. */
class QuantFormatsTest {

    static float[] gaussian(int n, double std, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble()));
        return v;
    }

    /** A Qwen-like projection: N(0, 0.02²) with a few large outlier columns, as trained LLM weights have. */
    static float[] realShaped(int rows, int cols, long seed) {
        float[] v = gaussian(rows * cols, 0.02, seed);
        for (int r = 0; r < rows; r++)
            for (int c : new int[] {7, cols / 3, cols - 2}) v[r * cols + c] *= 25;
        return v;
    }

    @Test
    void nf4CodeBookIsBitsandbytesTable() {
        assertEquals(16, Nf4.CODE.length);
        assertEquals(-1f, Nf4.CODE[0]);
        assertEquals(0f, Nf4.CODE[7]);
        assertEquals(1f, Nf4.CODE[15]);
        for (int i = 1; i < 16; i++) assertTrue(Nf4.CODE[i] > Nf4.CODE[i - 1]);
        assertEquals(0.07958029955625534f, Nf4.CODE[8]);
        assertEquals(0.1519035995006561, Nf4.HALF_GAP, 1e-7);
        // every code value is its own nearest value
        for (int i = 0; i < 16; i++) assertEquals(i, Nf4.index(Nf4.CODE[i]));
    }

    @Test
    void nf4PacksFirstElementInHighNibbleAndBlocksOf64() {
        float[] v = new float[130];
        v[0] = -2f;   // absmax of block 0 → code 0 (-1)
        v[1] = 2f;    // code 15
        v[64] = 0.5f; // block 1's absmax
        v[129] = -3f; // the last, partial block
        byte[] packed = new byte[Nf4.packedBytes(130)];
        float[] absmax = new float[Nf4.blocks(130)];
        Nf4.quantise(v, 0, 130, packed, absmax);
        assertEquals(3, absmax.length);
        assertEquals((0 << 4) | 15, packed[0] & 0xff);
        assertEquals(2f, absmax[0]);
        assertEquals(0.5f, absmax[1]);
        assertEquals(3f, absmax[2]);
        assertEquals(0x77, packed[1] & 0xff); // zeros are code 7
        assertEquals(-3f, Nf4.value(packed, absmax, 129));
        assertEquals(0f, Nf4.value(packed, absmax, 128));
    }

    @Test
    void nf4ErrorWithinBoundOnRandomAndRealShapedWeights() {
        float[][] cases = {gaussian(64 * 200 + 17, 1.0, 1), realShaped(96, 896, 2)};
        double[] rmsLimit = {0.11, 0.16}; // outliers widen their blocks' steps
        for (int k = 0; k < 2; k++) {
            float[] w = cases[k];
            int n = w.length;
            byte[] packed = new byte[Nf4.packedBytes(n)];
            float[] absmax = new float[Nf4.blocks(n)];
            Nf4.quantise(w, 0, n, packed, absmax);
            float[] back = new float[n];
            Nf4.dequantise(packed, absmax, 0, n, back, 0);
            double sq = 0, sqErr = 0;
            for (int i = 0; i < n; i++) {
                float bound = absmax[i / Nf4.BLOCK] * Nf4.HALF_GAP * (1 + 1e-6f);
                assertTrue(Math.abs(w[i] - back[i]) <= bound, "element " + i + ": " + w[i] + " → " + back[i] + ", bound " + bound);
                assertEquals(Nf4.value(packed, absmax, i), back[i]);
                sq += w[i] * w[i];
                sqErr += (w[i] - back[i]) * (w[i] - back[i]);
            }
            // far below the worst-case bound on average: about 0.1 relative RMS on Gaussian data
            assertTrue(Math.sqrt(sqErr / sq) < rmsLimit[k], "relative RMS error " + Math.sqrt(sqErr / sq));
            // an unaligned range widens to the same values
            float[] part = new float[101];
            Nf4.dequantise(packed, absmax, 63, 101, part, 0);
            for (int i = 0; i < 101; i++) assertEquals(back[63 + i], part[i]);
        }
    }

    @Test
    void int8ErrorWithinHalfAStepPerRow() {
        int rows = 96, cols = 896;
        float[] w = realShaped(rows, cols, 3);
        byte[] q = new byte[rows * cols];
        float[] scales = new float[rows];
        Int8Rows.quantise(w, 0, rows, cols, q, scales);
        float[] back = new float[cols];
        for (int r = 0; r < rows; r++) {
            Int8Rows.dequantise(q, scales, cols, r, 0, cols, back, 0);
            float absmax = scales[r] * 127;
            for (int c = 0; c < cols; c++)
                assertTrue(Math.abs(w[r * cols + c] - back[c]) <= absmax / 254 * (1 + 1e-5f), "row " + r + " col " + c);
        }
        // a zero row stays zero
        Int8Rows.quantise(new float[8], 0, 1, 8, new byte[8], scales);
        assertEquals(0f, scales[0]);
    }

    @Test
    void packedTensorsWidenToTheirFormat() {
        CpuBackend be = new CpuBackend();
        float[] w = realShaped(40, 130, 4);
        PackedTensor bf = be.pack(WeightFormat.BF16, 40, 130, w, 0);
        float[] wide = ((CpuPackedTensor) bf).widen();
        for (int i = 0; i < w.length; i++) assertEquals(DType.bf16ToFloat(DType.floatToBf16(w[i])), wide[i]);
        assertEquals(40L * 130 * 2, bf.bytes());
        PackedTensor nf4 = be.pack(WeightFormat.NF4, 40, 130, w, 0);
        assertEquals((40L * 130) / 2 + 4L * Nf4.blocks(40 * 130), nf4.bytes());
        short[] bits = new short[40 * 130];
        for (int i = 0; i < bits.length; i++) bits[i] = DType.floatToBf16(w[i]);
        assertEquals(java.util.Arrays.toString(wide), java.util.Arrays.toString(((CpuPackedTensor) be.packBf16(40, 130, bits)).widen()));
    }

    /**
     * The vectorised NF4 and int8 widening (whole vectors from aligned positions, scalar ragged ends) gives exactly
     * the scalar format code's floats: rows of 77 columns start at odd elements and mid-block, rows of 192 are
     * block-aligned, and the last vectors run up to the end of the packed bytes.
     */
    @Test
    void vectorWideningIsBitIdenticalToTheScalarFormats() {
        CpuBackend be = new CpuBackend();
        for (int[] shape : new int[][] {{33, 77}, {12, 192}, {3, 16}, {2, 9}}) {
            int rows = shape[0], cols = shape[1], n = rows * cols;
            float[] w = realShaped(rows, cols, 12);
            float[] nf4 = ((CpuPackedTensor) be.pack(WeightFormat.NF4, rows, cols, w, 0)).widen();
            byte[] packed = new byte[Nf4.packedBytes(n)];
            float[] absmax = new float[Nf4.blocks(n)];
            Nf4.quantise(w, 0, n, packed, absmax);
            for (int i = 0; i < n; i++)
                assertEquals(Float.floatToRawIntBits(Nf4.value(packed, absmax, i)), Float.floatToRawIntBits(nf4[i]), "nf4 " + rows + "×" + cols + " element " + i);
            float[] int8 = ((CpuPackedTensor) be.pack(WeightFormat.INT8, rows, cols, w, 0)).widen();
            byte[] q = new byte[n];
            float[] scales = new float[rows];
            Int8Rows.quantise(w, 0, rows, cols, q, scales);
            float[] want = new float[cols];
            for (int r = 0; r < rows; r++) {
                Int8Rows.dequantise(q, scales, cols, r, 0, cols, want, 0);
                for (int c = 0; c < cols; c++)
                    assertEquals(Float.floatToRawIntBits(want[c]), Float.floatToRawIntBits(int8[r * cols + c]), "int8 " + rows + "×" + cols + " at " + r + "," + c);
            }
        }
    }
}
