package org.grpo4j.quant;

/**
 * NormalFloat-4 (QLoRA, Dettmers et al. 2023; bitsandbytes {@code quant_type="nf4"}): a weight tensor is cut,
 * flattened row-major, into blocks of {@value #BLOCK}; each block stores its absolute maximum as a float and
 * every element as the 4-bit index of the nearest value of {@link #CODE} to {@code w / absmax}. Two indices per
 * byte, the first element of a pair in the high nibble (bitsandbytes' order). bitsandbytes' optional double
 * quantisation of the absmax values is not done: it saves 0.37 bits per weight and costs a second lookup.
 *
 * <p>Error bound: {@code |w − dequant(w)| ≤ absmax · (CODE[1] − CODE[0]) / 2 ≈ 0.152 · absmax} per block (the
 * widest gap between neighbouring code values is the bottom one: NF4 is asymmetric), plus float rounding.
 */
public final class Nf4 {
    /** Elements per absmax block. */
    public static final int BLOCK = 64;

    /** The 16 NF4 values: quantiles of N(0, 1) scaled to [−1, 1], with an exact zero (bitsandbytes' table). */
    public static final float[] CODE = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    private static final float[] MIDPOINTS = new float[15];

    /** The largest gap between neighbouring code values (the bottom one, −1 to −0.696), halved: the worst rounding error for absmax 1. */
    public static final float HALF_GAP;

    static {
        float gap = 0;
        for (int i = 0; i < 15; i++) {
            MIDPOINTS[i] = (CODE[i] + CODE[i + 1]) / 2;
            gap = Math.max(gap, CODE[i + 1] - CODE[i]);
        }
        HALF_GAP = gap / 2;
    }

    private Nf4() {}

    /** Bytes for {@code n} packed indices. */
    public static int packedBytes(long n) {
        return Math.toIntExact((n + 1) / 2);
    }

    public static int blocks(long n) {
        return Math.toIntExact((n + BLOCK - 1) / BLOCK);
    }

    /** The index of the code value nearest to {@code x} (a value in [−1, 1]); ties go up, as bitsandbytes' tree. */
    public static int index(float x) {
        int lo = 0, hi = 15; // binary search over the 15 midpoints
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x > MIDPOINTS[mid]) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Quantises {@code n} values of {@code src[srcOff..]}: element {@code i} goes to {@code packed} and its block's
     * absmax to {@code absmax[i / BLOCK]}. A block of zeros gets absmax 0 and dequantises to zeros.
     */
    public static void quantise(float[] src, int srcOff, int n, byte[] packed, float[] absmax) {
        for (int b = 0, blocks = blocks(n); b < blocks; b++) {
            int from = b * BLOCK, to = Math.min(n, from + BLOCK);
            float max = 0;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(src[srcOff + i]));
            absmax[b] = max;
            float inv = max == 0 ? 0 : 1 / max;
            for (int i = from; i < to; i++) {
                int q = index(src[srcOff + i] * inv);
                int at = i >>> 1;
                packed[at] = (i & 1) == 0 ? (byte) (q << 4) : (byte) (packed[at] | q);
            }
        }
    }

    /** The value of element {@code i}. */
    public static float value(byte[] packed, float[] absmax, long i) {
        int q = (packed[(int) (i >>> 1)] >>> ((i & 1) == 0 ? 4 : 0)) & 15;
        return CODE[q] * absmax[(int) (i / BLOCK)];
    }

    /** Widens elements {@code [from, from + n)} into {@code dst[dstOff..]}. */
    public static void dequantise(byte[] packed, float[] absmax, long from, int n, float[] dst, int dstOff) {
        long i = from, end = from + n;
        int o = dstOff;
        if ((i & 1) == 1 && i < end) dst[o++] = value(packed, absmax, i++);
        while (i < end) {
            float scale = absmax[(int) (i / BLOCK)];
            long blockEnd = Math.min(end, (i / BLOCK + 1) * BLOCK);
            for (; i + 1 < blockEnd; i += 2) {
                int b = packed[(int) (i >>> 1)];
                dst[o++] = CODE[(b >>> 4) & 15] * scale;
                dst[o++] = CODE[b & 15] * scale;
            }
            if (i < blockEnd) dst[o++] = value(packed, absmax, i++);
        }
    }
}
