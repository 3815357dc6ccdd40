package org.grpo4j.backend.opencl;

import org.grpo4j.opencl.Buffer;
import org.grpo4j.opencl.ClSession;
import org.grpo4j.opencl.Kernel;

/**
 * The three matrix products of a linear layer on the device ({@code kernels/gemm.cl}).
 *
 * <p>Two kernel families, chosen once per session from the device type and logged: {@code tiled} (local-memory
 * tiles, for GPUs) and {@code vector} (explicit float16 register blocks, for CPU drivers such as PoCL, which do
 * not vectorise scalar kernels well). {@code -Dgrpo4j.opencl.gemm=tiled|vector} forces one, so the GPU path is
 * tested on PoCL too; {@code -Dgrpo4j.opencl.transpose=false} runs the CPU kernels without their transposes.
 * Every offset is in floats within its buffer.
 */
public final class Gemm {
    /** Tile geometry of {@code gemm_tiled}: compile-time sizes, passed as defines. */
    static final int TSM = 64, TSN = 64, TSK = 16, WPTM = 4, WPTN = 4;
    /** Register blocks of the CPU kernels. */
    static final int RM = 6, DM = 4, DN = 4;

    private final ClSession session;
    private final boolean tiled;
    private final Kernel gemmTiled, gemmRowB, gemmDot, transpose;
    /**
     * CPU path: NT transposes w so gemm_rowb can run (else gemm_dot runs on w directly); TN transposes dOut so each
     * work-item streams whole rows rather than 6 floats of every cache line (2-3x faster on PoCL, measured).
     */
    private final boolean viaTranspose;
    private Buffer scratch;

    public Gemm(ClSession session) {
        this(session, switch (System.getProperty("grpo4j.opencl.gemm", "")) {
            case "tiled" -> true;
            case "vector" -> false;
            case "" -> !session.device().isCpu();
            default -> throw new IllegalArgumentException("-Dgrpo4j.opencl.gemm must be tiled or vector, got '"
                    + System.getProperty("grpo4j.opencl.gemm") + "'");
        }, !System.getProperty("grpo4j.opencl.transpose", "true").equals("false"));
    }

    /** {@code tiled}: the local-memory kernel whatever the device (tests run the GPU path on PoCL this way). */
    Gemm(ClSession session, boolean tiled, boolean viaTranspose) {
        this.session = session;
        this.tiled = tiled;
        this.viaTranspose = viaTranspose;
        String defines = "-DTSM=" + TSM + " -DTSN=" + TSN + " -DTSK=" + TSK + " -DWPTM=" + WPTM + " -DWPTN=" + WPTN
                + " -DRM=" + RM + " -DDM=" + DM + " -DDN=" + DN;
        if (tiled) {
            gemmTiled = session.kernel("gemm.cl", "gemm_tiled", defines);
            gemmRowB = gemmDot = null;
        } else {
            gemmTiled = null;
            gemmRowB = session.kernel("gemm.cl", "gemm_rowb", defines);
            gemmDot = session.kernel("gemm.cl", "gemm_dot", defines);
        }
        transpose = tiled ? null : session.kernel("gemm.cl", "transpose", defines);
    }

    /** {@code tiled} or {@code vector}: which kernel family this session runs. */
    public String variant() {
        return tiled ? "tiled (local-memory " + TSM + "x" + TSN + "x" + TSK + " tiles)" : "vector (float16 register blocks)";
    }

    /** Forward: {@code out[M,N] (+)= a[M,K] · w[N,K]ᵀ (+ bias[N])}; {@code bias} may be null. */
    public void nt(Buffer out, long outOff, Buffer a, long aOff, Buffer w, long wOff, Buffer bias, long biasOff,
                   int M, int N, int K, boolean accumulate) {
        Ops.checkMatrix(out, outOff, (long) M * N, "out");
        Ops.checkMatrix(a, aOff, (long) M * K, "in");
        Ops.checkMatrix(w, wOff, (long) N * K, "w");
        if (bias != null) Ops.checkMatrix(bias, biasOff, N, "bias");
        if (tiled) launchTiled(M, N, K, a, aOff, K, 1, w, wOff, 1, K, out, outOff, N, bias, biasOff, accumulate);
        else if (viaTranspose) {
            // wT[K,N] = w[N,K]ᵀ makes B contiguous along the output columns, the form the float16 kernel wants
            Buffer wT = transposed(w, wOff, N, K);
            launchRowB(M, N, K, a, aOff, K, 1, wT, 0, N, out, outOff, N, bias, biasOff, accumulate);
        } else {
            Kernel k = gemmDot;
            k.arg(0, M).arg(1, N).arg(2, K)
                    .arg(3, a).arg(4, Ops.i(aOff)).arg(5, K)
                    .arg(6, w).arg(7, Ops.i(wOff)).arg(8, K)
                    .arg(9, out).arg(10, Ops.i(outOff)).arg(11, N)
                    .arg(12, bias).arg(13, Ops.i(biasOff)).arg(14, bias != null ? 1 : 0).arg(15, accumulate ? 1 : 0);
            k.launch(session.queue(), Ops.ceilDiv(N, DN), Ops.ceilDiv(M, DM), 1, 1);
        }
    }

