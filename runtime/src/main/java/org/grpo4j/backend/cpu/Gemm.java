package org.grpo4j.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * fp32 matrix products for the linear layers of the CPU backend: forward ({@link #matmulNT}), gradient to the
 * input ({@link #matmulNN}), gradient to the weight ({@link #matmulTN}) and to the bias ({@link #sumRows}).
 * Every array is row-major and addressed through an offset, so callers pass views into one flat allocation.
 *
 * <p>Design (GotoBLAS/BLIS style, written for the Vector API). The micro-kernel keeps an {@code MR × NR}
 * tile of the output ({@value #MR} rows × two vectors) in 24 vector registers and, per step of the
 * reduction, loads two vectors of a packed panel of the right operand and broadcasts {@value #MR} scalars of
 * the left one: 24 FMAs for 2 vector loads and 12 scalar loads, two depth steps per loop iteration. The
 * right operand is packed in depth blocks of {@link #KC} into {@link #NR}-wide panels ({@code [k][NR]}, L2
 * resident, one {@link #NC}-column block at a time); the NT weight ({@code [N,K]}) is transposed on the way
 * with a 16 × 16 in-register transpose. The left operand is packed too, {@link #MC} rows at a time (L2 resident) as
 * micro-panels of {@code MR} rows, {@code [k][MR]} (L1 resident, reused by every panel of the block): by the same
 * register transposes when its rows run along the reduction (NT, NN), a vector per depth step and micro-panel when
 * they run across it (TN); a slab spanning several column blocks packs its rows once per depth block instead
 * (see {@link #PACK_A_ONCE}). One packed
 * stream instead of eight row streams took the NT/NN kernel from ~100 to ~125 GFLOP/s (Xeon, one thread): the
 * per-row address arithmetic had competed with the FMAs for their ports. Tails in any dimension are
 * zero-padded in the panels and written back through a scratch tile, so the kernel itself never branches on
 * sizes.
 *
 * <p>What keeps C2 on the fast path (each point cost 10-20× or 20% when violated, JDK 25 on Zen 4): the
 * kernels have no data-dependent branches (a bias is written into C before the product, "overwrite" reads a
 * row of zeros with stride 0, every packing variant is its own method), since C2 compiles a branch it never
 * saw taken as a trap and a deoptimised Vector API kernel runs as C1 code for seconds; they stay small
 * enough for C2 to inline every vector operation; only one FloatVector species is ever used (see
 * {@link #floatSpecies()}); and the depth loop's shape is chosen per machine (see {@link #STRIP}).
 *
 * <p>Threads: the output is cut into a few slabs per thread along its longer side (so the smaller operand is
 * the one every slab repacks), never thinner than {@link #SLAB_MIN} while each thread has one, claimed from a
 * counter inside one {@link Parallel#forRange} call; each thread packs what its slab needs into its own buffers.
 * One fork-join per product and no barriers: a fork costs 10–50 µs here, and a core shared with another process
 * only delays the slabs it has not yet claimed.
 *
 * <p>Few-row products (decode, short prompts: M ≤ {@link #SMALL_M} and the input within L2) are dominated by
 * reading the weight, so {@link #matmulNT} streams each weight row once for all rows as blocked dot products
 * instead of transposing it into panels: packing costs about as much as {@code 2·M} flops per weight element.
 *
 * <p>The vector width is {@code -Dgrpo4j.vectorBits} (64..512), default the platform's preferred species.
 * A call from inside a pool task runs on that thread alone (see {@link Parallel}). Calls from different
 * threads may run concurrently: all buffers are per thread.
 */
public final class Gemm {
    static final VectorSpecies<Float> S = VectorMath.F;
    /** Floats per vector. */
    static final int L = S.length();
    /** Rows of the output tile held in registers. */
    static final int MR = 12;
    /** Columns of the output tile held in registers (two vectors). */
    static final int NR = 2 * L;
    /** Depth of one packed block: the MR × KC packed rows of the left operand (24 KiB) stay in L1. */
    static final int KC = Integer.getInteger("grpo4j.gemm.kc", 512);
    /** Width of one packed block; KC × NC floats (1 MiB by default) stay in each core's L2. */
    static final int NC = roundUp(Integer.getInteger("grpo4j.gemm.nc", 512), NR);
    /** Transpose NT weights in registers (the scalar loop, {@code -Dgrpo4j.gemm.scalarPack=true}, is 3-4× slower). */
    static final boolean TRANSPOSE = !Boolean.getBoolean("grpo4j.gemm.scalarPack");
    /**
     * At most this many rows take the weight-streaming path of {@link #matmulNT} ... Its dot products end in horizontal
     * sums, which the packed kernel never does: on Zen 5 (one thread, CPU time) the packed path is 2–6× faster from 48
     * rows up at depths 128–1376 (a prefill's 128 rows: 16 → 94 GFLOP/s at depth 128) and even at 32.
     */
    static final int SMALL_M = Integer.getInteger("grpo4j.gemm.smallM", 32);
    /** ... and the rows of the input fit this many floats (1 MiB), so they stay in L2 while the weight streams. */
    static final int SMALL_M_INPUT_FLOATS = 1 << 18;

    private Gemm() {}

    /**
     * The float species every CPU kernel should use ({@code -Dgrpo4j.vectorBits}, default the preferred one).
     * Keep to this one: once a second FloatVector shape is loaded in the JVM, C2 can fail to devirtualise the
     * vector operations of a kernel it compiles late, leaving that kernel 10× slower.
     */
    public static VectorSpecies<Float> floatSpecies() {
        return S;
    }

    private static int roundUp(int x, int m) {
        return Math.max(m, (x + m - 1) / m * m);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Public API

    /**
     * {@code out[M,N] (+)= a[M,K] · w[N,K]ᵀ (+ bias[N])}: the forward of a linear layer with a weight in HF
     * layout {@code [out features, in features]}.
     *
     * @param bias       per-column bias added once, or {@code null}
     * @param accumulate add into {@code out} instead of overwriting it
     */
    public static void matmulNT(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff,
                                float[] bias, int biasOff, int M, int N, int K, boolean accumulate) {
        matmulNT(out, outOff, N, a, aOff, K, w, wOff, K, bias, biasOff, M, N, K, accumulate);
    }

    /**
     * {@link #matmulNT(float[], int, float[], int, float[], int, float[], int, int, int, int, boolean)} on
     * strided views: row {@code i} of {@code out}, {@code a}, {@code w} starts at {@code off + i·ld} (e.g. one
     * attention head's columns inside a {@code [tokens, heads·headDim]} activation).
     */
    public static void matmulNT(float[] out, int outOff, int ldOut, float[] a, int aOff, int lda,
                                float[] w, int wOff, int ldw, float[] bias, int biasOff,
                                int M, int N, int K, boolean accumulate) {
        matmulNT(out, outOff, ldOut, a, aOff, lda, w, wOff, ldw, null, bias, biasOff, M, N, K, accumulate);
    }

    /**
     * {@link #matmulNT} where a copy of the weight is already in the packed panel layout, {@code panels[panelsOff + (j /
     * NR)·K·NR + k·NR + j mod NR] = w[j, k]} with zero columns past {@code N} ({@link DecodeGemm#build}'s layout: the
     * two are one), as a fixed model keeps it: the blocked product then packs only its left operand. The copy is read
     * where the depth is even (it has no zero step to pad an odd last block); elsewhere the weight is packed as usual.
     * The same depth blocks, sums and order as {@link #matmulNT}, hence the same bits.
     */
    static void matmulNTPanels(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff, float[] panels, int panelsOff,
                               float[] bias, int biasOff, int M, int N, int K, boolean accumulate) {
        check("panels", panels, panelsOff, DecodeGemm.layoutFloats(N, K));
        matmulNT(out, outOff, N, a, aOff, K, w, wOff, K, new Panels(panels, panelsOff, K), bias, biasOff, M, N, K, accumulate);
    }

    private static void matmulNT(float[] out, int outOff, int ldOut, float[] a, int aOff, int lda, float[] w, int wOff, int ldw,
                                 Panels panels, float[] bias, int biasOff, int M, int N, int K, boolean accumulate) {
        checkDims(M, N, K);
        check("out", out, outOff, M, N, ldOut);
        check("a", a, aOff, M, K, lda);
        check("w", w, wOff, N, K, ldw);
        if (bias != null) check("bias", bias, biasOff, 1, N, N);
        if (M == 0 || N == 0) return;
        if (K == 0) {
            fillBiasOrZero(out, outOff, ldOut, bias, biasOff, M, N, accumulate);
            return;
        }
        if (N >= RowsOfL.ROWS && rowsAsLanes(M, K)) {
            RowsOfL.run(out, outOff, ldOut, a, aOff, lda, w, wOff, ldw, bias, biasOff, M, N, K, accumulate);
            return;
        }
        if (M <= 16 || (M <= SMALL_M && (long) M * K <= SMALL_M_INPUT_FLOATS)) {
            SmallNT.run(out, outOff, ldOut, a, aOff, lda, w, wOff, ldw, bias, biasOff, M, N, K, accumulate);
            return;
        }
        if (bias != null) {
            // the bias goes in first, so the kernels only ever add into C
            putBias(out, outOff, ldOut, bias, biasOff, M, N, accumulate);
            accumulate = true;
        }
        gemm(out, outOff, ldOut, a, aOff, lda, 1, w, wOff, 1, ldw, panels, M, N, K, accumulate);
    }

    /**
     * {@code out[M,K] (+)= a[M,N] · w[N,K]}: the gradient of a linear layer's input, {@code dIn = dOut · W}.
     */
    public static void matmulNN(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff,
                                int M, int N, int K, boolean accumulate) {
        matmulNN(out, outOff, K, a, aOff, N, w, wOff, K, M, N, K, accumulate);
    }

    /** {@link #matmulNN(float[], int, float[], int, float[], int, int, int, int, boolean)} on strided views. */
    public static void matmulNN(float[] out, int outOff, int ldOut, float[] a, int aOff, int lda,
                                float[] w, int wOff, int ldw, int M, int N, int K, boolean accumulate) {
        checkDims(M, N, K);
        check("out", out, outOff, M, K, ldOut);
        check("a", a, aOff, M, N, lda);
        check("w", w, wOff, N, K, ldw);
        if (M == 0 || K == 0) return;
        if (N == 0) {
            fillBiasOrZero(out, outOff, ldOut, null, 0, M, K, accumulate);
            return;
        }
        gemm(out, outOff, ldOut, a, aOff, lda, 1, w, wOff, ldw, 1, null, M, K, N, accumulate);
    }

    /**
     * {@code out[N,K] (+)= a[M,N]ᵀ · b[M,K]}: the gradient of a linear layer's weight,
     * {@code dW += dOutᵀ · in}; the M rows (tokens) are the reduction.
     */
    public static void matmulTN(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff,
                                int M, int N, int K, boolean accumulate) {
        matmulTN(out, outOff, K, a, aOff, N, b, bOff, K, M, N, K, accumulate);
    }

    /** {@link #matmulTN(float[], int, float[], int, float[], int, int, int, int, boolean)} on strided views. */
    public static void matmulTN(float[] out, int outOff, int ldOut, float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb, int M, int N, int K, boolean accumulate) {
        checkDims(M, N, K);
        check("out", out, outOff, N, K, ldOut);
        check("a", a, aOff, M, N, lda);
        check("b", b, bOff, M, K, ldb);
        if (N == 0 || K == 0) return;
        if (M == 0) {
            fillBiasOrZero(out, outOff, ldOut, null, 0, N, K, accumulate);
            return;
        }
        gemm(out, outOff, ldOut, a, aOff, 1, lda, b, bOff, ldb, 1, null, N, K, M, accumulate);
    }

    /** {@code out[N] += Σ_rows a[M,N]}: the gradient of a bias. */
    public static void sumRows(float[] out, int outOff, float[] a, int aOff, int M, int N) {
        if (M < 0 || N < 0) throw new IllegalArgumentException("negative size M=" + M + " N=" + N);
        check("out", out, outOff, N);
        check("a", a, aOff, (long) M * N);
        if (M == 0 || N == 0) return;
        // columns are independent, so threads split them; 64 columns keep 4 accumulators busy per thread
        int chunk = 4 * L;
        int chunks = (N + chunk - 1) / chunk;
        int grain = Math.max(1, (1 << 16) / Math.max(1, M * chunk));
        Parallel.forRange(chunks, grain, (from, to) -> {
            for (int c = from; c < to; c++) sumRowsColumns(out, outOff, a, aOff, M, N, c * chunk, Math.min(N, (c + 1) * chunk));
        });
    }

    private static void sumRowsColumns(float[] out, int outOff, float[] a, int aOff, int M, int N, int j0, int j1) {
        int j = j0;
        if (j1 - j0 == 4 * L) {
            // one pass down the rows with four accumulators: each row contributes one 4-vector run
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int m = 0, idx = aOff + j; m < M; m++, idx += N) {
                s0 = s0.add(FloatVector.fromArray(S, a, idx));
                s1 = s1.add(FloatVector.fromArray(S, a, idx + L));
                s2 = s2.add(FloatVector.fromArray(S, a, idx + 2 * L));
                s3 = s3.add(FloatVector.fromArray(S, a, idx + 3 * L));
            }
            int o = outOff + j;
            s0.add(FloatVector.fromArray(S, out, o)).intoArray(out, o);
            s1.add(FloatVector.fromArray(S, out, o + L)).intoArray(out, o + L);
            s2.add(FloatVector.fromArray(S, out, o + 2 * L)).intoArray(out, o + 2 * L);
            s3.add(FloatVector.fromArray(S, out, o + 3 * L)).intoArray(out, o + 3 * L);
            return;
        }
        for (; j < j1; j++) {
            float s = 0f;
            for (int m = 0, idx = aOff + j; m < M; m++, idx += N) s += a[idx];
            out[outOff + j] += s;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Argument checks: a wrong offset or size names the operand instead of failing deep inside a kernel

    private static void checkDims(int M, int N, int K) {
        if (M < 0 || N < 0 || K < 0)
            throw new IllegalArgumentException("negative matrix size M=" + M + " N=" + N + " K=" + K);
    }

    private static void check(String name, float[] x, int off, long len) {
        if (x == null) throw new NullPointerException(name + " is null");
        if (off < 0 || off + len > x.length)
            throw new IndexOutOfBoundsException(name + ": offset " + off + " + " + len + " floats exceeds length " + x.length);
    }

    /** A {@code rows × cols} view with row stride {@code ld}: needs {@code off + (rows-1)·ld + cols} floats. */
    static void check(String name, float[] x, int off, int rows, int cols, int ld) {
        if (x == null) throw new NullPointerException(name + " is null");
        if (ld < cols) throw new IllegalArgumentException(name + ": row stride " + ld + " is less than its " + cols + " columns");
        if (rows == 0 || cols == 0) return;
        long need = (long) (rows - 1) * ld + cols;
        if (off < 0 || off + need > x.length)
            throw new IndexOutOfBoundsException(name + ": offset " + off + " + " + rows + " rows × stride " + ld
                    + " (" + need + " floats) exceeds length " + x.length);
    }

    private static void fillBiasOrZero(float[] out, int outOff, int ldOut, float[] bias, int biasOff, int rows, int cols, boolean acc) {
        for (int i = 0; i < rows; i++) {
            int o = outOff + i * ldOut;
            for (int j = 0; j < cols; j++) {
                float b = bias == null ? 0f : bias[biasOff + j];
                out[o + j] = acc ? out[o + j] + b : b;
            }
        }
    }

    /** Writes (or, with {@code acc}, adds) the bias into every row of {@code out}: one vectorised pass. */
    private static void putBias(float[] out, int outOff, int ldOut, float[] bias, int biasOff, int rows, int cols, boolean acc) {
        int cv = cols - cols % L;
        for (int i = 0; i < rows; i++) {
            int o = outOff + i * ldOut;
            if (acc) {
                for (int j = 0; j < cv; j += L)
                    FloatVector.fromArray(S, out, o + j).add(FloatVector.fromArray(S, bias, biasOff + j)).intoArray(out, o + j);
                for (int j = cv; j < cols; j++) out[o + j] += bias[biasOff + j];
            } else {
                System.arraycopy(bias, biasOff, out, o, cols);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Blocked general path: C[rows, cols] (+)= A · B with A(i,p) = a[aOff + i*ars + p*acs] and
    // B(p,j) = b[bOff + p*brs + j*bcs]; one of each pair of strides is 1.

    /** Per-thread buffers, allocated once per thread: the packed right block, packed left rows, an edge tile. */
    static final class Work {
        /** One depth step more than a block: the zero step that pads an odd depth. */
        final float[] bp = new float[(KC + 1) * NC];
        final float[] ap = new float[MC / MR * PANEL_A];
        final float[] tile = new float[MR * NR];
        /** Read as "no old value" (row stride 0), so the kernels have no data-dependent branch. */
        final float[] zeros = new float[NR];
        /** A whole slab's packed rows for one depth block (see {@link #PACK_A_ONCE}), grown on demand up to {@link #PACKED_A_MAX}. */
        private float[] slabA = new float[0];

        float[] packedA(int floats) {
            if (slabA.length < floats) slabA = new float[floats];
            return slabA;
        }
    }

    static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);
    /**
     * Rows of the left operand packed together ({@code -Dgrpo4j.gemm.mc}, a multiple of {@link #MR}): {@code MC × KC}
     * floats (192 KiB) stay in L2 beside the packed right block. For TN the packer then reads {@code MC} contiguous
     * values per depth step instead of {@code MR}: the left operand's rows are its depth steps, {@code N} floats apart
     * (32 KiB for the LM head), and packing one micro-panel at a time touched a new page per depth step.
     */
    static final int MC = Math.max(MR, Integer.getInteger("grpo4j.gemm.mc", 96) / MR * MR);
    /**
     * Pack a slab's rows once per depth block where the slab spans several column blocks, instead of once per column
     * block ({@code -Dgrpo4j.gemm.packAOnce=false} compares). Each repack re-reads the rows (a register transpose for
     * NT/NN, ~0.5–0.8 ns per value from L3: 8–12% of a one-thread NT product's samples in JFR) against {@code 2·NC}
     * flops per value; packed once, they are read back without the transpose. Xeon, 2 threads, wall time, 3 interleaved rounds (load 5.5, best of
     * each): qwen05b gate/up 768x4864x896 nt 247 → 254 GFLOP/s, its input gradient nn 235 → 254, the head's shape
     * 512x16384x896 nt 237 → 254, bench-m gate/up 3072x1376x512 nt 228 → 245; TN (row slabs) unchanged.
     */
    static final boolean PACK_A_ONCE = !"false".equals(System.getProperty("grpo4j.gemm.packAOnce"));
    /**
     * At most this many floats (8 MiB, {@code -Dgrpo4j.gemm.packedAMax}) of a slab's packed rows per thread; a taller
     * slab packs {@link #MC} rows at a time, once per column block. A scoring pass runs each part's products on one
     * thread: a part's 1,536 rows (bench-m, 3.1 MiB packed) were over the old 2 MiB cap, so the gate/up product
     * repacked them for each of its 6 column blocks and the head for each of its 16, 5–7 % of the pass's samples in
     * JFR. Packed once and read back from L3 instead: bench-m reference, one JVM, passes interleaved, medians of 15–20:
     * 531 → 511, 526 → 518, 607 → 581 ms; fwd+bwd 1,511 → 1,499 ms (unchanged). With the whole 3,072 rows of a product
     * on one thread, 3072x1376x512 nt had been no faster than repacking (132/136 against 139/133 GFLOP/cpu-s).
     */
    static final int PACKED_A_MAX = Integer.getInteger("grpo4j.gemm.packedAMax", 1 << 21);
    /** Floats per packed micro-panel of the left operand: a zero step for an odd depth and a vector of slack. */
    static final int PANEL_A = MR * (KC + 1) + L;

    /** Below this many multiply-adds a product runs on the calling thread: a fork-join costs ~10-50 µs here. */
    static final long PARALLEL_MIN_FMAS = 1L << 21;
    /**
     * Slabs per thread in a parallel product (see {@link #gemm}): each repacks the other operand, so fewer pay where
     * the cores are free. 2 against 3, bench-m {@code bench train --no-peer}, four interleaved rounds (load 2.5–6): fwd+bwd
     * 1,273 against 1,235 tok/s, reference 772 against 821 ms; 1 was no better than 3.
     */
    static final int SLABS_PER_THREAD = Integer.getInteger("grpo4j.gemm.slabs", 2);
    /** Fewest rows (columns) of a slab worth its own copy of the other operand's packing, while each thread has one. */
    static final int SLAB_MIN = Integer.getInteger("grpo4j.gemm.slabMin", 512);

    /**
     * {@code C (+)= A·B} on strided operands; {@code panels != null}: B is read from that copy ({@link #matmulNTPanels})
     * instead of packed from {@code b}.
     */
    static void gemm(float[] c, int cOff, int ldc, float[] a, int aOff, int ars, int acs,
                     float[] b, int bOff, int brs, int bcs, Panels panels,
                     int rows, int cols, int depth, boolean accumulate) {
        int colPanels = (cols + NR - 1) / NR;
        int rowBlocks = (rows + MR - 1) / MR;
        int threads = (long) rows * cols * depth < PARALLEL_MIN_FMAS ? 1 : Math.min(Parallel.width(), Math.max(colPanels, rowBlocks));
        if (threads == 1) {
            block(WORK.get(), c, cOff, ldc, a, aOff, ars, acs, b, bOff, brs, bcs, panels, 0, rows, 0, cols, depth, accumulate);
            return;
        }
        if (splitsDepth(rows, cols, depth, threads)) {
            gemmDepthParts(c, cOff, ldc, a, aOff, ars, acs, b, bOff, brs, bcs, panels, rows, cols, depth, accumulate, threads);
            return;
        }
        // One fork per product and no barriers: the output is cut into slabs that threads claim from a counter,
        // each packing its own operands. A few slabs per thread keep the cores busy when one of them is shared
        // with another process. Column slabs when there are enough panels (B is then packed once in total);
        // otherwise row slabs.
        // Each column slab repacks all of A and each row slab all of B: cut the longer side so the smaller
        // operand is the one packed repeatedly.
        boolean byColumns = rowBlocks < 2 * threads || (cols > rows && colPanels >= 2 * threads);
        claimSlabs(byColumns ? colPanels : rowBlocks, byColumns ? cols : rows, threads, (work, s0, s1) -> {
            if (byColumns) {
                block(work, c, cOff, ldc, a, aOff, ars, acs, b, bOff, brs, bcs, panels,
                        0, rows, s0 * NR, Math.min(cols, s1 * NR), depth, accumulate);
            } else {
                block(work, c, cOff, ldc, a, aOff, ars, acs, b, bOff, brs, bcs, panels,
                        s0 * MR, Math.min(rows, s1 * MR), 0, cols, depth, accumulate);
            }
        });
    }

    /** Panels (or row blocks) {@code [s0, s1)} of a product's output, run by the thread that claimed them. */
    interface Slab {
        void run(Work work, int s0, int s1);
    }

    /**
     * Cuts {@code total} panels (row blocks) that span {@code span} columns (rows) into a few slabs per thread, claimed
     * from a counter by up to {@code threads} threads. A repack costs ~50 flops' time per element, so slabs of s rows
     * (columns) lose ~25/s of their time to it: slabs of at least {@link #SLAB_MIN} keep that near 5% (the weight
     * gradient's 512 rows × 3072 tokens took 1.45× the CPU time of the forward product at 2 threads as 6 slabs).
     * Slabs differ by at most one panel (row block), so equal shares come out even.
     */
    static void claimSlabs(int total, int span, int threads, Slab slab) {
        int units = Math.min(total, Math.max(threads, Math.min(SLABS_PER_THREAD * threads, span / SLAB_MIN)));
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, units), 1, (from, to) -> {
            Work work = WORK.get();
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement())
                slab.run(work, (int) ((long) total * u / units), (int) ((long) total * (u + 1) / units));
        });
    }

    /** Cut a long reduction over a small output into depth parts ({@code -Dgrpo4j.gemm.depthSplit=false} compares). */
    static final boolean DEPTH_SPLIT = !"false".equals(System.getProperty("grpo4j.gemm.depthSplit"));
    /** Each thread's partial sums of a depth-split product but the first part's (which go into C), per calling thread. */
    private static final ThreadLocal<float[]> PARTS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * A weight gradient with a thin output and a long depth (bench-s: {@code dW[128, 128]} over 3,072 tokens): output
     * slabs would leave 11 row blocks to 2 threads (6 against 5) and make each thread pack the whole other operand
     * ({@code depth × cols}), while depth parts are even and pack each operand once; they cost one pass adding
     * {@code rows × cols} partial sums per extra part, so they pay where the output is small against the depth.
     */
    private static boolean splitsDepth(int rows, int cols, int depth, int threads) {
        return DEPTH_SPLIT && depth >= threads * KC && depth > 2 * Math.min(rows, cols) && (long) rows * cols <= 1 << 18;
    }

    /**
     * Part 0 of the depth goes into C as usual; part {@code u > 0} into its own {@code rows × cols} buffer, then added
     * into C in part order. Which part a thread runs does not change the sums, so results do not depend on scheduling.
     */
    private static void gemmDepthParts(float[] c, int cOff, int ldc, float[] a, int aOff, int ars, int acs,
                                       float[] b, int bOff, int brs, int bcs, Panels panels, int rows, int cols, int depth,
                                       boolean accumulate, int parts) {
        int size = rows * cols;
        float[] buf = PARTS.get();
        if (buf.length < (parts - 1) * size) PARTS.set(buf = new float[(parts - 1) * size]);
        float[] sums = buf;
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(parts, 1, (from, to) -> {
            Work work = WORK.get();
            for (int u = next.getAndIncrement(); u < parts; u = next.getAndIncrement()) {
                // even cuts, so no part ends in a zero step but the last
                int d0 = (int) ((long) depth * u / parts) & ~1, d1 = u == parts - 1 ? depth : (int) ((long) depth * (u + 1) / parts) & ~1;
                if (u == 0) block(work, c, cOff, ldc, a, aOff, ars, acs, b, bOff, brs, bcs, panels, 0, rows, 0, cols, d1, accumulate);
                else block(work, sums, (u - 1) * size, cols, a, aOff + d0 * acs, ars, acs, b, bOff + d0 * brs, brs, bcs,
                        panels == null ? null : panels.from(d0), 0, rows, 0, cols, d1 - d0, false);
            }
        });
        Parallel.forRange(rows, Parallel.grain((long) cols * parts), (from, to) -> {
            for (int i = from; i < to; i++)
                for (int u = 1; u < parts; u++) VectorMath.axpy(c, cOff + i * ldc, 1f, sums, (u - 1) * size + i * cols, cols);
        });
    }

    /**
     * Computes the slab rows {@code [r0, r1)} × columns {@code [j0, j1)} on the calling thread.
     *
     * <p>Every case (overwrite or accumulate, edge or full tile, NT/NN/TN) reaches the kernels and
     * packers through separate methods and data, not through branches inside them: C2 compiles a branch it never
     * saw taken as a trap, and a trap in a Vector API kernel drops it to C1 code that is 10× slower for seconds.
     * The kernel steps two depths at a time, so an odd depth block is packed with one zero step at its end.
     */
    private static void block(Work work, float[] c, int cOff, int ldc, float[] a, int aOff, int ars, int acs,
                              float[] b, int bOff, int brs, int bcs, Panels panels,
                              int r0, int r1, int j0, int j1, int depth, boolean accumulate) {
        // equal depth blocks, so a depth just over KC does not leave a thin last block; of an even length, so that an
        // even depth has no odd block, which a weight's panels could not pad (bench-m's down product, 1376 = 3 × 459)
        int kBlocks = (depth + KC - 1) / KC;
        int kcMax = ((depth + kBlocks - 1) / kBlocks + 1) & ~1;
        if ((depth & 1) != 0) panels = null; // its last block is odd: the packing pads it with a zero step
        int slabPanels = (r1 - r0 + MR - 1) / MR;
        if (PACK_A_ONCE && j1 - j0 > NC && (long) slabPanels * PANEL_A <= PACKED_A_MAX) {
            // several column blocks: the slab's rows are packed once per depth block, not once per column block
            float[] ap = work.packedA(slabPanels * PANEL_A);
            for (int pc = 0; pc < depth; pc += kcMax) {
                int kc = Math.min(kcMax, depth - pc), kcp = (kc + 1) & ~1;
                packA(ap, a, aOff, ars, acs, r0, r1, r1, pc, kc, kcp);
                for (int jc = j0; jc < j1; jc += NC) {
                    Right right = right(work, b, bOff, brs, bcs, panels, pc, kc, kcp, jc, Math.min(NC, j1 - jc), j1);
                    for (int ic = r0; ic < r1; ic += MC)
                        blockKernels(work, ap, (ic - r0) / MR * PANEL_A, right, c, cOff, ldc, ic, Math.min(r1, ic + MC), r1,
                                jc, Math.min(NC, j1 - jc), j1, kcp, accumulate || pc > 0);
                }
            }
            return;
        }
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < depth; pc += kcMax) {
                int kc = Math.min(kcMax, depth - pc), kcp = (kc + 1) & ~1;
                Right right = right(work, b, bOff, brs, bcs, panels, pc, kc, kcp, jc, nc, j1);
                for (int ic = r0; ic < r1; ic += MC) {
                    int ie = Math.min(r1, ic + MC);
                    packA(work.ap, a, aOff, ars, acs, ic, ie, r1, pc, kc, kcp);
                    blockKernels(work, work.ap, 0, right, c, cOff, ldc, ic, ie, r1, jc, nc, j1, kcp, accumulate || pc > 0);
                }
            }
        }
    }

    /**
     * Where the kernels read one {@code kc × nc} block of B: panel {@code q} starts at {@code bp[base + q·stride]}, its
     * depth steps {@link #NR} floats apart.
     */
    record Right(float[] bp, int base, int stride) {}

    /**
     * A copy of B already in the packed panel layout over its whole depth: panel {@code q} at {@code data[offset +
     * q·depth·NR]}, its depth steps {@link #NR} floats apart ({@link #matmulNTPanels}).
     */
    record Panels(float[] data, int offset, int depth) {
        /** The same panels from depth step {@code d} on (a depth part's, {@link #gemmDepthParts}). */
        Panels from(int d) {
            return new Panels(data, offset + d * NR, depth);
        }
    }

    /** The block of B at depth {@code pc}, columns {@code jc}: packed into {@code work.bp}, or read in place from the panels. */
    private static Right right(Work work, float[] b, int bOff, int brs, int bcs, Panels panels,
                               int pc, int kc, int kcp, int jc, int nc, int j1) {
        if (panels != null) return new Right(panels.data(), panels.offset() + jc * panels.depth() + pc * NR, panels.depth() * NR);
        packBBlock(work.bp, b, bOff, brs, bcs, pc, kc, kcp, jc, nc, j1);
        return new Right(work.bp, 0, kcp * NR);
    }

    /** Packs the {@code kc × nc} block of B at depth {@code pc}, columns {@code jc}, as {@code NR}-wide panels. */
    private static void packBBlock(float[] bp, float[] b, int bOff, int brs, int bcs, int pc, int kc, int kcp, int jc, int nc, int j1) {
        int panels = (nc + NR - 1) / NR;
        for (int q = 0; q < panels; q++) {
            int jq = jc + q * NR, nr = Math.min(NR, j1 - jq), base = q * kcp * NR;
            if (nr < NR) packBEdge(bp, base, b, bOff, brs, bcs, pc, kc, jq, nr);
            else if (bcs == 1) packBRows(bp, base, b, bOff, brs, pc, kc, jq);
            else packBColumns(bp, base, b, bOff, bcs, pc, kc, jq);
            zeroSteps(bp, base + kc * NR, (kcp - kc) * NR);
        }
    }

    /**
     * The micro-kernels for rows {@code [ic, ie)} (packed from {@code ap[apI]} on) against the packed block of columns
     * {@code [jc, jc + nc)}: each micro-panel of A stays in L1 while it meets every panel of B.
     */
    private static void blockKernels(Work work, float[] ap, int apI, Right right, float[] c, int cOff, int ldc, int ic, int ie, int r1,
                                     int jc, int nc, int j1, int kcp, boolean load) {
        float[] bp = right.bp(), tile = work.tile, zeros = work.zeros;
        int base = right.base(), stride = right.stride();
        int panels = (nc + NR - 1) / NR;
        for (int i0 = ic; i0 < ie; i0 += MR) {
            int mr = Math.min(MR, r1 - i0), aI = apI + (i0 - ic) / MR * PANEL_A;
            for (int q = 0; q < panels; q++) {
                int jq = jc + q * NR, nr = Math.min(NR, j1 - jq);
                boolean full = mr == MR && nr == NR;
                // full tiles read and write C in place; edge tiles go through the scratch tile
                float[] cin = full && load ? c : zeros;
                int cinI = full && load ? cOff + i0 * ldc + jq : 0, cinLd = full && load ? ldc : 0;
                float[] cout = full ? c : tile;
                int coutI = full ? cOff + i0 * ldc + jq : 0, coutLd = full ? ldc : NR;
                kernel(ap, aI, bp, base + q * stride, kcp, cin, cinI, cinLd, cout, coutI, coutLd);
                if (!full) mergeTile(tile, c, cOff + i0 * ldc + jq, ldc, mr, nr, load);
            }
        }
    }

    /**
     * Packs rows {@code [ic, ie)} of A as micro-panels of MR rows, {@link #PANEL_A} floats apart, each with its zero step
     * for an odd depth. The vector packers read 16 rows (lanes) and keep MR, so they take only panels whose 16 rows lie
     * inside the slab ({@code r1}).
     */
    static void packA(float[] ap, float[] a, int aOff, int ars, int acs, int ic, int ie, int r1, int pc, int kc, int kcp) {
        int panels = (ie - ic + MR - 1) / MR, i0 = ic;
        if (ars == 1 && acs != 1 && L == 16) {
            int wide = 0;
            while (wide < panels && ic + wide * MR + 16 <= r1) wide++;
            if (wide > 0) packAColumnsBlock16(ap, a, aOff + ic + pc * acs, acs, kc, wide);
            i0 += wide * MR;
        }
        for (; i0 < ie; i0 += MR) {
            int mr = Math.min(MR, r1 - i0), o = (i0 - ic) / MR * PANEL_A;
            boolean wide = L == 16 && i0 + 16 <= r1;
            if (mr < MR) packAEdge(ap, o, a, aOff, ars, acs, i0, mr, pc, kc);
            else if (acs == 1 && wide) packADepthRows16(ap, o, a, aOff + i0 * ars + pc, ars, kc);
            else if (acs == 1) packADepthRows(ap, o, a, aOff + i0 * ars + pc, ars, kc);
            else if (ars == 1) packAColumns(ap, o, a, aOff + i0 + pc * acs, acs, kc);
            else packAEdge(ap, o, a, aOff, ars, acs, i0, mr, pc, kc);
        }
        for (int m = 0; m < panels; m++) zeroSteps(ap, m * PANEL_A + kc * MR, (kcp - kc) * MR);
    }

    /**
     * {@link #packAColumns} for {@code panels} micro-panels side by side, a vector per panel: per depth step one
     * contiguous run of {@code panels·MR} values, each stored at {@code ap[m·PANEL_A + p·MR]} in increasing {@code p}
     * (the 16 − MR lanes past MR land in the next step's slot or the panel's slack).
     */
    private static void packAColumnsBlock16(float[] ap, float[] a, int src, int acs, int kc, int panels) {
        for (int p = 0, d = 0; p < kc; p++, src += acs, d += MR) {
            for (int m = 0; m < panels; m++) FloatVector.fromArray(S, a, src + m * MR).intoArray(ap, m * PANEL_A + d);
        }
    }

    /** Adds an edge tile's valid {@code mr × nr} corner into C, or overwrites C with it. */
    private static void mergeTile(float[] tile, float[] c, int o, int ldc, int mr, int nr, boolean load) {
        for (int r = 0; r < mr; r++, o += ldc) {
            for (int j = 0; j < nr; j++) c[o + j] = load ? c[o + j] + tile[r * NR + j] : tile[r * NR + j];
        }
    }

    /** The zero depth step that pads an odd depth block (a loop of zero or one step's floats, no branch). */
    static void zeroSteps(float[] x, int from, int n) {
        for (int i = from; i < from + n; i++) x[i] = 0f;
    }

    /**
     * Packs MR full rows of A that run along the depth (NT, NN: {@code A(r, p) = a[base + r·ars + p]}) as
     * {@code ap[p·MR + r]}, row by row (each row read once in order, the writes MR floats apart within the L1-sized
     * block). Costs one load and one store per element against {@code 2·NC} flops of the product.
     */
    private static void packADepthRows(float[] ap, int o, float[] a, int base, int ars, int kc) {
        for (int r = 0; r < MR; r++) {
            for (int p = 0, src = base + r * ars, d = o + r; p < kc; p++, d += MR) ap[d] = a[src + p];
        }
    }

    /**
     * {@link #packADepthRows} by 16 × 16 register transposes of rows {@code [0, 16)}: each depth step's 16 row values
     * are stored at {@code ap[p·MR]}, in increasing {@code p}, so the next step overwrites the 16 − MR values past MR
     * (and the scalar tail or the zero step the last ones; the buffer has a vector of slack).
     */
    private static void packADepthRows16(float[] ap, int o, float[] a, int base, int ars, int kc) {
        int kt = kc & ~15;
        for (int pb = 0; pb < kt; pb += 16) transpose16(a, base + pb, ars, ap, o + pb * MR, MR);
        for (int r = 0; r < MR; r++) {
            for (int p = kt, src = base + r * ars, d = o + kt * MR + r; p < kc; p++, d += MR) ap[d] = a[src + p];
        }
    }

    /**
     * Packs MR full rows of a transposed A (TN: the MR values of one depth step are contiguous) as
     * {@code ap[p*MR + r]}. Scalar copies on purpose: using a second vector species anywhere (e.g. a 256-bit move
     * here) loads a second FloatVector class, after which C2 could no longer devirtualise the kernels' FMAs
     * when it compiled one late, leaving it 10× slower for good (seen with JDK 25).
     */
    private static void packAColumns(float[] ap, int o, float[] a, int src, int acs, int kc) {
        for (int p = 0, d = o; p < kc; p++, src += acs, d += MR) {
            for (int r = 0; r < MR; r++) ap[d + r] = a[src + r];
        }
    }

    /** Packs the last, partial row block or a general stride: missing rows are zero. */
    private static void packAEdge(float[] ap, int o, float[] a, int aOff, int ars, int acs, int i0, int mr, int p0, int kc) {
        for (int p = 0; p < kc; p++) {
            int src = aOff + (p0 + p) * acs + i0 * ars;
            int dst = o + p * MR;
            for (int r = 0; r < mr; r++) ap[dst + r] = a[src + r * ars];
            for (int r = mr; r < MR; r++) ap[dst + r] = 0f;
        }
    }

    // 16 × 16 in-register transpose for packing the NT weight (AVX-512): four stages that swap the off-diagonal
    // h × h blocks (h = 8, 4, 2, 1), each lane picked from a pair of rows by one two-vector selectFrom.
    private static final FloatVector[] SWAP_LO = new FloatVector[4], SWAP_HI = new FloatVector[4];

    static {
        if (L == 16) {
            for (int s = 0; s < 4; s++) {
                int h = 8 >> s;
                float[] lo = new float[16], hi = new float[16];
                for (int lane = 0; lane < 16; lane++) {
                    boolean left = (lane & h) == 0;
                    lo[lane] = left ? lane : 16 + lane - h;
                    hi[lane] = left ? lane + h : 16 + lane;
                }
                SWAP_LO[s] = FloatVector.fromArray(S, lo, 0);
                SWAP_HI[s] = FloatVector.fromArray(S, hi, 0);
            }
        }
    }

    /**
     * Writes the transpose of the 16 × 16 block {@code b[src + j*stride + p]} (j = row, p = depth) as
     * {@code bp[dst + p*NR + j]}.
     */
    static void transpose16(float[] b, int src, int stride, float[] bp, int dst) {
        transpose16(b, src, stride, bp, dst, NR);
    }

    /** As {@link #transpose16(float[], int, int, float[], int)} with output rows {@code dstStride} apart. */
    static void transpose16(float[] b, int src, int stride, float[] bp, int dst, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(S, b, src); FloatVector r1 = FloatVector.fromArray(S, b, src + 1 * stride);
        FloatVector r2 = FloatVector.fromArray(S, b, src + 2 * stride); FloatVector r3 = FloatVector.fromArray(S, b, src + 3 * stride);
        FloatVector r4 = FloatVector.fromArray(S, b, src + 4 * stride); FloatVector r5 = FloatVector.fromArray(S, b, src + 5 * stride);
        FloatVector r6 = FloatVector.fromArray(S, b, src + 6 * stride); FloatVector r7 = FloatVector.fromArray(S, b, src + 7 * stride);
        FloatVector r8 = FloatVector.fromArray(S, b, src + 8 * stride); FloatVector r9 = FloatVector.fromArray(S, b, src + 9 * stride);
        FloatVector r10 = FloatVector.fromArray(S, b, src + 10 * stride); FloatVector r11 = FloatVector.fromArray(S, b, src + 11 * stride);
        FloatVector r12 = FloatVector.fromArray(S, b, src + 12 * stride); FloatVector r13 = FloatVector.fromArray(S, b, src + 13 * stride);
        FloatVector r14 = FloatVector.fromArray(S, b, src + 14 * stride); FloatVector r15 = FloatVector.fromArray(S, b, src + 15 * stride);
        { FloatVector lo = SWAP_LO[0], hi = SWAP_HI[0];
          FloatVector t0 = lo.selectFrom(r0, r8), t8 = hi.selectFrom(r0, r8);
          FloatVector t1 = lo.selectFrom(r1, r9), t9 = hi.selectFrom(r1, r9);
          FloatVector t2 = lo.selectFrom(r2, r10), t10 = hi.selectFrom(r2, r10);
          FloatVector t3 = lo.selectFrom(r3, r11), t11 = hi.selectFrom(r3, r11);
          FloatVector t4 = lo.selectFrom(r4, r12), t12 = hi.selectFrom(r4, r12);
          FloatVector t5 = lo.selectFrom(r5, r13), t13 = hi.selectFrom(r5, r13);
          FloatVector t6 = lo.selectFrom(r6, r14), t14 = hi.selectFrom(r6, r14);
          FloatVector t7 = lo.selectFrom(r7, r15), t15 = hi.selectFrom(r7, r15);
          r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7; r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15; }
        { FloatVector lo = SWAP_LO[1], hi = SWAP_HI[1];
          FloatVector t0 = lo.selectFrom(r0, r4), t4 = hi.selectFrom(r0, r4);
          FloatVector t1 = lo.selectFrom(r1, r5), t5 = hi.selectFrom(r1, r5);
          FloatVector t2 = lo.selectFrom(r2, r6), t6 = hi.selectFrom(r2, r6);
          FloatVector t3 = lo.selectFrom(r3, r7), t7 = hi.selectFrom(r3, r7);
          FloatVector t8 = lo.selectFrom(r8, r12), t12 = hi.selectFrom(r8, r12);
          FloatVector t9 = lo.selectFrom(r9, r13), t13 = hi.selectFrom(r9, r13);
          FloatVector t10 = lo.selectFrom(r10, r14), t14 = hi.selectFrom(r10, r14);
          FloatVector t11 = lo.selectFrom(r11, r15), t15 = hi.selectFrom(r11, r15);
          r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7; r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15; }
        { FloatVector lo = SWAP_LO[2], hi = SWAP_HI[2];
          FloatVector t0 = lo.selectFrom(r0, r2), t2 = hi.selectFrom(r0, r2);
          FloatVector t1 = lo.selectFrom(r1, r3), t3 = hi.selectFrom(r1, r3);
          FloatVector t4 = lo.selectFrom(r4, r6), t6 = hi.selectFrom(r4, r6);
          FloatVector t5 = lo.selectFrom(r5, r7), t7 = hi.selectFrom(r5, r7);
          FloatVector t8 = lo.selectFrom(r8, r10), t10 = hi.selectFrom(r8, r10);
          FloatVector t9 = lo.selectFrom(r9, r11), t11 = hi.selectFrom(r9, r11);
          FloatVector t12 = lo.selectFrom(r12, r14), t14 = hi.selectFrom(r12, r14);
          FloatVector t13 = lo.selectFrom(r13, r15), t15 = hi.selectFrom(r13, r15);
          r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7; r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15; }
        { FloatVector lo = SWAP_LO[3], hi = SWAP_HI[3];
          FloatVector t0 = lo.selectFrom(r0, r1), t1 = hi.selectFrom(r0, r1);
          FloatVector t2 = lo.selectFrom(r2, r3), t3 = hi.selectFrom(r2, r3);
          FloatVector t4 = lo.selectFrom(r4, r5), t5 = hi.selectFrom(r4, r5);
          FloatVector t6 = lo.selectFrom(r6, r7), t7 = hi.selectFrom(r6, r7);
          FloatVector t8 = lo.selectFrom(r8, r9), t9 = hi.selectFrom(r8, r9);
          FloatVector t10 = lo.selectFrom(r10, r11), t11 = hi.selectFrom(r10, r11);
          FloatVector t12 = lo.selectFrom(r12, r13), t13 = hi.selectFrom(r12, r13);
          FloatVector t14 = lo.selectFrom(r14, r15), t15 = hi.selectFrom(r14, r15);
          r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7; r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15; }
        r0.intoArray(bp, dst + 0 * dstStride);
        r1.intoArray(bp, dst + 1 * dstStride);
        r2.intoArray(bp, dst + 2 * dstStride);
        r3.intoArray(bp, dst + 3 * dstStride);
        r4.intoArray(bp, dst + 4 * dstStride);
        r5.intoArray(bp, dst + 5 * dstStride);
        r6.intoArray(bp, dst + 6 * dstStride);
        r7.intoArray(bp, dst + 7 * dstStride);
        r8.intoArray(bp, dst + 8 * dstStride);
        r9.intoArray(bp, dst + 9 * dstStride);
        r10.intoArray(bp, dst + 10 * dstStride);
        r11.intoArray(bp, dst + 11 * dstStride);
        r12.intoArray(bp, dst + 12 * dstStride);
        r13.intoArray(bp, dst + 13 * dstStride);
        r14.intoArray(bp, dst + 14 * dstStride);
        r15.intoArray(bp, dst + 15 * dstStride);
    }

    /** Packs a full panel of B whose rows run along the columns (NN, TN): copies NR-wide strips, {@code bp[base + p*NR + j]}. */
    private static void packBRows(float[] bp, int base, float[] b, int bOff, int brs, int p0, int kc, int j0) {
        for (int p = 0, src = bOff + p0 * brs + j0, dst = base; p < kc; p++, src += brs, dst += NR) {
            FloatVector.fromArray(S, b, src).intoArray(bp, dst);
            FloatVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
        }
    }

    /**
     * Packs a full panel of the transposed weight (NT, {@code B(p,j) = b[j*bcs + p]}): each weight row becomes
     * one column of the panel, by 16 × 16 register transposes where the vector has 16 lanes.
     */
    static void packBColumns(float[] bp, int base, float[] b, int bOff, int bcs, int p0, int kc, int j0) {
        int pb = 0;
        if (L == 16 && TRANSPOSE) {
            for (; pb + 16 <= kc; pb += 16) {
                int src = bOff + j0 * bcs + p0 + pb;
                transpose16(b, src, bcs, bp, base + pb * NR);
                transpose16(b, src + 16 * bcs, bcs, bp, base + pb * NR + 16);
            }
        }
        if (pb < kc) packBEdge(bp, base + pb * NR, b, bOff, 1, bcs, p0 + pb, kc - pb, j0, NR);
    }

    /** Packs any panel with scalar moves, zero-padding columns {@code [nr, NR)}; in depth strips of one cache line. */
    private static void packBEdge(float[] bp, int base, float[] b, int bOff, int brs, int bcs, int p0, int kc, int j0, int nr) {
        for (int pb = 0; pb < kc; pb += 16) {
            int pe = Math.min(kc, pb + 16);
            for (int j = 0; j < NR; j++) {
                int src = bOff + (j0 + j) * bcs + p0 * brs;
                for (int p = pb; p < pe; p++) bp[base + p * NR + j] = j < nr ? b[src + p * brs] : 0f;
            }
        }
    }

    /**
     * Depth steps per strip of the kernel's loop ({@code -Dgrpo4j.gemm.strip}); by default one strip, a plain counted loop.
     * On Zen 4 (JDK 25, ParallelGC, which turns loop strip mining off) strips of 64 had run ~20% faster than the plain
     * loop; on this Xeon the plain loop is 5–15% faster (one thread, CPU time, bench-m layer shapes: 3072x512x512 nt
     * 119/130 → 141/140 GFLOP/s, head 3072x8192x512 nt 110/105 → 124/126, two interleaved rounds) and strips of 128 or
     * 1024 fall in between. A strip holds no safepoint poll either way, and one kernel call lasts microseconds.
     */
    static final int STRIP = Integer.getInteger("grpo4j.gemm.strip", 1 << 20);

    /**
     * The MR × NR micro-kernel over packed operands: {@code cout[r, j] = cin[r, j] + Σ_p ap[p·MR + r] · bp[bI + p·NR + j]}
     * for an even {@code kc}. Twenty-four accumulators, two panel vectors per step and one broadcast at a time fit the
     * 32 AVX-512 registers; two depth steps per iteration halve the loop's scalar work (index updates, the bounds
     * check), whose micro-ops compete with the FMAs for the two ports that run both. On Xeon (AVX-512, one thread, CPU
     * time, operands in L1/L2) this shape runs at ~150 GFLOP/s against ~135 for 8 × 2 and ~205 for FMAs alone.
     */
    static void kernel(float[] ap, int aI, float[] bp, int bI, int kc, float[] cin, int cinI, int cinLd,
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
        for (int pb = 0; pb < kc; pb += STRIP) {
            int pe = Math.min(kc, pb + STRIP);
            for (int p = pb; p < pe; p += 2) {
                int bo = bI + p * NR, ao = aI + p * MR;
                FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + L);
                FloatVector x;
                x = FloatVector.broadcast(S, ap[ao]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(S, ap[ao + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(S, ap[ao + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(S, ap[ao + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
                x = FloatVector.broadcast(S, ap[ao + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(S, ap[ao + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
                x = FloatVector.broadcast(S, ap[ao + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, ap[ao + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
                x = FloatVector.broadcast(S, ap[ao + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
                x = FloatVector.broadcast(S, ap[ao + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
                x = FloatVector.broadcast(S, ap[ao + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
                x = FloatVector.broadcast(S, ap[ao + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
                b0 = FloatVector.fromArray(S, bp, bo + NR); b1 = FloatVector.fromArray(S, bp, bo + NR + L);
                x = FloatVector.broadcast(S, ap[ao + MR]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(S, ap[ao + MR + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(S, ap[ao + MR + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(S, ap[ao + MR + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
                x = FloatVector.broadcast(S, ap[ao + MR + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(S, ap[ao + MR + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
                x = FloatVector.broadcast(S, ap[ao + MR + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, ap[ao + MR + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
                x = FloatVector.broadcast(S, ap[ao + MR + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
                x = FloatVector.broadcast(S, ap[ao + MR + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
                x = FloatVector.broadcast(S, ap[ao + MR + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
                x = FloatVector.broadcast(S, ap[ao + MR + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            }
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

    // ---------------------------------------------------------------------------------------------------------
    // Few rows (decode): stream the weight once

    /** Batched decode (one or two vectors' worth of rows) goes through {@link RowsOfL}; {@code -Dgrpo4j.gemm.rowsOfL=false} compares. */
    static final boolean SMALL_T = !"false".equals(System.getProperty("grpo4j.gemm.rowsOfL"));
    /** Fewest rows for {@link RowsOfL}; fewer go through {@link SmallNT}. */
    static final int ROWS_OF_L_MIN = Integer.getInteger("grpo4j.gemm.rowsOfLMin", L / 2 + 1);

    /**
     * Whether {@code M} rows of depth {@code K} go through {@link RowsOfL}. It pays for every lane of its one or two
     * vectors of rows, the dot-product path only for the rows there are, and past a depth of ~256 both run at about the
     * same rate per vector FMA (Zen 5, one thread, CPU time: 1024 × 512 weights, 12 rows 241–253 µs as lanes, 178–193
     * µs as dot products; 16 rows 240–244 against 257–276; at depth 128 the lanes win from 9 rows, 20–45%). So at long
     * depths only a vector at least three quarters full goes through here; below 9 rows (or 2–8) never.
     */
    static boolean rowsAsLanes(int M, int K) {
        if (!SMALL_T || M < ROWS_OF_L_MIN || M > 2 * L) return false;
        int width = M <= L ? L : 2 * L;
        return K <= 256 || M > width - width / 4;
    }

    /**
     * {@code out[M,N] (+)= a[M,K]·w[N,K]ᵀ} for {@code L/2 < M <= 2L} rows (a generation step of a group of sequences):
     * the rows become the vector lanes. The input is transposed once into {@code [K, L]} or {@code [K, 2L]} (zeros past
     * row M), and each weight element is broadcast and multiplied into all rows with one FMA per vector of rows, eight
     * accumulators in flight, so the weights are read once and no horizontal reduction is needed (the dot-product
     * kernel spends a third of a short-depth product reducing its sums).
     */
    static final class RowsOfL {
        static final int ROWS = 8;
        /** Columns per tile: two {@link #block8}s, one vector-transposed store of a 16 × 16 block (AVX-512). */
        static final int TILE = 16;
        private static final ThreadLocal<float[]> AT = ThreadLocal.withInitial(() -> new float[64 * L]);
        private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[TILE * 2 * L]);
        private static final ThreadLocal<float[]> TT = ThreadLocal.withInitial(() -> new float[TILE * TILE]);

        static void run(float[] out, int outOff, int ldo, float[] a, int aOff, int lda, float[] w, int wOff, int ldw,
                        float[] bias, int biasOff, int M, int N, int K, boolean acc) {
            int width = M <= L ? L : 2 * L;
            float[] at = AT.get();
            if (at.length < K * width) AT.set(at = new float[Math.max(K * width, 2 * at.length)]);
            transposeInput(at, width, a, aOff, lda, M, K);
            final float[] t = at;
            int tiles = (N + TILE - 1) / TILE;
            int grain = (int) Math.max(1, (1L << 18) / ((long) TILE * L * K));
            Parallel.forRange(tiles, grain, (from, to) -> {
                float[] ot = OUT.get();
                for (int tile = from; tile < to; tile++) {
                    int n0 = tile * TILE, cols = Math.min(TILE, N - n0);
                    products(ot, t, width, w, wOff + n0 * ldw, ldw, cols, K);
                    if (cols == TILE && L == TILE) storeTile(ot, width, out, outOff + n0, ldo, bias, biasOff + n0, M, acc);
                    else storeScalar(ot, width, out, outOff + n0, ldo, bias, bias == null ? 0 : biasOff + n0, M, cols, acc);
                }
            });
        }

        /** {@code at[k·width + i] = a[i·lda + k]}, zeros past row M: 16 × 16 blocks in registers where they are whole. */
        private static void transposeInput(float[] at, int width, float[] a, int aOff, int lda, int M, int K) {
            int kt = L == TILE ? K - K % TILE : 0;
            for (int h = 0; h < width; h += L) {
                if (h + L <= M) {
                    for (int k0 = 0; k0 < kt; k0 += TILE) transpose16(a, aOff + h * lda + k0, lda, at, k0 * width + h, width);
                    for (int k = kt; k < K; k++) for (int i = 0; i < L; i++) at[k * width + h + i] = a[aOff + (h + i) * lda + k];
                } else {
                    for (int k = 0; k < K; k++) {
                        int o = k * width + h;
                        for (int i = 0; i < L; i++) at[o + i] = h + i < M ? a[aOff + (h + i) * lda + k] : 0f;
                    }
                }
            }
        }

        /** {@code ot[j·width + i] = Σ_k at[k·width + i] · w[w0 + j·ldw + k]} for the {@code cols} weight rows of a tile. */
        private static void products(float[] ot, float[] at, int width, float[] w, int w0, int ldw, int cols, int K) {
            int per = width == L ? ROWS : ROWS / 2, j = 0;
            for (; j + per <= cols; j += per) {
                if (width == L) block8(ot, j * width, at, w, w0 + j * ldw, ldw, K);
                else block4x2(ot, j * width, at, w, w0 + j * ldw, ldw, K);
            }
            for (; j < cols; j++) for (int h = 0; h < width; h += L) single(ot, j * width + h, at, h, width, w, w0 + j * ldw, K);
        }

        /**
         * A whole tile into {@code out}: each 16-row half of {@code ot} transposed in registers to rows of 16 columns, then
         * {@code out (+)= ot + bias} a vector per row (the same additions as {@link #storeScalar}, so the same bits).
         */
        private static void storeTile(float[] ot, int width, float[] out, int o, int ldo, float[] bias, int bI, int M, boolean acc) {
            float[] tt = TT.get();
            FloatVector b = bias == null ? null : FloatVector.fromArray(S, bias, bI);
            for (int h = 0; h < width && h < M; h += L) {
                transpose16(ot, h, width, tt, 0, TILE);
                for (int i = 0, rows = Math.min(L, M - h); i < rows; i++) {
                    FloatVector v = FloatVector.fromArray(S, tt, i * TILE);
                    if (b != null) v = v.add(b);
                    int at = o + (h + i) * ldo;
                    if (acc) v = FloatVector.fromArray(S, out, at).add(v);
                    v.intoArray(out, at);
                }
            }
        }

        private static void storeScalar(float[] ot, int width, float[] out, int o, int ldo, float[] bias, int bI, int M, int cols, boolean acc) {
            for (int i = 0; i < M; i++) {
                int r = o + i * ldo;
                for (int j = 0; j < cols; j++) {
                    float v = ot[j * width + i];
                    if (bias != null) v += bias[bI + j];
                    out[r + j] = acc ? out[r + j] + v : v;
                }
            }
        }

        /** As {@link #block8} for two vectors of rows ({@code at} is {@code [K, 2L]}): four weight rows, eight accumulators. */
        private static void block4x2(float[] ot, int o, float[] at, float[] w, int w0, int ldw, int K) {
            int w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            FloatVector z = FloatVector.zero(S), c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
            for (int k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
                FloatVector p0 = z, p1 = z, p2 = z, p3 = z, q0 = z, q1 = z, q2 = z, q3 = z;
                for (int k = k0, end = Math.min(K, k0 + DEPTH_BLOCK); k < end; k++) {
                    FloatVector x = FloatVector.fromArray(S, at, k * 2 * L), y = FloatVector.fromArray(S, at, k * 2 * L + L);
                    FloatVector b0 = FloatVector.broadcast(S, w[w0 + k]), b1 = FloatVector.broadcast(S, w[w1 + k]);
                    FloatVector b2 = FloatVector.broadcast(S, w[w2 + k]), b3 = FloatVector.broadcast(S, w[w3 + k]);
                    p0 = x.fma(b0, p0); p1 = x.fma(b1, p1); p2 = x.fma(b2, p2); p3 = x.fma(b3, p3);
                    q0 = y.fma(b0, q0); q1 = y.fma(b1, q1); q2 = y.fma(b2, q2); q3 = y.fma(b3, q3);
                }
                c0 = c0.add(p0); c1 = c1.add(p1); c2 = c2.add(p2); c3 = c3.add(p3);
                d0 = d0.add(q0); d1 = d1.add(q1); d2 = d2.add(q2); d3 = d3.add(q3);
            }
            c0.intoArray(ot, o); d0.intoArray(ot, o + L); c1.intoArray(ot, o + 2 * L); d1.intoArray(ot, o + 3 * L);
            c2.intoArray(ot, o + 4 * L); d2.intoArray(ot, o + 5 * L); c3.intoArray(ot, o + 6 * L); d3.intoArray(ot, o + 7 * L);
        }

        /**
         * {@code ot[j·L + i] = Σ_k at[k·L + i] · w[w0 + j·ldw + k]} for the eight weight rows {@code j}. The depth is summed
         * in blocks of {@value #DEPTH_BLOCK} added into running totals, so the rounding error grows like that of the
         * dot-product kernel's lane-wise partial sums, not like one sequential sum over the whole depth.
         */
        private static void block8(float[] ot, int o, float[] at, float[] w, int w0, int ldw, int K) {
            int w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw, w4 = w3 + ldw, w5 = w4 + ldw, w6 = w5 + ldw, w7 = w6 + ldw;
            FloatVector z = FloatVector.zero(S), c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
            for (int k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
                FloatVector p0 = z, p1 = z, p2 = z, p3 = z, p4 = z, p5 = z, p6 = z, p7 = z;
                for (int k = k0, end = Math.min(K, k0 + DEPTH_BLOCK); k < end; k++) {
                    FloatVector x = FloatVector.fromArray(S, at, k * L);
                    p0 = x.fma(FloatVector.broadcast(S, w[w0 + k]), p0);
                    p1 = x.fma(FloatVector.broadcast(S, w[w1 + k]), p1);
                    p2 = x.fma(FloatVector.broadcast(S, w[w2 + k]), p2);
                    p3 = x.fma(FloatVector.broadcast(S, w[w3 + k]), p3);
                    p4 = x.fma(FloatVector.broadcast(S, w[w4 + k]), p4);
                    p5 = x.fma(FloatVector.broadcast(S, w[w5 + k]), p5);
                    p6 = x.fma(FloatVector.broadcast(S, w[w6 + k]), p6);
                    p7 = x.fma(FloatVector.broadcast(S, w[w7 + k]), p7);
                }
                c0 = c0.add(p0); c1 = c1.add(p1); c2 = c2.add(p2); c3 = c3.add(p3);
                c4 = c4.add(p4); c5 = c5.add(p5); c6 = c6.add(p6); c7 = c7.add(p7);
            }
            c0.intoArray(ot, o); c1.intoArray(ot, o + L); c2.intoArray(ot, o + 2 * L); c3.intoArray(ot, o + 3 * L);
            c4.intoArray(ot, o + 4 * L); c5.intoArray(ot, o + 5 * L); c6.intoArray(ot, o + 6 * L); c7.intoArray(ot, o + 7 * L);
        }

        /** One weight row against the vector of rows at lane offset {@code h} of {@code at} ({@code [K, width]}). */
        private static void single(float[] ot, int o, float[] at, int h, int width, float[] w, int w0, int K) {
            FloatVector c = FloatVector.zero(S);
            for (int k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
                FloatVector p = FloatVector.zero(S);
                for (int k = k0, end = Math.min(K, k0 + DEPTH_BLOCK); k < end; k++)
                    p = FloatVector.fromArray(S, at, k * width + h).fma(FloatVector.broadcast(S, w[w0 + k]), p);
                c = c.add(p);
            }
            c.intoArray(ot, o);
        }

        /** Depth steps per partial sum, added into running totals; {@link DecodeGemm} sums in the same blocks. */
        static final int DEPTH_BLOCK = 16;
    }

    /**
     * {@code out[M,N] (+)= a[M,K]·w[N,K]ᵀ} for small M as blocked dot products, 4 weight rows × 4 input rows:
     * the vector loops cover the depth in whole vectors and leave their 16 sums in a per-thread array; a scalar
     * step adds the depth tail, bias and old value. The vector methods thus have no branches but their loops.
     */
    private static final class SmallNT {
        /** 16 sums, then room for block4x4's 16 accumulators stored lane by lane, then for their transpose. */
        private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[16 + 32 * L]);

        static void run(float[] out, int outOff, int ldo, float[] a, int aOff, int lda, float[] w, int wOff, int ldw,
                        float[] bias, int biasOff, int M, int N, int K, boolean acc) {
            int blocks = (N + 3) / 4;
            int kv = K - K % L;
            // a fork pays off from ~64K multiply-adds per chunk (a weight-bound chunk takes ~50 µs then)
            int grain = Math.max(1, 16384 / Math.max(1, M * K / 4 + 1));
            Parallel.forRange(blocks, grain, (from, to) -> {
                float[] sums = SUMS.get();
                for (int nb = from; nb < to; nb++) {
                    int n0 = nb * 4;
                    if (n0 + 4 <= N) {
                        int w0 = wOff + n0 * ldw, m = 0;
                        for (; m + 4 <= M; m += 4) {
                            int a0 = aOff + m * lda;
                            block4x4(sums, a, a0, lda, w, w0, ldw, kv);
                            finish(sums, 4, 4, out, outOff + m * ldo + n0, ldo, a, a0, lda, w, w0, ldw, kv, K, bias, biasOff + n0, acc);
                        }
                        for (; m < M; m++) {
                            int a0 = aOff + m * lda;
                            block1x4(sums, a, a0, w, w0, ldw, kv);
                            finish(sums, 1, 4, out, outOff + m * ldo + n0, ldo, a, a0, lda, w, w0, ldw, kv, K, bias, biasOff + n0, acc);
                        }
                    } else {
                        for (int n = n0; n < N; n++) {
                            for (int m = 0; m < M; m++) {
                                int a0 = aOff + m * lda, w0 = wOff + n * ldw;
                                single(sums, a, a0, w, w0, kv);
                                finish(sums, 1, 1, out, outOff + m * ldo + n, ldo, a, a0, lda, w, w0, ldw, kv, K, bias, biasOff + n, acc);
                            }
                        }
                    }
                }
            });
        }

        /** {@code sums[i*4 + j] = Σ_{k<kv} a[a0 + i·lda + k] · w[w0 + j·ldw + k]} for i, j < 4. */
        private static void block4x4(float[] sums, float[] a, int a0, int lda, float[] w, int w0, int ldw, int kv) {
            int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            int w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00,
                    s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
            for (int k = 0; k < kv; k += L) {
                FloatVector x0 = FloatVector.fromArray(S, w, w0 + k), x1 = FloatVector.fromArray(S, w, w1 + k);
                FloatVector x2 = FloatVector.fromArray(S, w, w2 + k), x3 = FloatVector.fromArray(S, w, w3 + k);
                FloatVector y = FloatVector.fromArray(S, a, a0 + k);
                s00 = y.fma(x0, s00); s01 = y.fma(x1, s01); s02 = y.fma(x2, s02); s03 = y.fma(x3, s03);
                y = FloatVector.fromArray(S, a, a1 + k);
                s10 = y.fma(x0, s10); s11 = y.fma(x1, s11); s12 = y.fma(x2, s12); s13 = y.fma(x3, s13);
                y = FloatVector.fromArray(S, a, a2 + k);
                s20 = y.fma(x0, s20); s21 = y.fma(x1, s21); s22 = y.fma(x2, s22); s23 = y.fma(x3, s23);
                y = FloatVector.fromArray(S, a, a3 + k);
                s30 = y.fma(x0, s30); s31 = y.fma(x1, s31); s32 = y.fma(x2, s32); s33 = y.fma(x3, s33);
            }
            // the 16 lane sums from stored lanes: 16 inlined sum(…) calls exceed C2's node budget, and the ones left
            // as calls box their vector (a GRPO run's largest source of garbage, issue 15)
            int l = 16;
            s00.intoArray(sums, l); s01.intoArray(sums, l + L); s02.intoArray(sums, l + 2 * L); s03.intoArray(sums, l + 3 * L);
            l += 4 * L;
            s10.intoArray(sums, l); s11.intoArray(sums, l + L); s12.intoArray(sums, l + 2 * L); s13.intoArray(sums, l + 3 * L);
            l += 4 * L;
            s20.intoArray(sums, l); s21.intoArray(sums, l + L); s22.intoArray(sums, l + 2 * L); s23.intoArray(sums, l + 3 * L);
            l += 4 * L;
            s30.intoArray(sums, l); s31.intoArray(sums, l + L); s32.intoArray(sums, l + 2 * L); s33.intoArray(sums, l + 3 * L);
            if (L == 16) sum16(sums);
            else VectorMath.sumStored(sums, 16, 16, sums, 0);
        }

        /**
         * The 16 vectors stored at {@code sums[16 + j·16]} summed into {@code sums[j]}: transposed in registers so that
         * vector {@code p} holds lane {@code p} of every accumulator, then {@link VectorMath#sum}'s tree (lanes
         * {@code i + 8}, {@code + 4}, {@code + 2}, {@code + 1}) as 15 lanewise adds: the same additions in the same
         * order as the scalar {@link VectorMath#sumStored} (bitwise equal) at a tenth of the instructions.
         */
        private static void sum16(float[] sums) {
            int t = 16 + 16 * L;
            transpose16(sums, 16, L, sums, t, L);
            FloatVector a0 = FloatVector.fromArray(S, sums, t).add(FloatVector.fromArray(S, sums, t + 8 * L));
            FloatVector a1 = FloatVector.fromArray(S, sums, t + L).add(FloatVector.fromArray(S, sums, t + 9 * L));
            FloatVector a2 = FloatVector.fromArray(S, sums, t + 2 * L).add(FloatVector.fromArray(S, sums, t + 10 * L));
            FloatVector a3 = FloatVector.fromArray(S, sums, t + 3 * L).add(FloatVector.fromArray(S, sums, t + 11 * L));
            FloatVector a4 = FloatVector.fromArray(S, sums, t + 4 * L).add(FloatVector.fromArray(S, sums, t + 12 * L));
            FloatVector a5 = FloatVector.fromArray(S, sums, t + 5 * L).add(FloatVector.fromArray(S, sums, t + 13 * L));
            FloatVector a6 = FloatVector.fromArray(S, sums, t + 6 * L).add(FloatVector.fromArray(S, sums, t + 14 * L));
            FloatVector a7 = FloatVector.fromArray(S, sums, t + 7 * L).add(FloatVector.fromArray(S, sums, t + 15 * L));
            FloatVector b0 = a0.add(a4), b1 = a1.add(a5), b2 = a2.add(a6), b3 = a3.add(a7);
            FloatVector c0 = b0.add(b2), c1 = b1.add(b3);
            c0.add(c1).intoArray(sums, 0);
        }

        /** One input row against four weight rows: {@code sums[0..3]}. */
        private static void block1x4(float[] sums, float[] a, int a0, float[] w, int w0, int ldw, int kv) {
            int w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < kv; k += L) {
                FloatVector y = FloatVector.fromArray(S, a, a0 + k);
                s0 = y.fma(FloatVector.fromArray(S, w, w0 + k), s0);
                s1 = y.fma(FloatVector.fromArray(S, w, w1 + k), s1);
                s2 = y.fma(FloatVector.fromArray(S, w, w2 + k), s2);
                s3 = y.fma(FloatVector.fromArray(S, w, w3 + k), s3);
            }
            sums[0] = VectorMath.sum(s0); sums[1] = VectorMath.sum(s1);
            sums[2] = VectorMath.sum(s2); sums[3] = VectorMath.sum(s3);
        }

        /** One dot product: {@code sums[0]}. */
        private static void single(float[] sums, float[] a, int a0, float[] w, int w0, int kv) {
            FloatVector s = FloatVector.zero(S);
            for (int k = 0; k < kv; k += L) s = FloatVector.fromArray(S, a, a0 + k).fma(FloatVector.fromArray(S, w, w0 + k), s);
            sums[0] = VectorMath.sum(s);
        }

        /** Adds the depth tail {@code [kv, K)}, the bias and (with {@code acc}) the old value, and stores rows × cols sums. */
        private static void finish(float[] sums, int rows, int cols, float[] out, int o, int ldo, float[] a, int a0, int lda,
                                   float[] w, int w0, int ldw, int kv, int K, float[] bias, int bI, boolean acc) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    float v = sums[i * 4 + j];
                    for (int k = kv; k < K; k++) v += a[a0 + i * lda + k] * w[w0 + j * ldw + k];
                    if (bias != null) v += bias[bI + j];
                    int idx = o + i * ldo + j;
                    out[idx] = acc ? out[idx] + v : v;
                }
            }
        }
    }
}
