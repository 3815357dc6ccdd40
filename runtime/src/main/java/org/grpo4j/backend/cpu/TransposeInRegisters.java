package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A head's rows transposed sixteen at a time in registers, for {@link AttentionByQueryLanes}' query tile: sixteen row
 * loads of sixteen floats, four stages of two-source lane selections (each pairs rows 8, 4, 2, then 1 apart and swaps
 * the off-diagonal halves of their blocks), sixteen stores. The gather transpose ({@link Attention#transpose}) checks
 * each index and touched sixteen rows 4 KB apart per gather: it was a fifth of the no-grad forward's time at hd 64
 * (h18a). Pure moves and the same products {@code a·x}: the tile's bits are the gather transpose's. AVX-512 lanes only
 * ({@link #applies}); {@code -Dgrpo4j.attention.registerTranspose=false} keeps the gathers
 * ({@link AttentionByQueryLanes#REGISTER_TRANSPOSE}).
 */
final class TransposeInRegisters {
    private TransposeInRegisters() {}

    private static final VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    /** Whether the sixteen-lane transpose applies to heads of {@code hd}. */
    static boolean applies(int hd) {
        return W == 16 && hd % 16 == 0;
    }

    /** Per stage (rows {@code b} = 8, 4, 2, 1 apart), the lanes of the lower row's result and of the upper row's, as selectFrom indices. */
    private static final float[] LO = new float[4 * 16], HI = new float[4 * 16];
    static {
        for (int k = 0, b = 8; k < 4; k++, b /= 2)
            for (int c = 0; c < 16; c++) {
                boolean left = (c & b) == 0;
                LO[16 * k + c] = left ? c : 16 + c - b;
                HI[16 * k + c] = left ? c + b : 16 + c;
            }
    }

    /**
     * {@code tile[i·Tp + t] = a · src[so + t·stride + i]} for {@code t < T}, {@code i < hd}, and zero for {@code T ≤ t <
     * Tp} ({@code Tp} a multiple of 16, {@code hd} too).
     */
    static void transposed(float[] tile, int Tp, float[] src, int so, int stride, int T, int hd, float a) {
        int t0 = 0;
        for (; t0 + 16 <= T; t0 += 16)
            for (int i0 = 0; i0 < hd; i0 += 16) block(tile, Tp, src, so + t0 * stride + i0, stride, 16, t0, i0, a);
        if (t0 < T)
            for (int i0 = 0; i0 < hd; i0 += 16) block(tile, Tp, src, so + t0 * stride + i0, stride, T - t0, t0, i0, a);
        int filled = (T + 15) / 16 * 16;
        for (int i = 0; i < hd; i++) java.util.Arrays.fill(tile, i * Tp + filled, (i + 1) * Tp, 0f);
    }

    /** One 16 × 16 block: rows {@code k < n} from {@code src[s + k·stride ..]} (later rows zero) to the tile's columns {@code t0 + k}, rows {@code i0 ..}. */
    private static void block(float[] tile, int Tp, float[] src, int s, int stride, int n, int t0, int i0, float a) {
        FloatVector r0 = FloatVector.fromArray(S, src, s).mul(a);
        FloatVector r1 = row(src, s + 1 * stride, 1 < n, a);
        FloatVector r2 = row(src, s + 2 * stride, 2 < n, a);
        FloatVector r3 = row(src, s + 3 * stride, 3 < n, a);
        FloatVector r4 = row(src, s + 4 * stride, 4 < n, a);
        FloatVector r5 = row(src, s + 5 * stride, 5 < n, a);
        FloatVector r6 = row(src, s + 6 * stride, 6 < n, a);
        FloatVector r7 = row(src, s + 7 * stride, 7 < n, a);
        FloatVector r8 = row(src, s + 8 * stride, 8 < n, a);
        FloatVector r9 = row(src, s + 9 * stride, 9 < n, a);
        FloatVector r10 = row(src, s + 10 * stride, 10 < n, a);
        FloatVector r11 = row(src, s + 11 * stride, 11 < n, a);
        FloatVector r12 = row(src, s + 12 * stride, 12 < n, a);
        FloatVector r13 = row(src, s + 13 * stride, 13 < n, a);
        FloatVector r14 = row(src, s + 14 * stride, 14 < n, a);
        FloatVector r15 = row(src, s + 15 * stride, 15 < n, a);
        FloatVector lo = FloatVector.fromArray(S, LO, 0), hi = FloatVector.fromArray(S, HI, 0), x;
        x = lo.selectFrom(r0, r8);
        r8 = hi.selectFrom(r0, r8);
        r0 = x;
        x = lo.selectFrom(r1, r9);
        r9 = hi.selectFrom(r1, r9);
        r1 = x;
        x = lo.selectFrom(r2, r10);
        r10 = hi.selectFrom(r2, r10);
        r2 = x;
        x = lo.selectFrom(r3, r11);
        r11 = hi.selectFrom(r3, r11);
        r3 = x;
        x = lo.selectFrom(r4, r12);
        r12 = hi.selectFrom(r4, r12);
        r4 = x;
        x = lo.selectFrom(r5, r13);
        r13 = hi.selectFrom(r5, r13);
        r5 = x;
        x = lo.selectFrom(r6, r14);
        r14 = hi.selectFrom(r6, r14);
        r6 = x;
        x = lo.selectFrom(r7, r15);
        r15 = hi.selectFrom(r7, r15);
        r7 = x;
        lo = FloatVector.fromArray(S, LO, 16);
        hi = FloatVector.fromArray(S, HI, 16);
        x = lo.selectFrom(r0, r4);
        r4 = hi.selectFrom(r0, r4);
        r0 = x;
        x = lo.selectFrom(r1, r5);
        r5 = hi.selectFrom(r1, r5);
        r1 = x;
        x = lo.selectFrom(r2, r6);
        r6 = hi.selectFrom(r2, r6);
        r2 = x;
        x = lo.selectFrom(r3, r7);
        r7 = hi.selectFrom(r3, r7);
        r3 = x;
        x = lo.selectFrom(r8, r12);
        r12 = hi.selectFrom(r8, r12);
        r8 = x;
        x = lo.selectFrom(r9, r13);
        r13 = hi.selectFrom(r9, r13);
        r9 = x;
        x = lo.selectFrom(r10, r14);
        r14 = hi.selectFrom(r10, r14);
        r10 = x;
        x = lo.selectFrom(r11, r15);
        r15 = hi.selectFrom(r11, r15);
        r11 = x;
        lo = FloatVector.fromArray(S, LO, 32);
        hi = FloatVector.fromArray(S, HI, 32);
        x = lo.selectFrom(r0, r2);
        r2 = hi.selectFrom(r0, r2);
        r0 = x;
        x = lo.selectFrom(r1, r3);
        r3 = hi.selectFrom(r1, r3);
        r1 = x;
        x = lo.selectFrom(r4, r6);
        r6 = hi.selectFrom(r4, r6);
        r4 = x;
        x = lo.selectFrom(r5, r7);
        r7 = hi.selectFrom(r5, r7);
        r5 = x;
        x = lo.selectFrom(r8, r10);
        r10 = hi.selectFrom(r8, r10);
        r8 = x;
        x = lo.selectFrom(r9, r11);
        r11 = hi.selectFrom(r9, r11);
        r9 = x;
        x = lo.selectFrom(r12, r14);
        r14 = hi.selectFrom(r12, r14);
        r12 = x;
        x = lo.selectFrom(r13, r15);
        r15 = hi.selectFrom(r13, r15);
        r13 = x;
        lo = FloatVector.fromArray(S, LO, 48);
        hi = FloatVector.fromArray(S, HI, 48);
        x = lo.selectFrom(r0, r1);
        r1 = hi.selectFrom(r0, r1);
        r0 = x;
        x = lo.selectFrom(r2, r3);
        r3 = hi.selectFrom(r2, r3);
        r2 = x;
        x = lo.selectFrom(r4, r5);
        r5 = hi.selectFrom(r4, r5);
        r4 = x;
        x = lo.selectFrom(r6, r7);
        r7 = hi.selectFrom(r6, r7);
        r6 = x;
        x = lo.selectFrom(r8, r9);
        r9 = hi.selectFrom(r8, r9);
        r8 = x;
        x = lo.selectFrom(r10, r11);
        r11 = hi.selectFrom(r10, r11);
        r10 = x;
        x = lo.selectFrom(r12, r13);
        r13 = hi.selectFrom(r12, r13);
        r12 = x;
        x = lo.selectFrom(r14, r15);
        r15 = hi.selectFrom(r14, r15);
        r14 = x;
        int o = i0 * Tp + t0;
        r0.intoArray(tile, o + 0 * Tp);
        r1.intoArray(tile, o + 1 * Tp);
        r2.intoArray(tile, o + 2 * Tp);
        r3.intoArray(tile, o + 3 * Tp);
        r4.intoArray(tile, o + 4 * Tp);
        r5.intoArray(tile, o + 5 * Tp);
        r6.intoArray(tile, o + 6 * Tp);
        r7.intoArray(tile, o + 7 * Tp);
        r8.intoArray(tile, o + 8 * Tp);
        r9.intoArray(tile, o + 9 * Tp);
        r10.intoArray(tile, o + 10 * Tp);
        r11.intoArray(tile, o + 11 * Tp);
        r12.intoArray(tile, o + 12 * Tp);
        r13.intoArray(tile, o + 13 * Tp);
        r14.intoArray(tile, o + 14 * Tp);
        r15.intoArray(tile, o + 15 * Tp);
    }

    private static FloatVector row(float[] src, int at, boolean present, float a) {
        return present ? FloatVector.fromArray(S, src, at).mul(a) : FloatVector.zero(S);
    }
}
