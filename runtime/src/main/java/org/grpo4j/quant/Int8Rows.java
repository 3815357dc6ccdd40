package org.grpo4j.quant;

/**
 * Int8 weights with one scale per output row ({@code load_in_8bit}; the row-wise absmax of LLM.int8,
 * Dettmers et al. 2022): {@code q = round(127 · w / absmax_row)}, {@code w ≈ q · absmax_row / 127}. LLM.int8's
 * fp16 outlier columns are not kept: the frozen base is only ever multiplied in fp32 here, and the error bound
 * below holds for every element.
 *
 * <p>Error bound: {@code |w − dequant(w)| ≤ absmax_row / 254} (half a quantisation step), plus float rounding.
 */
public final class Int8Rows {
    private Int8Rows() {}

    /** Quantises a {@code rows × cols} matrix; {@code scales[r] = absmax_r / 127}. */
    public static void quantise(float[] src, int srcOff, int rows, int cols, byte[] q, float[] scales) {
        for (int r = 0; r < rows; r++) {
            int base = srcOff + r * cols;
            float max = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, Math.abs(src[base + c]));
            float scale = max / 127f;
            scales[r] = scale;
            float inv = max == 0 ? 0 : 127f / max;
            for (int c = 0; c < cols; c++) q[r * cols + c] = (byte) Math.max(-127, Math.min(127, Math.round(src[base + c] * inv)));
        }
    }

    /** Widens row {@code r}, columns {@code [c0, c0 + n)}, into {@code dst[dstOff..]}. */
    public static void dequantise(byte[] q, float[] scales, int cols, int r, int c0, int n, float[] dst, int dstOff) {
        float s = scales[r];
        int base = r * cols + c0;
        for (int c = 0; c < n; c++) dst[dstOff + c] = q[base + c] * s;
    }
}
