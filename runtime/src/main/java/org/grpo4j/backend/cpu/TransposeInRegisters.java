package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A head's rows transposed sixteen at a time in registers ({@link Gemm#transpose16}: sixteen row loads, four stages of
 * two-source lane selections, sixteen stores), for {@link AttentionByQueryLanes}' query tile. The gather transpose
 * ({@link Attention#transpose}) checks each index and touched sixteen rows 4 KB apart per gather: it was a fifth of the
 * no-grad forward's time at hd 64 (h18a). Pure moves, then the same products {@code a·x}: the tile's bits are the
 * gather transpose's. AVX-512 lanes only ({@link #applies}); {@code -Dgrpo4j.attention.registerTranspose=false} keeps
 * the gathers ({@link AttentionByQueryLanes#REGISTER_TRANSPOSE}).
 */
final class TransposeInRegisters {
    private TransposeInRegisters() {}

    private static final VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;
    /** The last rows of a tile when fewer than sixteen are left, zero-padded to a whole block. */
    private static final ThreadLocal<float[]> PAD = ThreadLocal.withInitial(() -> new float[16 * 16]);

    /** Whether the sixteen-lane transpose applies to heads of {@code hd}. */
    static boolean applies(int hd) {
        return W == 16 && hd % 16 == 0;
    }

    /**
     * {@code tile[i·Tp + t] = a · src[so + t·stride + i]} for {@code t < T}, {@code i < hd}, and zero for {@code T ≤ t <
     * Tp} ({@code Tp} a multiple of 16, {@code hd} too).
     */
    static void transposed(float[] tile, int Tp, float[] src, int so, int stride, int T, int hd, float a) {
        int t0 = 0;
        for (; t0 + 16 <= T; t0 += 16)
            for (int i0 = 0; i0 < hd; i0 += 16) Gemm.transpose16(src, so + t0 * stride + i0, stride, tile, i0 * Tp + t0, Tp);
        if (t0 < T) {
            float[] pad = PAD.get();
            for (int i0 = 0; i0 < hd; i0 += 16) {
                for (int k = 0; k < 16; k++) {
                    if (t0 + k < T) System.arraycopy(src, so + (t0 + k) * stride + i0, pad, 16 * k, 16);
                    else java.util.Arrays.fill(pad, 16 * k, 16 * k + 16, 0f);
                }
                Gemm.transpose16(pad, 0, 16, tile, i0 * Tp + t0, Tp);
            }
        }
        int filled = (T + 15) / 16 * 16;
        FloatVector av = FloatVector.broadcast(S, a);
        for (int i = 0; i < hd; i++) {
            if (a != 1f)
                for (int t = i * Tp; t < i * Tp + filled; t += W) FloatVector.fromArray(S, tile, t).mul(av).intoArray(tile, t);
            java.util.Arrays.fill(tile, i * Tp + filled, (i + 1) * Tp, 0f);
        }
    }
}
