package org.grpo4j.backend.cpu;

import static org.grpo4j.backend.cpu.Gemm.L;
import static org.grpo4j.backend.cpu.Gemm.MR;
import static org.grpo4j.backend.cpu.Gemm.NR;
import static org.grpo4j.backend.cpu.Gemm.S;

import jdk.incubator.vector.FloatVector;

/**
 * {@link Gemm}'s left operand packed as row panels where its rows run along the depth (NT, NN) and a slab spans one
 * column block: {@link Gemm#MR} rows copied as they are, {@link #RS} floats apart, and a kernel that broadcasts
 * {@code A(r, p)} from {@code ap[r·RS + p]} instead of from a {@code [depth][MR]} micro-panel. The copy is one
 * contiguous run per row where the micro-panel needed 16 × 16 register transposes of 16-row reads of which 12 rows were
 * kept (~0.2 ns per value, Xeon, one thread, L2-hot): 10–13 % of a product of 128 output columns, 17–24 % of the LM
 * head's 64, against ~2 % where a packed row meets 704 columns or more. {@code RS} is a constant, so the twelve
 * broadcasts of a depth step are one index register and twelve fixed displacements, as in the micro-panel kernel; the
 * FMAs are the same in the same order, so C is bit-identical. {@code -Dgrpo4j.gemm.rowPanels=false} packs micro-panels.
 *
 * <p>The depth loop runs on two induction variables (A and B offsets): with one loop index and both offsets derived
 * from it, C2 kept one more general register live, reloaded B's base from the stack every iteration and spilled a second
 * accumulator, and the kernel lost more than the copy saved (bench-s shapes 0.86–0.95× at one thread); a one-step loop
 * broke even.
 */
final class RowPanels {
    /** Pack row panels for NT/NN products (tests flip it to pin the two layouts to each other). */
    static boolean enabled = !"false".equals(System.getProperty("grpo4j.gemm.rowPanels"));
    /**
     * Floats between the packed rows: a whole depth block with its zero step, rounded to an odd number of 64-byte lines
     * so that the twelve rows fall into different L1 sets (528 floats, 33 lines, for a depth block of 512).
     */
    static final int RS = oddLines(Gemm.KC + 1);
    /** Floats per packed row panel. */
    static final int PANEL = MR * RS;

    private RowPanels() {}

    private static int oddLines(int floats) {
        int lines = (floats + 15) / 16;
        return 16 * (lines | 1);
    }

    /**
     * Packs rows {@code [ic, ie)} of A ({@code A(r, p) = a[aOff + r·ars + p]}) at depth {@code pc} as row panels,
     * {@link #PANEL} floats apart; rows past {@code r1} and the depth steps {@code [kc, kcp)} are zero.
     */
    static void pack(float[] ap, float[] a, int aOff, int ars, int ic, int ie, int r1, int pc, int kc, int kcp) {
        for (int i0 = ic; i0 < ie; i0 += MR) {
            int o = (i0 - ic) / MR * PANEL, mr = Math.min(MR, r1 - i0);
            for (int r = 0; r < mr; r++) {
                int d = o + r * RS;
                System.arraycopy(a, aOff + (i0 + r) * ars + pc, ap, d, kc);
                for (int p = kc; p < kcp; p++) ap[d + p] = 0f;
            }
            for (int r = mr; r < MR; r++) {
                for (int p = 0, d = o + r * RS; p < kcp; p++) ap[d + p] = 0f;
            }
        }
    }