    /** Gradient to the input: {@code dIn[M,K] (+)= dOut[M,N] · w[N,K]}. */
    public void nn(Buffer dIn, long dInOff, Buffer dOut, long dOutOff, Buffer w, long wOff, int M, int N, int K, boolean accumulate) {
        Ops.checkMatrix(dIn, dInOff, (long) M * K, "dIn");
        Ops.checkMatrix(dOut, dOutOff, (long) M * N, "dOut");
        Ops.checkMatrix(w, wOff, (long) N * K, "w");
        if (tiled) launchTiled(M, K, N, dOut, dOutOff, N, 1, w, wOff, K, 1, dIn, dInOff, K, null, 0, accumulate);
        else launchRowB(M, K, N, dOut, dOutOff, N, 1, w, wOff, K, dIn, dInOff, K, null, 0, accumulate);
    }

    /** Gradient to the weight, accumulating: {@code dW[N,K] += dOut[M,N]ᵀ · in[M,K]}. */
    public void tn(Buffer dW, long dWOff, Buffer dOut, long dOutOff, Buffer in, long inOff, int M, int N, int K) {
        Ops.checkMatrix(dW, dWOff, (long) N * K, "dW");
        Ops.checkMatrix(dOut, dOutOff, (long) M * N, "dOut");
        Ops.checkMatrix(in, inOff, (long) M * K, "in");
        if (tiled) launchTiled(N, K, M, dOut, dOutOff, 1, N, in, inOff, K, 1, dW, dWOff, K, null, 0, true);
        else if (viaTranspose) {
            Buffer dOutT = transposed(dOut, dOutOff, M, N);
            launchRowB(N, K, M, dOutT, 0, M, 1, in, inOff, K, dW, dWOff, K, null, 0, true);
        } else launchRowB(N, K, M, dOut, dOutOff, 1, N, in, inOff, K, dW, dWOff, K, null, 0, true);
    }

    /** {@code x[R,C]ᵀ} in the scratch buffer (grown on demand; one transpose in flight at a time). */
    private Buffer transposed(Buffer x, long off, int R, int C) {
        long need = (long) R * C;
        if (scratch == null || scratch.bytes() < need * 4) {
            if (scratch != null) scratch.close();
            scratch = session.allocate(need);
        }
        transpose.arg(0, scratch).arg(1, 0).arg(2, x).arg(3, Ops.i(off)).arg(4, R).arg(5, C);
        transpose.launch(session.queue(), (long) Ops.ceilDiv(C, 16) * 16, (long) Ops.ceilDiv(R, 16) * 16, 16, 16);
        return scratch;
    }

    /** Releases the transpose scratch (the kernels belong to the session). */
    void close() {
        if (scratch != null) {
            scratch.close();
            scratch = null;
        }
    }

    private void launchTiled(int I, int J, int P, Buffer A, long aOff, int sai, int sap, Buffer B, long bOff, int sbp, int sbj,
                             Buffer C, long cOff, int ldc, Buffer bias, long biasOff, boolean accumulate) {
        Kernel k = gemmTiled;
        k.arg(0, I).arg(1, J).arg(2, P)
                .arg(3, A).arg(4, Ops.i(aOff)).arg(5, sai).arg(6, sap)
                .arg(7, B).arg(8, Ops.i(bOff)).arg(9, sbp).arg(10, sbj)
                .arg(11, C).arg(12, Ops.i(cOff)).arg(13, ldc)
                .arg(14, bias).arg(15, Ops.i(biasOff)).arg(16, bias != null ? 1 : 0).arg(17, accumulate ? 1 : 0);
        int rtsn = TSN / WPTN, rtsm = TSM / WPTM;
        k.launch(session.queue(), (long) Ops.ceilDiv(J, TSN) * rtsn, (long) Ops.ceilDiv(I, TSM) * rtsm, rtsn, rtsm);
    }

    private void launchRowB(int I, int J, int P, Buffer A, long aOff, int sai, int sap, Buffer B, long bOff, int sbp,
                            Buffer C, long cOff, int ldc, Buffer bias, long biasOff, boolean accumulate) {
        Kernel k = gemmRowB;
        k.arg(0, I).arg(1, J).arg(2, P)
                .arg(3, A).arg(4, Ops.i(aOff)).arg(5, sai).arg(6, sap)
                .arg(7, B).arg(8, Ops.i(bOff)).arg(9, sbp)
                .arg(10, C).arg(11, Ops.i(cOff)).arg(12, ldc)
                .arg(13, bias).arg(14, Ops.i(biasOff)).arg(15, bias != null ? 1 : 0).arg(16, accumulate ? 1 : 0);
        // one work-item per group: PoCL compiles a kernel once per group shape, so a fixed shape compiles once for
        // every matrix size (a driver-chosen shape follows the global size and recompiles), and a work-item
        // already holds a whole register block
        k.launch(session.queue(), Ops.ceilDiv(I, RM), Ops.ceilDiv(J, 32), 1, 1);
    }
}
