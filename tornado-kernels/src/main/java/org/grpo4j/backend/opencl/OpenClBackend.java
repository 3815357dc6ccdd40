package org.grpo4j.backend.opencl;

import java.util.Arrays;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.opencl.Buffer;
import org.grpo4j.opencl.ClDevice;
import org.grpo4j.opencl.ClSession;
import org.grpo4j.opencl.Kernel;

/**
 * The device backend: every tensor lives in OpenCL device memory ({@link ClTensor}: a buffer and an element
 * offset), every op is a kernel from {@code kernels/*.cl} enqueued on one in-order queue. The host uploads token
 * ids and reads back only what the engine asks for ({@link #read}); nothing else crosses the bus.
 *
 * <p>Each op checks its tensors' ranges on the host, then sets the kernel's arguments and enqueues it — one
 * method per op, mirroring {@code CpuBackend}, whose semantics (argument order, layouts, which gradients
 * accumulate) this class follows exactly; {@code OpenClBackendTest} holds every op to the CPU backend.
 * Kernels run asynchronously; errors of a launch surface at the next blocking read. Not thread-safe.
 */
public final class OpenClBackend implements Backend {
    private final ClSession session;
    private final boolean ownsSession;
    private final Gemm gemm;
    private final int wg, rowBlock;
    private final Kernel scale, add, sumSquares, swigluForward, swigluBackward, adamw, addPartials, biasBackward;
    private final Kernel addColumns, copyColumns, dropout;
    private final Kernel gatherRows, scatterAddRows, embeddingBackward;
    private final Kernel rmsForward, rmsCopyForward, rmsBackwardInput, rmsBackwardWeight, qkForward, qkBackward, qkBackwardWeight;
    private final Kernel rope;
    /** Attention kernels by vector width along a head: [0] scalar, [1] float8 (head_dim a multiple of 8). */
    private final Kernel[] attentionForward = new Kernel[2], attentionForwardNograd = new Kernel[2], attentionBackwardQ = new Kernel[2], attentionBackwardKv = new Kernel[2],
            attentionCached = new Kernel[2];
    private final Kernel kvStore;
    private final Kernel logSoftmaxGather, logSoftmaxBackward;
    private Buffer partials, attentionScratch, columnPartials;
    private float[] partialHost;