    /** {@link Gemm}'s block of micro-kernels over row panels: rows {@code [ic, ie)} from {@code ap[apI]} on. */
    static void blockKernels(float[] ap, int apI, float[] bp, float[] tile, float[] zeros, float[] c, int cOff, int ldc,
                             int ic, int ie, int r1, int jc, int nc, int j1, int kcp, boolean load) {
        int panels = (nc + NR - 1) / NR;
        for (int i0 = ic; i0 < ie; i0 += MR) {
            int mr = Math.min(MR, r1 - i0), aI = apI + (i0 - ic) / MR * PANEL;
            for (int q = 0; q < panels; q++) {
                int jq = jc + q * NR, nr = Math.min(NR, j1 - jq);
                boolean full = mr == MR && nr == NR;
                // full tiles read and write C in place; edge tiles go through the scratch tile
                float[] cin = full && load ? c : zeros;
                int cinI = full && load ? cOff + i0 * ldc + jq : 0, cinLd = full && load ? ldc : 0;
                float[] cout = full ? c : tile;
                int coutI = full ? cOff + i0 * ldc + jq : 0, coutLd = full ? ldc : NR;
                kernel(ap, aI, bp, q * kcp * NR, kcp, cin, cinI, cinLd, cout, coutI, coutLd);
                if (!full) Gemm.mergeTile(tile, c, cOff + i0 * ldc + jq, ldc, mr, nr, load);
            }
        }
    }

    /**
     * {@code cout[r, j] = cin[r, j] + Σ_p ap[aI + r·RS + p] · bp[bI + p·NR + j]} for an even {@code kc}: Gemm's
     * micro-kernel (same registers, same order of FMAs) with the left operand read from row panels.
     */
    private static void kernel(float[] ap, int aI, float[] bp, int bI, int kc, float[] cin, int cinI, int cinLd,
                               float[] cout, int coutI, int coutLd) {
        int o = cinI;
        FloatVector c00 = FloatVector.fromArray(S, cin, o), c01 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c10 = FloatVector.fromArray(S, cin, o), c11 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c20 = FloatVector.fromArray(S, cin, o), c21 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c30 = FloatVector.fromArray(S, cin, o), c31 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c40 = FloatVector.fromArray(S, cin, o), c41 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c50 = FloatVector.fromArray(S, cin, o), c51 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c60 = FloatVector.fromArray(S, cin, o), c61 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c70 = FloatVector.fromArray(S, cin, o), c71 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c80 = FloatVector.fromArray(S, cin, o), c81 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c90 = FloatVector.fromArray(S, cin, o), c91 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c100 = FloatVector.fromArray(S, cin, o), c101 = FloatVector.fromArray(S, cin, o + L); o += cinLd;
        FloatVector c110 = FloatVector.fromArray(S, cin, o), c111 = FloatVector.fromArray(S, cin, o + L);
        for (int ao = aI, bo = bI, end = aI + kc; ao < end; ao += 2, bo += 2 * NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[ao]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + RS]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2 * RS]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3 * RS]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4 * RS]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5 * RS]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ao + 6 * RS]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ao + 7 * RS]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[ao + 8 * RS]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[ao + 9 * RS]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[ao + 10 * RS]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[ao + 11 * RS]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            b0 = FloatVector.fromArray(S, bp, bo + NR); b1 = FloatVector.fromArray(S, bp, bo + NR + L);
            x = FloatVector.broadcast(S, ap[ao + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + RS + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2 * RS + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3 * RS + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4 * RS + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5 * RS + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ao + 6 * RS + 1]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ao + 7 * RS + 1]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[ao + 8 * RS + 1]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[ao + 9 * RS + 1]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[ao + 10 * RS + 1]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[ao + 11 * RS + 1]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        o = coutI;
        c00.intoArray(cout, o); c01.intoArray(cout, o + L); o += coutLd;
        c10.intoArray(cout, o); c11.intoArray(cout, o + L); o += coutLd;
        c20.intoArray(cout, o); c21.intoArray(cout, o + L); o += coutLd;
        c30.intoArray(cout, o); c31.intoArray(cout, o + L); o += coutLd;
        c40.intoArray(cout, o); c41.intoArray(cout, o + L); o += coutLd;
        c50.intoArray(cout, o); c51.intoArray(cout, o + L); o += coutLd;
        c60.intoArray(cout, o); c61.intoArray(cout, o + L); o += coutLd;
        c70.intoArray(cout, o); c71.intoArray(cout, o + L); o += coutLd;
        c80.intoArray(cout, o); c81.intoArray(cout, o + L); o += coutLd;
        c90.intoArray(cout, o); c91.intoArray(cout, o + L); o += coutLd;
        c100.intoArray(cout, o); c101.intoArray(cout, o + L); o += coutLd;
        c110.intoArray(cout, o); c111.intoArray(cout, o + L);
    }
}