    /** A backend on {@code opencl:index} ({@link org.grpo4j.opencl.OpenCl#devices()}); closes its session on {@link #close()}. */
    public static OpenClBackend open(int index) {
        ClSession s = ClSession.open(index);
        try {
            return new OpenClBackend(s, true);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A backend on an open session, which the caller keeps and closes. */
    public OpenClBackend(ClSession session) {
        this(session, false);
    }

    private OpenClBackend(ClSession session, boolean ownsSession) {
        // the reduction work-group (a power of two, compiled in as WG): 256 on GPUs; on CPU drivers a group runs
        // as a loop per core and every barrier splits it, so one work-item per row is fastest there
        this(session, ownsSession, new Gemm(session),
                Integer.getInteger("grpo4j.opencl.wg", session.device().isCpu() ? 1 : 256), session.device().isCpu() ? 0 : 64);
    }

    /**
     * A backend with the kernel shapes of a GPU whatever the device: the tiled GEMM, 256-wide reductions and column
     * sums in blocks (of 8 rows, so that small test shapes span several blocks); tests run the GPU code paths on
     * PoCL this way.
     */
    static OpenClBackend gpuShaped(ClSession session) {
        return new OpenClBackend(session, false, new Gemm(session, true, false), 256, 8);
    }

    /** {@code rowBlock}: rows per partial block of a column sum, 0 for a single block. */
    private OpenClBackend(ClSession session, boolean ownsSession, Gemm gemm, int workGroup, int rowBlock) {
        this.session = session;
        this.ownsSession = ownsSession;
        this.gemm = gemm;
        this.rowBlock = rowBlock;
        int w = workGroup;
        if (Integer.bitCount(w) != 1) throw new IllegalArgumentException("the reduction work-group must be a power of two, got " + w);
        while (w > session.device().maxWorkGroupSize()) w >>= 1;
        this.wg = w;
        String d = "-DWG=" + wg;
        scale = session.kernel("elementwise.cl", "scale", d);
        add = session.kernel("elementwise.cl", "add", d);
        addColumns = session.kernel("elementwise.cl", "add_columns", d);
        copyColumns = session.kernel("elementwise.cl", "copy_columns", d);
        dropout = session.kernel("elementwise.cl", "dropout", d);
        sumSquares = session.kernel("elementwise.cl", "sum_squares", d);
        swigluForward = session.kernel("elementwise.cl", "swiglu_forward", d);
        swigluBackward = session.kernel("elementwise.cl", "swiglu_backward", d);
        adamw = session.kernel("elementwise.cl", "adamw", d);
        addPartials = session.kernel("elementwise.cl", "add_partials", d);
        biasBackward = session.kernel("elementwise.cl", "bias_backward", d);
        gatherRows = session.kernel("embedding.cl", "gather_rows", d);
        scatterAddRows = session.kernel("embedding.cl", "scatter_add_rows", d);
        embeddingBackward = session.kernel("embedding.cl", "embedding_backward", d);
        rmsForward = session.kernel("norm.cl", "rmsnorm_forward", d);
        rmsCopyForward = session.kernel("norm.cl", "rmsnorm_copy_forward", d);
        rmsBackwardInput = session.kernel("norm.cl", "rmsnorm_backward_input", d);
        rmsBackwardWeight = session.kernel("norm.cl", "rmsnorm_backward_weight", d);
        qkForward = session.kernel("norm.cl", "qknorm_forward", d);
        qkBackward = session.kernel("norm.cl", "qknorm_backward", d);
        qkBackwardWeight = session.kernel("norm.cl", "qknorm_backward_weight", d);
        rope = session.kernel("rope.cl", "rope", d);
        for (int v = 0; v < 2; v++) {
            String dv = d + " -DVW=" + (v == 0 ? 1 : 8);
            attentionForward[v] = session.kernel("attention.cl", "attention_forward", dv);
            attentionForwardNograd[v] = session.kernel("attention.cl", "attention_forward_nograd", dv);
            attentionBackwardQ[v] = session.kernel("attention.cl", "attention_backward_q", dv);
            attentionBackwardKv[v] = session.kernel("attention.cl", "attention_backward_kv", dv);
            attentionCached[v] = session.kernel("attention.cl", "attention_cached", dv);
        }
        kvStore = session.kernel("attention.cl", "kv_store", d + " -DVW=1");
        logSoftmaxGather = session.kernel("logsoftmax.cl", "logsoftmax_gather", d);
        logSoftmaxBackward = session.kernel("logsoftmax.cl", "logsoftmax_backward", d);
    }

    public ClSession session() {
        return session;
    }

    public ClDevice device() {
        return session.device();
    }

    @Override
    public String name() {
        ClDevice d = session.device();
        return "opencl:" + d.index() + " (" + d.type() + " " + d.name() + ", " + d.platform() + "; gemm " + gemm.variant()
                + ", reductions in groups of " + wg + ")";
    }

    // ---------------------------------------------------------------- tensors

    private static ClTensor c(Tensor t, String what) {
        if (t instanceof ClTensor ct) return ct;
        if (t == null) throw new IllegalArgumentException(what + " is null");
        throw new IllegalArgumentException("the OpenCL backend got a tensor of another backend for " + what + ": " + t.getClass().getSimpleName());
    }

    private static ClIntTensor c(IntTensor t, String what) {
        if (t instanceof ClIntTensor ct) return ct;
        if (t == null) throw new IllegalArgumentException(what + " is null");
        throw new IllegalArgumentException("the OpenCL backend got an int tensor of another backend for " + what + ": " + t.getClass().getSimpleName());
    }

    /** Checks that {@code t} holds at least {@code n} floats and returns its element offset as the kernels' int. */
    private static int need(ClTensor t, long n, String what) {
        if (t.size() < n) throw new IndexOutOfBoundsException(what + " holds " + t.size() + " floats, the op needs " + n);
        Ops.i(t.offset + n);
        return (int) t.offset;
    }

    private static void needInts(ClIntTensor t, long n, String what) {
        if (t.size() < n) throw new IndexOutOfBoundsException(what + " holds " + t.size() + " ints, the op needs " + n);
    }

    @Override
    public Tensor allocate(long size) {
        Buffer b = session.allocate(size);
        b.fill(session.queue(), 0, Math.max(1, size), 0f);
        return new ClTensor(b, 0, size);
    }

    @Override
    public IntTensor ints(int[] values) {
        int[] host = values.clone();
        Buffer b = session.allocate(host.length);
        if (host.length > 0) b.write(session.queue(), 0, host, 0, host.length);
        return new ClIntTensor(b, host);
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset, int n) {
        ClTensor d = c(dst, "dst");
        if (n > d.size()) throw new IndexOutOfBoundsException("write of " + n + " floats into a tensor of " + d.size());
        d.buffer.write(session.queue(), d.offset, src, srcOffset, n);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int n) {
        ClTensor s = c(src, "src");
        if (n > s.size()) throw new IndexOutOfBoundsException("read of " + n + " floats from a tensor of " + s.size());
        s.buffer.read(session.queue(), s.offset, dst, dstOffset, n);
    }

    @Override
    public void fill(Tensor t, float value) {
        ClTensor x = c(t, "t");
        x.buffer.fill(session.queue(), x.offset, x.size(), value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        ClTensor d = c(dst, "dst"), s = c(src, "src");
        if (d.size() != s.size()) throw new IllegalArgumentException("copy between sizes " + s.size() + " and " + d.size());
        d.buffer.copyFrom(session.queue(), s.buffer, s.offset, d.offset, d.size());
    }

    @Override
    public void scale(Tensor t, float s) {
        ClTensor x = c(t, "t");
        int n = Ops.i(x.size());
        scale.arg(0, x.buffer).arg(1, need(x, n, "t")).arg(2, n).arg(3, s);
        scale.launchItems(session.queue(), n);
    }

    @Override
    public void add(Tensor dst, Tensor src) {
        ClTensor d = c(dst, "dst"), s = c(src, "src");
        if (d.size() != s.size()) throw new IllegalArgumentException("add of sizes " + s.size() + " and " + d.size());
        int n = Ops.i(d.size());
        add.arg(0, d.buffer).arg(1, need(d, n, "dst")).arg(2, s.buffer).arg(3, need(s, n, "src")).arg(4, n);
        add.launchItems(session.queue(), n);
    }

    // LoRA's column blocks and dropout (the adapters' products are the ordinary matmul ops). Packed bf16/int8/NF4
    // weights are not implemented here: pack() says so (Backend's default), there is no silent fallback.

    @Override
    public void addColumns(Tensor dst, int ldDst, int col0, Tensor src, int rows, int cols, float s) {
        ClTensor d = c(dst, "dst"), x = c(src, "src");
        if (col0 < 0 || col0 + cols > ldDst) throw new IllegalArgumentException("columns [" + col0 + ", " + (col0 + cols) + ") outside rows of " + ldDst);
        int n = Ops.i((long) rows * cols);
        addColumns.arg(0, d.buffer).arg(1, need(d, (long) rows * ldDst, "dst")).arg(2, ldDst).arg(3, col0).arg(4, x.buffer).arg(5, need(x, n, "src"))
                .arg(6, rows).arg(7, cols).arg(8, s);
        addColumns.launchItems(session.queue(), n);
    }

    @Override
    public void copyColumns(Tensor dst, Tensor src, int ldSrc, int col0, int rows, int cols) {
        ClTensor d = c(dst, "dst"), x = c(src, "src");
        if (col0 < 0 || col0 + cols > ldSrc) throw new IllegalArgumentException("columns [" + col0 + ", " + (col0 + cols) + ") outside rows of " + ldSrc);
        int n = Ops.i((long) rows * cols);
        copyColumns.arg(0, d.buffer).arg(1, need(d, n, "dst")).arg(2, x.buffer).arg(3, need(x, (long) rows * ldSrc, "src")).arg(4, ldSrc).arg(5, col0)
                .arg(6, rows).arg(7, cols);
        copyColumns.launchItems(session.queue(), n);
    }

    @Override
    public void dropout(Tensor out, Tensor in, long seed, float p, int n, boolean accumulate) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        ClTensor o = c(out, "out"), x = c(in, "in");
        dropout.arg(0, o.buffer).arg(1, need(o, n, "out")).arg(2, x.buffer).arg(3, need(x, n, "in")).arg(4, seed)
                .arg(5, (int) Math.ceil(p * (1 << 24))).arg(6, 1 / (1 - p)).arg(7, n).arg(8, accumulate ? 1 : 0);
        dropout.launchItems(session.queue(), n);
    }

    @Override
    public double sumOfSquares(Tensor t) {
        ClTensor x = c(t, "t");
        int n = Ops.i(x.size());
        if (n == 0) return 0;
        int groups = Math.min(Ops.ceilDiv(n, wg), 1024);
        if (partials == null) {
            partials = session.allocate(1024);
            partialHost = new float[1024];
        }
        sumSquares.arg(0, partials).arg(1, x.buffer).arg(2, need(x, n, "t")).arg(3, n);
        sumSquares.launch(session.queue(), (long) groups * wg, wg);
        partials.read(session.queue(), 0, partialHost, 0, groups);
        double s = 0;
        for (int g = 0; g < groups; g++) s += partialHost[g];
        return s;
    }

    // ---------------------------------------------------------------- linear layers

    @Override
    public void matmul(Tensor out, Tensor in, Tensor w, Tensor bias, int M, int N, int K, boolean accumulate) {
        ClTensor o = c(out, "out"), a = c(in, "in"), b = c(w, "w");
        ClTensor bi = bias == null ? null : c(bias, "bias");
        need(o, (long) M * N, "out");
        need(a, (long) M * K, "in");
        need(b, (long) N * K, "w");
        if (bi != null) need(bi, N, "bias");
        gemm.nt(o.buffer, o.offset, a.buffer, a.offset, b.buffer, b.offset, bi == null ? null : bi.buffer, bi == null ? 0 : bi.offset,
                M, N, K, accumulate);
    }

    @Override
    public void matmulBackwardInput(Tensor dIn, Tensor dOut, Tensor w, int M, int N, int K, boolean accumulate) {
        ClTensor o = c(dIn, "dIn"), a = c(dOut, "dOut"), b = c(w, "w");
        need(o, (long) M * K, "dIn");
        need(a, (long) M * N, "dOut");
        need(b, (long) N * K, "w");
        gemm.nn(o.buffer, o.offset, a.buffer, a.offset, b.buffer, b.offset, M, N, K, accumulate);
    }

    @Override
    public void matmulBackwardWeight(Tensor dW, Tensor dOut, Tensor in, int M, int N, int K) {
        ClTensor o = c(dW, "dW"), a = c(dOut, "dOut"), b = c(in, "in");
        need(o, (long) N * K, "dW");
        need(a, (long) M * N, "dOut");
        need(b, (long) M * K, "in");
        gemm.tn(o.buffer, o.offset, a.buffer, a.offset, b.buffer, b.offset, M, N, K);
    }

    @Override
    public void biasBackward(Tensor dBias, Tensor dOut, int M, int N) {
        ClTensor o = c(dBias, "dBias"), a = c(dOut, "dOut");
        need(o, N, "dBias");
        int rpb = rowsPerBlock(M), blocks = Ops.ceilDiv(Math.max(M, 1), rpb);
        Buffer part = columnPartials((long) blocks * N);
        biasBackward.arg(0, part).arg(1, a.buffer).arg(2, need(a, (long) M * N, "dOut")).arg(3, M).arg(4, N).arg(5, rpb);
        biasBackward.launchItems(session.queue(), (long) blocks * N);
        addColumns(o, part, 0, N, blocks, N);
    }

    // ---------------------------------------------------------------- column sums (weight and bias gradients)

    /** Rows per partial block of a column sum: enough blocks to fill a GPU; one block on a CPU driver. */
    private int rowsPerBlock(int rows) {
        return rowBlock == 0 ? Math.max(1, rows) : rowBlock;
    }

    private Buffer columnPartials(long n) {
        if (columnPartials == null || columnPartials.bytes() < Math.max(1, n) * 4) {
            if (columnPartials != null) columnPartials.close();
            columnPartials = session.allocate(Math.max(1, n));
        }
        return columnPartials;
    }

    /** {@code dW[j] += Σ_b partial[pOff + b·stride + j]} for {@code j < n}, blocks in order. */
    private void addColumns(ClTensor dW, Buffer partial, int pOff, int stride, int blocks, int n) {
        addPartials.arg(0, dW.buffer).arg(1, need(dW, n, "weight gradient")).arg(2, partial).arg(3, pOff).arg(4, stride)
                .arg(5, blocks).arg(6, n);
        addPartials.launchItems(session.queue(), n);
    }

    // ---------------------------------------------------------------- embedding

    @Override
    public void embedding(Tensor out, IntTensor tokens, Tensor table, int rows, int dim) {
        ClIntTensor ids = c(tokens, "tokens");
        ClTensor t = c(table, "table");
        checkIds(ids, 0, rows, t.size() / dim, "token id", "the vocabulary");
        gatherRows(out, table, ids, rows, dim, "embedding");
    }

    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int rows, int dim) {
        ClTensor d = c(dTable, "dTable"), g = c(dOut, "dOut");
        ClIntTensor ids = c(tokens, "tokens");
        checkIds(ids, 0, rows, d.size() / dim, "token id", "the vocabulary");
        int gOff = need(g, (long) rows * dim, "dOut");
        int dOff = need(d, d.size(), "dTable");
        if (rows == 0) return;
        if (ids.groupedRows != rows) groupByToken(ids, rows);
        embeddingBackward.arg(0, d.buffer).arg(1, dOff).arg(2, g.buffer).arg(3, gOff).arg(4, ids.groups).arg(5, ids.distinct).arg(6, dim);
        embeddingBackward.launchItems(session.queue(), (long) ids.distinct * dim);
    }

    /** Uploads {@code [distinct tokens | start offsets | rows in order]} for the first {@code rows} ids. */
    private void groupByToken(ClIntTensor ids, int rows) {
        long[] keyed = new long[rows];
        for (int r = 0; r < rows; r++) keyed[r] = ((long) ids.host[r] << 32) | r;
        Arrays.sort(keyed);
        int distinct = 0;
        for (int k = 0; k < rows; k++) if (k == 0 || (keyed[k] >>> 32) != (keyed[k - 1] >>> 32)) distinct++;
        int[] groups = new int[2 * distinct + 1 + rows];
        int u = -1;
        for (int k = 0; k < rows; k++) {
            int token = (int) (keyed[k] >>> 32);
            if (k == 0 || token != (int) (keyed[k - 1] >>> 32)) {
                u++;
                groups[u] = token;
                groups[distinct + u] = k;
            }
            groups[2 * distinct + 1 + k] = (int) keyed[k];
        }
        groups[2 * distinct] = rows;
        if (ids.groups != null) ids.groups.close();
        ids.groups = session.allocate(groups.length);
        ids.groups.write(session.queue(), 0, groups, 0, groups.length);
        ids.distinct = distinct;
        ids.groupedRows = rows;
    }

    @Override
    public void gatherRows(Tensor out, Tensor in, IntTensor index, int n, int dim) {
        ClIntTensor idx = c(index, "index");
        checkIds(idx, 0, n, c(in, "in").size() / dim, "row index", "the source rows");
        gatherRows(out, in, idx, n, dim, "gatherRows");
    }

    private void gatherRows(Tensor out, Tensor in, ClIntTensor idx, int n, int dim, String op) {
        ClTensor o = c(out, "out"), x = c(in, "in");
        int oOff = need(o, (long) n * dim, op + " out");
        int xOff = need(x, x.size(), op + " in");
        gatherRows.arg(0, o.buffer).arg(1, oOff).arg(2, x.buffer).arg(3, xOff).arg(4, idx.buffer).arg(5, n).arg(6, dim);
        gatherRows.launchItems(session.queue(), (long) n * dim);
    }

    @Override
    public void scatterAddRows(Tensor dIn, Tensor dOut, IntTensor index, int n, int dim) {
        ClTensor d = c(dIn, "dIn"), g = c(dOut, "dOut");
        ClIntTensor idx = c(index, "index");
        checkIds(idx, 0, n, d.size() / dim, "row index", "the destination rows");
        int dOff = need(d, d.size(), "dIn"), gOff = need(g, (long) n * dim, "dOut");
        scatterAddRows.arg(0, d.buffer).arg(1, dOff).arg(2, g.buffer).arg(3, gOff).arg(4, idx.buffer).arg(5, n).arg(6, dim);
        scatterAddRows.launchItems(session.queue(), (long) n * dim);
    }

    private static void checkIds(ClIntTensor ids, int from, int n, long limit, String what, String range) {
        needInts(ids, (long) from + n, what + "s");
        for (int i = from; i < from + n; i++) {
            int id = ids.host[i];
            if (id < 0 || id >= limit) throw new IllegalArgumentException(what + " " + id + " (entry " + i + ") outside " + range + " of " + limit);
        }
    }

    // ---------------------------------------------------------------- normalisation

    @Override
    public void rmsNorm(Tensor out, Tensor rstd, Tensor in, Tensor weight, int rows, int dim, float eps) {
        ClTensor o = c(out, "out"), s = c(rstd, "rstd"), x = c(in, "in"), w = c(weight, "weight");
        long n = (long) rows * dim;
        rmsForward.arg(0, o.buffer).arg(1, need(o, n, "out")).arg(2, s.buffer).arg(3, need(s, rows, "rstd"))
                .arg(4, x.buffer).arg(5, need(x, n, "in")).arg(6, w.buffer).arg(7, need(w, dim, "weight"))
                .arg(8, dim).arg(9, eps);
        rmsForward.launch(session.queue(), (long) rows * wg, wg);
    }

    @Override
    public void rmsNormCopy(Tensor out, Tensor rstd, Tensor copy, Tensor in, Tensor weight, int rows, int dim, float eps) {
        ClTensor o = c(out, "out"), s = c(rstd, "rstd"), k = c(copy, "copy"), x = c(in, "in"), w = c(weight, "weight");
        long n = (long) rows * dim;
        rmsCopyForward.arg(0, o.buffer).arg(1, need(o, n, "out")).arg(2, s.buffer).arg(3, need(s, rows, "rstd"))
                .arg(4, k.buffer).arg(5, need(k, n, "copy")).arg(6, x.buffer).arg(7, need(x, n, "in"))
                .arg(8, w.buffer).arg(9, need(w, dim, "weight")).arg(10, dim).arg(11, eps);
        rmsCopyForward.launch(session.queue(), (long) rows * wg, wg);
    }

    @Override
    public void rmsNormBackward(Tensor dIn, Tensor dWeight, Tensor dOut, Tensor in, Tensor weight, Tensor rstd, int rows, int dim) {
        ClTensor di = c(dIn, "dIn"), dw = c(dWeight, "dWeight"), d = c(dOut, "dOut"), x = c(in, "in"), w = c(weight, "weight"), s = c(rstd, "rstd");
        long n = (long) rows * dim;
        int dOff = need(d, n, "dOut"), xOff = need(x, n, "in"), sOff = need(s, rows, "rstd");
        rmsBackwardInput.arg(0, di.buffer).arg(1, need(di, n, "dIn")).arg(2, d.buffer).arg(3, dOff)
                .arg(4, x.buffer).arg(5, xOff).arg(6, w.buffer).arg(7, need(w, dim, "weight"))
                .arg(8, s.buffer).arg(9, sOff).arg(10, dim);
        rmsBackwardInput.launch(session.queue(), (long) rows * wg, wg);
        int rpb = rowsPerBlock(rows), blocks = Ops.ceilDiv(Math.max(rows, 1), rpb);
        Buffer part = columnPartials((long) blocks * dim);
        rmsBackwardWeight.arg(0, part).arg(1, d.buffer).arg(2, dOff).arg(3, x.buffer).arg(4, xOff).arg(5, s.buffer).arg(6, sOff)
                .arg(7, rows).arg(8, dim).arg(9, rpb);
        rmsBackwardWeight.launchItems(session.queue(), (long) blocks * dim);
        addColumns(dw, part, 0, dim, blocks, dim);
    }

    @Override
    public void qkNorm(Tensor out, Tensor rstd, Tensor qkv, Tensor qWeight, Tensor kWeight, int rows, int heads, int kvHeads, int headDim, float eps) {
        ClTensor o = c(out, "out"), s = c(rstd, "rstd"), x = c(qkv, "qkv"), qw = c(qWeight, "qWeight"), kw = c(kWeight, "kWeight");
        long n = (long) rows * (heads + 2 * kvHeads) * headDim;
        qkForward.arg(0, o.buffer).arg(1, need(o, n, "out")).arg(2, s.buffer).arg(3, need(s, (long) rows * (heads + kvHeads), "rstd"))
                .arg(4, x.buffer).arg(5, need(x, n, "qkv")).arg(6, qw.buffer).arg(7, need(qw, headDim, "qWeight"))
                .arg(8, kw.buffer).arg(9, need(kw, headDim, "kWeight")).arg(10, rows).arg(11, heads).arg(12, kvHeads)
                .arg(13, headDim).arg(14, eps);
        qkForward.launchItems(session.queue(), (long) rows * (heads + 2 * kvHeads));
    }

    @Override
    public void qkNormBackward(Tensor dQkv, Tensor dqWeight, Tensor dkWeight, Tensor dOut, Tensor qkv, Tensor qWeight, Tensor kWeight,
                               Tensor rstd, int rows, int heads, int kvHeads, int headDim) {
        ClTensor dx = c(dQkv, "dQkv"), dqw = c(dqWeight, "dqWeight"), dkw = c(dkWeight, "dkWeight"), d = c(dOut, "dOut"),
                x = c(qkv, "qkv"), qw = c(qWeight, "qWeight"), kw = c(kWeight, "kWeight"), s = c(rstd, "rstd");
        long n = (long) rows * (heads + 2 * kvHeads) * headDim;
        int dOff = need(d, n, "dOut"), xOff = need(x, n, "qkv"), sOff = need(s, (long) rows * (heads + kvHeads), "rstd");
        qkBackward.arg(0, dx.buffer).arg(1, need(dx, n, "dQkv")).arg(2, d.buffer).arg(3, dOff).arg(4, x.buffer).arg(5, xOff)
                .arg(6, qw.buffer).arg(7, need(qw, headDim, "qWeight")).arg(8, kw.buffer).arg(9, need(kw, headDim, "kWeight"))
                .arg(10, s.buffer).arg(11, sOff).arg(12, rows).arg(13, heads).arg(14, kvHeads).arg(15, headDim);
        qkBackward.launchItems(session.queue(), (long) rows * (heads + 2 * kvHeads));
        int rpb = rowsPerBlock(rows), blocks = Ops.ceilDiv(Math.max(rows, 1), rpb);
        Buffer part = columnPartials((long) blocks * 2 * headDim);
        qkBackwardWeight.arg(0, part).arg(1, d.buffer).arg(2, dOff).arg(3, x.buffer).arg(4, xOff).arg(5, s.buffer).arg(6, sOff)
                .arg(7, rows).arg(8, heads).arg(9, kvHeads).arg(10, headDim).arg(11, rpb);
        qkBackwardWeight.launchItems(session.queue(), (long) blocks * 2 * headDim);
        addColumns(dqw, part, 0, 2 * headDim, blocks, headDim);
        addColumns(dkw, part, headDim, 2 * headDim, blocks, headDim);
    }

    // ---------------------------------------------------------------- rotary position embedding

    @Override
    public void rope(Tensor qkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim) {
        rotate(qkv, positions, cos, sin, rows, heads, kvHeads, headDim, 1f);
    }

    @Override
    public void ropeBackward(Tensor dQkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim) {
        rotate(dQkv, positions, cos, sin, rows, heads, kvHeads, headDim, -1f);
    }

    private void rotate(Tensor qkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim, float sign) {
        ClTensor x = c(qkv, "qkv"), co = c(cos, "cos"), si = c(sin, "sin");
        ClIntTensor pos = c(positions, "positions");
        int half = headDim / 2;
        checkIds(pos, 0, rows, Math.min(co.size(), si.size()) / half, "position", "the RoPE tables' positions");
        long n = (long) rows * (heads + 2 * kvHeads) * headDim;
        rope.arg(0, x.buffer).arg(1, need(x, n, "qkv")).arg(2, pos.buffer).arg(3, co.buffer).arg(4, need(co, co.size(), "cos"))
                .arg(5, si.buffer).arg(6, need(si, si.size(), "sin")).arg(7, rows).arg(8, heads).arg(9, kvHeads)
                .arg(10, headDim).arg(11, sign);
        rope.launchItems(session.queue(), (long) rows * (heads + kvHeads) * half);
    }

    // ---------------------------------------------------------------- attention

    private static float attentionScale(int headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    @Override
    public void attention(Tensor out, Tensor probs, Tensor qkv, SequenceLayout layout, int heads, int kvHeads, int headDim) {
        if (probs == null) {
            attentionNograd(out, qkv, layout, heads, kvHeads, headDim);
            return;
        }
        ClTensor o = c(out, "out"), p = c(probs, "probs"), x = c(qkv, "qkv");
        ClIntTensor seqStart = c(layout.seqStart(), "seqStart"), probStart = c(layout.probStart(), "probStart");
        int rows = layout.rows();
        checkHeads(heads, kvHeads);
        Kernel k = attentionForward[headDim % 8 == 0 ? 1 : 0];
        k.arg(0, o.buffer).arg(1, need(o, (long) rows * heads * headDim, "out")).arg(2, p.buffer).arg(3, need(p, layout.probsSize(), "probs"))
                .arg(4, x.buffer).arg(5, need(x, (long) rows * (heads + 2 * kvHeads) * headDim, "qkv"))
                .arg(6, seqStart.buffer).arg(7, probStart.buffer).arg(8, layout.batch()).arg(9, rows).arg(10, heads)
                .arg(11, kvHeads).arg(12, headDim).arg(13, attentionScale(headDim));
        k.launchItems(session.queue(), (long) rows * heads);
    }

    private void attentionNograd(Tensor out, Tensor qkv, SequenceLayout layout, int heads, int kvHeads, int headDim) {
        ClTensor o = c(out, "out"), x = c(qkv, "qkv");
        int rows = layout.rows();
        checkHeads(heads, kvHeads);
        Kernel k = attentionForwardNograd[headDim % 8 == 0 ? 1 : 0];
        k.arg(0, o.buffer).arg(1, need(o, (long) rows * heads * headDim, "out"))
                .arg(2, x.buffer).arg(3, need(x, (long) rows * (heads + 2 * kvHeads) * headDim, "qkv"))
                .arg(4, c(layout.seqStart(), "seqStart").buffer).arg(5, layout.batch()).arg(6, rows).arg(7, heads)
                .arg(8, kvHeads).arg(9, headDim).arg(10, attentionScale(headDim));
        k.launchItems(session.queue(), (long) rows * heads);
    }

    @Override
    public void attentionBackward(Tensor dQkv, Tensor dOut, Tensor qkv, Tensor probs, SequenceLayout layout, int heads, int kvHeads, int headDim) {
        ClTensor dx = c(dQkv, "dQkv"), d = c(dOut, "dOut"), x = c(qkv, "qkv"), p = c(probs, "probs");
        ClIntTensor seqStart = c(layout.seqStart(), "seqStart"), probStart = c(layout.probStart(), "probStart");
        int rows = layout.rows();
        checkHeads(heads, kvHeads);
        long width = (long) rows * (heads + 2 * kvHeads) * headDim;
        int dxOff = need(dx, width, "dQkv"), dOff = need(d, (long) rows * heads * headDim, "dOut"), xOff = need(x, width, "qkv"),
                pOff = need(p, layout.probsSize(), "probs");
        if (attentionScratch == null || attentionScratch.bytes() < Math.max(1, layout.probsSize()) * 4) {
            if (attentionScratch != null) attentionScratch.close();
            attentionScratch = session.allocate(Math.max(1, layout.probsSize()));
        }
        int vw = headDim % 8 == 0 ? 8 : 1;
        Kernel q = attentionBackwardQ[vw == 8 ? 1 : 0];
        q.arg(0, dx.buffer).arg(1, dxOff).arg(2, attentionScratch).arg(3, d.buffer).arg(4, dOff).arg(5, x.buffer).arg(6, xOff)
                .arg(7, p.buffer).arg(8, pOff).arg(9, seqStart.buffer).arg(10, probStart.buffer).arg(11, layout.batch())
                .arg(12, rows).arg(13, heads).arg(14, kvHeads).arg(15, headDim).arg(16, attentionScale(headDim));
        q.launchItems(session.queue(), (long) rows * heads);
        Kernel kv = attentionBackwardKv[vw == 8 ? 1 : 0];
        kv.arg(0, dx.buffer).arg(1, dxOff).arg(2, attentionScratch).arg(3, d.buffer).arg(4, dOff).arg(5, x.buffer).arg(6, xOff)
                .arg(7, p.buffer).arg(8, pOff).arg(9, seqStart.buffer).arg(10, probStart.buffer).arg(11, layout.batch())
                .arg(12, rows).arg(13, heads).arg(14, kvHeads).arg(15, headDim);
        kv.launchItems(session.queue(), (long) rows * kvHeads * (headDim / vw));
    }

    private static void checkHeads(int heads, int kvHeads) {
        if (kvHeads <= 0 || heads % kvHeads != 0)
            throw new IllegalArgumentException("attention heads " + heads + " must be a multiple of the kv heads " + kvHeads);
    }

    // ---------------------------------------------------------------- generation (KV cache)

    @Override
    public void writeInts(IntTensor dst, int[] src, int n) {
        ClIntTensor d = c(dst, "dst");
        if (n > d.size()) throw new IndexOutOfBoundsException("write of " + n + " ints into an int tensor of " + d.size());
        System.arraycopy(src, 0, d.host, 0, n);
        d.groupedRows = -1; // the embedding backward's grouping is stale
        if (n > 0) d.buffer.write(session.queue(), 0, src, 0, n);
    }

    @Override
    public void kvStore(Tensor kCache, Tensor vCache, Tensor qkv, IntTensor slots, int rows, int heads, int kvHeads, int headDim) {
        ClTensor k = c(kCache, "kCache"), v = c(vCache, "vCache"), x = c(qkv, "qkv");
        ClIntTensor s = c(slots, "slots");
        long kvDim = (long) kvHeads * headDim;
        checkIds(s, 0, rows, Math.min(k.size(), v.size()) / kvDim, "KV cache slot", "the cache rows");
        kvStore.arg(0, k.buffer).arg(1, need(k, k.size(), "kCache")).arg(2, v.buffer).arg(3, need(v, v.size(), "vCache"))
                .arg(4, x.buffer).arg(5, need(x, (long) rows * (heads + 2 * kvHeads) * headDim, "qkv")).arg(6, s.buffer)
                .arg(7, rows).arg(8, heads).arg(9, kvHeads).arg(10, headDim);
        kvStore.launchItems(session.queue(), rows * kvDim);
    }

    @Override
    public void attentionCached(Tensor out, Tensor qkv, Tensor kCache, Tensor vCache, IntTensor segments, int rows, int heads, int kvHeads, int headDim) {
        ClTensor o = c(out, "out"), x = c(qkv, "qkv"), k = c(kCache, "kCache"), v = c(vCache, "vCache");
        ClIntTensor seg = c(segments, "segments");
        checkHeads(heads, kvHeads);
        needInts(seg, 4L * rows, "segments");
        long cacheRows = Math.min(k.size(), v.size()) / ((long) kvHeads * headDim);
        for (int r = 0; r < rows; r++) {
            int aStart = seg.host[4 * r], aLen = seg.host[4 * r + 1], bStart = seg.host[4 * r + 2], bLen = seg.host[4 * r + 3];
            if (aLen + bLen <= 0) throw new IllegalArgumentException("attention row " + r + " has no keys to attend to");
            if (aLen < 0 || bLen < 0 || (aLen > 0 && (aStart < 0 || aStart + (long) aLen > cacheRows))
                    || (bLen > 0 && (bStart < 0 || bStart + (long) bLen > cacheRows)))
                throw new IndexOutOfBoundsException("attention row " + r + ": cache runs [" + aStart + ", +" + aLen + ") and ["
                        + bStart + ", +" + bLen + ") outside the " + cacheRows + " cache rows");
        }
        Kernel kn = attentionCached[headDim % 8 == 0 ? 1 : 0];
        kn.arg(0, o.buffer).arg(1, need(o, (long) rows * heads * headDim, "out"))
                .arg(2, x.buffer).arg(3, need(x, (long) rows * (heads + 2 * kvHeads) * headDim, "qkv"))
                .arg(4, k.buffer).arg(5, need(k, k.size(), "kCache")).arg(6, v.buffer).arg(7, need(v, v.size(), "vCache"))
                .arg(8, seg.buffer).arg(9, rows).arg(10, heads).arg(11, kvHeads).arg(12, headDim).arg(13, attentionScale(headDim));
        kn.launchItems(session.queue(), (long) rows * heads);
    }

    // ---------------------------------------------------------------- MLP

    @Override
    public void swiglu(Tensor out, Tensor gateUp, int rows, int F) {
        ClTensor o = c(out, "out"), g = c(gateUp, "gateUp");
        long n = (long) rows * F;
        swigluForward.arg(0, o.buffer).arg(1, need(o, n, "out")).arg(2, g.buffer).arg(3, need(g, 2 * n, "gateUp")).arg(4, rows).arg(5, F);
        swigluForward.launchItems(session.queue(), n);
    }

    @Override
    public void swigluBackward(Tensor dGateUp, Tensor out, Tensor dOut, Tensor gateUp, int rows, int F) {
        ClTensor dg = c(dGateUp, "dGateUp"), o = c(out, "out"), d = c(dOut, "dOut"), g = c(gateUp, "gateUp");
        long n = (long) rows * F;
        swigluBackward.arg(0, dg.buffer).arg(1, need(dg, 2 * n, "dGateUp")).arg(2, o.buffer).arg(3, need(o, n, "out"))
                .arg(4, d.buffer).arg(5, need(d, n, "dOut")).arg(6, g.buffer).arg(7, need(g, 2 * n, "gateUp")).arg(8, rows).arg(9, F);
        swigluBackward.launchItems(session.queue(), n);
    }

    // ---------------------------------------------------------------- output head

    @Override
    public void logSoftmaxGather(Tensor logp, Tensor entropy, Tensor lse, Tensor logits, IntTensor targets, int targetOffset, int rows, int vocab, float temperature) {
        ClTensor lp = c(logp, "logp"), x = c(logits, "logits");
        ClTensor e = entropy == null ? null : c(entropy, "entropy"), z = lse == null ? null : c(lse, "lse");
        ClIntTensor t = c(targets, "targets");
        checkIds(t, targetOffset, rows, vocab, "target token", "the vocabulary");
        if (rows == 0) return;
        Kernel k = logSoftmaxGather;
        k.arg(0, lp.buffer).arg(1, need(lp, rows, "logp")).arg(2, e == null ? null : e.buffer).arg(3, e == null ? 0 : need(e, rows, "entropy"))
                .arg(4, e == null ? 0 : 1).arg(5, z == null ? null : z.buffer).arg(6, z == null ? 0 : need(z, rows, "lse")).arg(7, z == null ? 0 : 1)
                .arg(8, x.buffer).arg(9, need(x, (long) rows * vocab, "logits")).arg(10, t.buffer)
                .arg(11, targetOffset).arg(12, vocab).arg(13, 1f / temperature);
        k.launch(session.queue(), (long) rows * wg, wg);
    }

    @Override
    public void logSoftmaxBackward(Tensor logits, Tensor lse, Tensor dLogp, IntTensor targets, int targetOffset, int rows, int vocab, float temperature) {
        ClTensor x = c(logits, "logits"), z = c(lse, "lse"), d = c(dLogp, "dLogp");
        ClIntTensor t = c(targets, "targets");
        checkIds(t, targetOffset, rows, vocab, "target token", "the vocabulary");
        if (rows == 0) return;
        Kernel k = logSoftmaxBackward;
        k.arg(0, x.buffer).arg(1, need(x, (long) rows * vocab, "logits")).arg(2, z.buffer).arg(3, need(z, rows, "lse"))
                .arg(4, d.buffer).arg(5, need(d, rows, "dLogp")).arg(6, t.buffer).arg(7, targetOffset).arg(8, vocab).arg(9, 1f / temperature);
        k.launch(session.queue(), (long) rows * wg, wg);
    }

    // ---------------------------------------------------------------- optimiser

    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        ClTensor p = c(params, "params"), g = c(grads, "grads"), mm = c(m, "m"), vv = c(v, "v");
        if (p.size() != g.size() || p.size() != mm.size() || p.size() != vv.size())
            throw new IllegalArgumentException("AdamW tensors differ in size");
        // the same float constants as the CPU backend, computed once on the host
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        float decay = 1f - lr * weightDecay, stepSize = lr / c1, sqrtC2 = (float) Math.sqrt(c2);
        int n = Ops.i(p.size());
        adamw.arg(0, p.buffer).arg(1, need(p, n, "params")).arg(2, g.buffer).arg(3, need(g, n, "grads"))
                .arg(4, mm.buffer).arg(5, need(mm, n, "m")).arg(6, vv.buffer).arg(7, need(vv, n, "v")).arg(8, n)
                .arg(9, beta1).arg(10, beta2).arg(11, eps).arg(12, decay).arg(13, stepSize).arg(14, sqrtC2);
        adamw.launchItems(session.queue(), n);
    }

    /** Waits for every enqueued kernel (benchmarks time whole ops this way). */
    public void finish() {
        session.finish();
    }

    @Override
    public void close() {
        if (ownsSession) session.close();
        else {
            gemm.close();
            if (partials != null) partials.close();
            if (columnPartials != null) columnPartials.close();
            if (attentionScratch != null) attentionScratch.close();
        }
    }
}
