package org.grpo4j.backend.cpu;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.PackedTensor;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.SharedPromptLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.quant.WeightFormat;

/**
 * The CPU backend: Java arrays, the Vector API and the fixed thread pool {@link Parallel}. Each op unwraps its
 * tensors and calls the kernel of its concept ({@link Gemm}, {@link RmsNorm}, {@link Rope}, {@link Attention},
 * {@link SwiGlu}, {@link LogSoftmax}, {@link AdamWStep}).
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() {
        return "cpu (Vector API " + VectorMath.F.vectorBitSize() + "-bit, " + Parallel.threads() + " threads)";
    }

    private static CpuTensor c(Tensor t) {
        if (t instanceof CpuTensor ct) return ct;
        throw new IllegalArgumentException("the CPU backend got a tensor of another backend: " + t.getClass().getSimpleName());
    }

    private static int[] c(IntTensor t) {
        if (t instanceof CpuIntTensor ct) return ct.data;
        throw new IllegalArgumentException("the CPU backend got an int tensor of another backend: " + t.getClass().getSimpleName());
    }

    /** Wraps an existing array (no copy): lets host code share arrays with the CPU backend. */
    public static CpuTensor wrap(float[] data) {
        return new CpuTensor(data, 0, data.length);
    }

    @Override
    public Tensor allocate(long size) {
        if (size > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("a CPU tensor holds at most 2^31 floats; asked for " + size + " (use smaller micro-batches)");
        return new CpuTensor(new float[(int) size], 0, (int) size);
    }

    @Override
    public IntTensor ints(int[] values) {
        return new CpuIntTensor(values.clone());
    }

    @Override
    public void write(Tensor dst, float[] src, int srcOffset, int n) {
        CpuTensor d = c(dst);
        if (n > d.size()) throw new IndexOutOfBoundsException("write of " + n + " floats into a tensor of " + d.size());
        System.arraycopy(src, srcOffset, d.data, d.offset, n);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int n) {
        CpuTensor s = c(src);
        if (n > s.size()) throw new IndexOutOfBoundsException("read of " + n + " floats from a tensor of " + s.size());
        System.arraycopy(s.data, s.offset, dst, dstOffset, n);
    }

    @Override
    public void fill(Tensor t, float value) {
        CpuTensor x = c(t);
        java.util.Arrays.fill(x.data, x.offset, x.offset + x.length(), value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        CpuTensor d = c(dst), s = c(src);
        if (d.size() != s.size()) throw new IllegalArgumentException("copy between sizes " + s.size() + " and " + d.size());
        System.arraycopy(s.data, s.offset, d.data, d.offset, d.length());
    }

    @Override
    public void scale(Tensor t, float s) {
        CpuTensor x = c(t);
        Parallel.forRange(x.length(), 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) x.data[x.offset + i] *= s;
        });
    }

    @Override
    public void add(Tensor dst, Tensor src) {
        CpuTensor d = c(dst), s = c(src);
        if (d.size() != s.size()) throw new IllegalArgumentException("add of sizes " + s.size() + " and " + d.size());
        Parallel.forRange(d.length(), 1 << 14, (from, to) -> VectorMath.axpy(d.data, d.offset + from, 1f, s.data, s.offset + from, to - from));
    }

    @Override
    public double sumOfSquares(Tensor t) {
        CpuTensor x = c(t);
        int n = x.length(), chunk = 1 << 16, chunks = (n + chunk - 1) / chunk;
        double[] partial = new double[chunks];
        // fixed chunks summed in order: the result does not depend on the thread count
        Parallel.forRange(chunks, (from, to) -> {
            for (int k = from; k < to; k++) {
                int o = k * chunk, len = Math.min(chunk, n - o);
                partial[k] = VectorMath.sumSquares(x.data, x.offset + o, len);
            }
        });
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    @Override
    public void matmul(Tensor out, Tensor in, Tensor w, Tensor bias, int M, int N, int K, boolean accumulate) {
        CpuTensor bi = bias == null ? null : c(bias);
        if (w instanceof CpuPackedTensor pw) {
            CpuTensor o = c(out), a = c(in);
            PackedGemm.matmulNT(o.data, o.offset, a.data, a.offset, pw, bi == null ? null : bi.data, bi == null ? 0 : bi.offset, M, N, K, accumulate);
            return;
        }
        CpuTensor o = c(out), a = c(in), b = c(w);
        Gemm.matmulNT(o.data, o.offset, a.data, a.offset, b.data, b.offset, bi == null ? null : bi.data, bi == null ? 0 : bi.offset, M, N, K, accumulate);
    }

    @Override
    public long decodeLayoutBytes(Tensor weight, int out, int in) {
        return weight instanceof CpuTensor ? 4 * DecodeGemm.layoutFloats(out, in) : 0;
    }

    @Override
    public Tensor decodeLayout(Tensor weight, int out, int in, Tensor reuse) {
        if (!(weight instanceof CpuTensor w)) return null;
        long n = DecodeGemm.layoutFloats(out, in);
        CpuTensor dst = reuse instanceof CpuTensor r && r.length() == n ? r : c(allocate(n));
        DecodeGemm.build(dst.data, dst.offset, w.data, w.offset, out, in);
        return dst;
    }

    @Override
    public void matmulDecode(Tensor out, Tensor in, Tensor w, Tensor layout, Tensor bias, int M, int N, int K, boolean accumulate) {
        if (layout == null || !DecodeGemm.takes(M, N, K)) {
            matmul(out, in, w, bias, M, N, K, accumulate);
            return;
        }
        CpuTensor o = c(out), a = c(in), t = c(layout), bi = bias == null ? null : c(bias);
        if (t.length() != DecodeGemm.layoutFloats(N, K))
            throw new IllegalArgumentException("decode layout of " + t.length() + " floats for a " + N + " × " + K + " weight");
        DecodeGemm.matmulNT(o.data, o.offset, N, a.data, a.offset, K, t.data, t.offset, bi == null ? null : bi.data, bi == null ? 0 : bi.offset, M, N, K, accumulate);
    }

    /**
     * The blocked GEMM's right-operand panels over the whole depth, {@link DecodeGemm}'s layout (the two are one): the
     * products then pack only their inputs (bench-m reference pass: 3.6 % of its samples went to packing weights). The
     * gate/up weight in {@link SwiGluGemm}'s gate-beside-up panels.
     */
    @Override
    public long fixedLayoutBytes(Tensor weight, int out, int in, boolean gateUp) {
        if (!gateUp) return decodeLayoutBytes(weight, out, in);
        return weight instanceof CpuTensor ? 4 * SwiGluGemm.panelFloats(out / 2, in) : 0;
    }

    @Override
    public Tensor fixedLayout(Tensor weight, int out, int in, boolean gateUp, Tensor reuse) {
        if (!gateUp) return decodeLayout(weight, out, in, reuse);
        if (!(weight instanceof CpuTensor w)) return null;
        long n = SwiGluGemm.panelFloats(out / 2, in);
        CpuTensor dst = reuse instanceof CpuTensor r && r.length() == n ? r : c(allocate(n));
        if (dst.offset != 0) throw new IllegalStateException("SwiGluGemm reads its panels from the array's start");
        SwiGluGemm.panels(dst.data, w.data, w.offset, out / 2, in);
        return dst;
    }

    @Override
    public void matmulFixed(Tensor out, Tensor in, Tensor w, Tensor layout, Tensor bias, int M, int N, int K, boolean accumulate) {
        if (layout == null || !(w instanceof CpuTensor b)) {
            matmul(out, in, w, bias, M, N, K, accumulate);
            return;
        }
        CpuTensor o = c(out), a = c(in), t = c(layout), bi = bias == null ? null : c(bias);
        Gemm.matmulNTPanels(o.data, o.offset, a.data, a.offset, b.data, b.offset, t.data, t.offset,
                bi == null ? null : bi.data, bi == null ? 0 : bi.offset, M, N, K, accumulate);
    }

    /** The pool's threads: a lane's ops run on its own thread (nested {@link Parallel} loops stay on it). */
    @Override
    public int decodeLanes() {
        return Parallel.threads();
    }

    @Override
    public void matmulBackwardInput(Tensor dIn, Tensor dOut, Tensor w, int M, int N, int K, boolean accumulate) {
        if (w instanceof CpuPackedTensor pw) {
            CpuTensor o = c(dIn), a = c(dOut);
            PackedGemm.matmulNN(o.data, o.offset, a.data, a.offset, pw, M, N, K, accumulate);
            return;
        }
        CpuTensor o = c(dIn), a = c(dOut), b = c(w);
        Gemm.matmulNN(o.data, o.offset, a.data, a.offset, b.data, b.offset, M, N, K, accumulate);
    }

    @Override
    public void matmulBackwardWeight(Tensor dW, Tensor dOut, Tensor in, int M, int N, int K) {
        CpuTensor o = c(dW), a = c(dOut), b = c(in);
        Gemm.matmulTN(o.data, o.offset, a.data, a.offset, b.data, b.offset, M, N, K, true);
    }

    @Override
    public void biasBackward(Tensor dBias, Tensor dOut, int M, int N) {
        CpuTensor o = c(dBias), a = c(dOut);
        Gemm.sumRows(o.data, o.offset, a.data, a.offset, M, N);
    }

    @Override
    public void embedding(Tensor out, IntTensor tokens, Tensor table, int rows, int dim) {
        int[] ids = c(tokens);
        if (table instanceof CpuPackedTensor pt) {
            CpuTensor o = c(out);
            PackedGemm.gather(o.data, o.offset, ids, pt, rows, dim);
            return;
        }
        CpuTensor o = c(out), t = c(table);
        long vocab = t.size() / dim;
        Parallel.forRange(rows, Parallel.grain(dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int id = ids[r];
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab);
                System.arraycopy(t.data, t.offset + id * dim, o.data, o.offset + r * dim, dim);
            }
        });
    }

    @Override
    public void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int rows, int dim) {
        CpuTensor d = c(dTable), g = c(dOut);
        int[] ids = c(tokens);
        // split by columns, rows in order: repeated tokens never race and sums do not depend on threads
        Parallel.forRange(dim, Parallel.grain(rows), (from, to) -> {
            for (int r = 0; r < rows; r++)
                VectorMath.axpy(d.data, d.offset + ids[r] * dim + from, 1f, g.data, g.offset + r * dim + from, to - from);
        });
    }

    @Override
    public void gatherRows(Tensor out, Tensor in, IntTensor index, int n, int dim) {
        CpuTensor o = c(out), x = c(in);
        int[] idx = c(index);
        for (int i = 0; i < n; i++) System.arraycopy(x.data, x.offset + idx[i] * dim, o.data, o.offset + i * dim, dim);
    }

    @Override
    public void scatterAddRows(Tensor dIn, Tensor dOut, IntTensor index, int n, int dim) {
        CpuTensor d = c(dIn), g = c(dOut);
        int[] idx = c(index);
        Parallel.forRange(n, Parallel.grain(dim), (from, to) -> {
            for (int i = from; i < to; i++) VectorMath.axpy(d.data, d.offset + idx[i] * dim, 1f, g.data, g.offset + i * dim, dim);
        });
    }

    @Override
    public void rmsNorm(Tensor out, Tensor rstd, Tensor in, Tensor weight, int rows, int dim, float eps) {
        CpuTensor o = c(out), s = c(rstd), x = c(in), w = c(weight);
        RmsNorm.forward(o.data, o.offset, s.data, s.offset, x.data, x.offset, w.data, w.offset, rows, dim, eps);
    }

    @Override
    public void rmsNormCopy(Tensor out, Tensor rstd, Tensor copy, Tensor in, Tensor weight, int rows, int dim, float eps) {
        CpuTensor o = c(out), s = c(rstd), k = c(copy), x = c(in), w = c(weight);
        if (k.size() != x.size()) throw new IllegalArgumentException("copy of " + k.size() + " floats for an input of " + x.size());
        RmsNorm.forward(o.data, o.offset, s.data, s.offset, k.data, k.offset, x.data, x.offset, w.data, w.offset, rows, dim, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dIn, Tensor dWeight, Tensor dOut, Tensor in, Tensor weight, Tensor rstd, int rows, int dim) {
        CpuTensor di = c(dIn), dw = c(dWeight), d = c(dOut), x = c(in), w = c(weight), s = c(rstd);
        RmsNorm.backward(di.data, di.offset, dw.data, dw.offset, d.data, d.offset, x.data, x.offset, w.data, w.offset, s.data, s.offset, rows, dim);
    }

    @Override
    public void qkNorm(Tensor out, Tensor rstd, Tensor qkv, Tensor qWeight, Tensor kWeight, int rows, int heads, int kvHeads, int headDim, float eps) {
        CpuTensor o = c(out), s = c(rstd), x = c(qkv), qw = c(qWeight), kw = c(kWeight);
        RmsNorm.qkForward(o.data, o.offset, s.data, s.offset, x.data, x.offset, qw.data, qw.offset, kw.data, kw.offset, rows, heads, kvHeads, headDim, eps);
    }

    @Override
    public void qkNormBackward(Tensor dQkv, Tensor dqWeight, Tensor dkWeight, Tensor dOut, Tensor qkv, Tensor qWeight, Tensor kWeight,
                               Tensor rstd, int rows, int heads, int kvHeads, int headDim) {
        CpuTensor dx = c(dQkv), dqw = c(dqWeight), dkw = c(dkWeight), d = c(dOut), x = c(qkv), qw = c(qWeight), kw = c(kWeight), s = c(rstd);
        RmsNorm.qkBackward(dx.data, dx.offset, dqw.data, dqw.offset, dkw.data, dkw.offset, d.data, d.offset, x.data, x.offset,
                qw.data, qw.offset, kw.data, kw.offset, s.data, s.offset, rows, heads, kvHeads, headDim);
    }

    @Override
    public void rope(Tensor qkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim) {
        CpuTensor x = c(qkv), co = c(cos), si = c(sin);
        Rope.rotate(x.data, x.offset, c(positions), co.data, co.offset, si.data, si.offset, rows, heads, kvHeads, headDim, 1f);
    }

    @Override
    public void ropeBackward(Tensor dQkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim) {
        CpuTensor x = c(dQkv), co = c(cos), si = c(sin);
        Rope.rotate(x.data, x.offset, c(positions), co.data, co.offset, si.data, si.offset, rows, heads, kvHeads, headDim, -1f);
    }

    @Override
    public void attention(Tensor out, Tensor probs, Tensor qkv, SequenceLayout layout, int heads, int kvHeads, int headDim) {
        CpuTensor o = c(out), p = probs == null ? null : c(probs), x = c(qkv);
        Attention.forward(o.data, o.offset, p == null ? null : p.data, p == null ? 0 : p.offset, x.data, x.offset, c(layout.seqStart()), c(layout.probStart()),
                layout.batch(), layout.rows(), heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor dQkv, Tensor dOut, Tensor qkv, Tensor probs, SequenceLayout layout, int heads, int kvHeads, int headDim) {
        CpuTensor dx = c(dQkv), d = c(dOut), x = c(qkv), p = c(probs);
        Attention.backward(dx.data, dx.offset, d.data, d.offset, x.data, x.offset, p.data, p.offset,
                c(layout.seqStart()), c(layout.probStart()), layout.batch(), heads, kvHeads, headDim);
    }

    /**
     * Whether {@link #attention} saves a head's probabilities in key-major tiles of query blocks (the query-lane kernels,
     * {@link AttentionByQueryLanes}) rather than query-major rows; only its own backward reads them, but tests that compare
     * them with another backend's need the layout.
     */
    public static boolean probabilitiesInQueryTiles(int headDim) {
        return Attention.queryLanes(headDim);
    }

    @Override
    public int sharedAttentionAlignment(int heads, int kvHeads, int headDim, int units) {
        // its backward runs a group per thread and kv head: fewer of those than threads would leave threads idle
        return (long) units * kvHeads >= Parallel.width() ? SharedPromptAttention.alignment(headDim) : 0;
    }

    @Override
    public void attentionShared(Tensor out, Tensor probs, Tensor qkv, SharedPromptLayout layout, int heads, int kvHeads, int headDim) {
        CpuTensor o = c(out), p = probs == null ? null : c(probs), x = c(qkv);
        SharedPromptAttention.forward(o.data, o.offset, p == null ? null : p.data, p == null ? 0 : p.offset, x.data, x.offset,
                c(layout.sequences()), layout.batch(), layout.meanLength(), heads, kvHeads, headDim);
    }

    @Override
    public void attentionSharedBackward(Tensor dQkv, Tensor dOut, Tensor qkv, Tensor probs, SharedPromptLayout layout, int heads, int kvHeads, int headDim) {
        CpuTensor dx = c(dQkv), d = c(dOut), x = c(qkv), p = c(probs);
        SharedPromptAttention.backward(dx.data, dx.offset, d.data, d.offset, x.data, x.offset, p.data, p.offset, c(layout.sequences()),
                c(layout.units()), layout.unitCount(), layout.meanLength(), heads, kvHeads, headDim);
    }

    @Override
    public void swiglu(Tensor out, Tensor gateUp, int rows, int F) {
        CpuTensor o = c(out), g = c(gateUp);
        SwiGlu.forward(o.data, o.offset, g.data, g.offset, rows, F);
    }

    /**
     * SwiGLU as the gate/up product's epilogue ({@link SwiGluGemm}): the gate/up rows are never written nor read back.
     * {@code -Dgrpo4j.swigluEpilogue=false}: the product, then the SwiGLU pass (the same bits; benchmarks compare).
     */
    static final boolean SWIGLU_EPILOGUE = !"false".equals(System.getProperty("grpo4j.swigluEpilogue"));

    @Override
    public void matmulSwiglu(Tensor out, Tensor gateUp, Tensor in, Tensor w, int rows, int F, int K) {
        matmulSwiglu(out, gateUp, in, w, null, rows, F, K);
    }

    @Override
    public void matmulSwiglu(Tensor out, Tensor gateUp, Tensor in, Tensor w, Tensor layout, int rows, int F, int K) {
        if (!SWIGLU_EPILOGUE || !(w instanceof CpuTensor b) || !SwiGluGemm.fits(rows, F, K)) {
            Backend.super.matmulSwiglu(out, gateUp, in, w, rows, F, K);
            return;
        }
        CpuTensor o = c(out), a = c(in);
        SwiGluGemm.run(o.data, o.offset, a.data, a.offset, b.data, b.offset, layout == null ? null : c(layout).data, rows, F, K);
    }

    @Override
    public void swigluBackward(Tensor dGateUp, Tensor out, Tensor dOut, Tensor gateUp, int rows, int F) {
        CpuTensor dg = c(dGateUp), o = c(out), d = c(dOut), g = c(gateUp);
        SwiGlu.backward(dg.data, dg.offset, o.data, o.offset, d.data, d.offset, g.data, g.offset, rows, F);
    }

    @Override
    public void logSoftmaxGather(Tensor logp, Tensor entropy, Tensor lse, Tensor logits, IntTensor targets, int targetOffset, int rows, int vocab, float temperature) {
        CpuTensor lp = c(logp), x = c(logits);
        CpuTensor e = entropy == null ? null : c(entropy), z = lse == null ? null : c(lse);
        LogSoftmax.gather(lp.data, lp.offset, e == null ? null : e.data, e == null ? 0 : e.offset, z == null ? null : z.data, z == null ? 0 : z.offset,
                x.data, x.offset, c(targets), targetOffset, rows, vocab, temperature);
    }

    @Override
    public void logSoftmaxBackward(Tensor logits, Tensor lse, Tensor dLogp, IntTensor targets, int targetOffset, int rows, int vocab, float temperature) {
        CpuTensor x = c(logits), z = c(lse), d = c(dLogp);
        LogSoftmax.backward(x.data, x.offset, z.data, z.offset, d.data, d.offset, c(targets), targetOffset, rows, vocab, temperature);
    }

    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        CpuTensor p = c(params), g = c(grads), mm = c(m), vv = c(v);
        if (p.size() != g.size() || p.size() != mm.size() || p.size() != vv.size())
            throw new IllegalArgumentException("AdamW tensors differ in size");
        AdamWStep.step(p.data, p.offset, g.data, g.offset, mm.data, mm.offset, vv.data, vv.offset, p.length(),
                new int[] {p.length()}, new float[] {weightDecay}, 1f, lr, beta1, beta2, eps, step);
    }

    @Override
    public void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, java.util.List<long[]> groups, float gradScale,
                      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        CpuTensor p = c(params), g = c(grads), mm = c(m), vv = c(v);
        if (p.size() != g.size() || p.size() != mm.size() || p.size() != vv.size())
            throw new IllegalArgumentException("AdamW tensors differ in size");
        int[] ends = new int[groups.size()];
        float[] wd = new float[groups.size()];
        long at = 0;
        for (int k = 0; k < ends.length; k++) {
            long[] grp = groups.get(k);
            if (grp[0] != at || grp[1] < 0) throw new IllegalArgumentException("AdamW groups must tile the block in order; group " + k + " starts at " + grp[0] + ", expected " + at);
            at += grp[1];
            ends[k] = Math.toIntExact(at);
            wd[k] = grp[2] == 1 ? weightDecay : 0f;
        }
        if (at != p.size()) throw new IllegalArgumentException("AdamW groups cover " + at + " of " + p.size() + " parameters");
        AdamWStep.step(p.data, p.offset, g.data, g.offset, mm.data, mm.offset, vv.data, vv.offset, p.length(), ends, wd, gradScale, lr, beta1, beta2, eps, step);
    }

    @Override
    public void writeInts(IntTensor dst, int[] src, int n) {
        int[] d = c(dst);
        if (n > d.length) throw new IndexOutOfBoundsException("write of " + n + " ints into an int tensor of " + d.length);
        System.arraycopy(src, 0, d, 0, n);
    }

    @Override
    public void kvStore(Tensor kCache, Tensor vCache, Tensor qkv, IntTensor slots, int rows, int heads, int kvHeads, int headDim) {
        CpuTensor k = c(kCache), v = c(vCache), x = c(qkv);
        int[] s = c(slots);
        long cacheRows = k.size() / ((long) kvHeads * headDim);
        for (int r = 0; r < rows; r++)
            if (s[r] < 0 || s[r] >= cacheRows) throw new IndexOutOfBoundsException("KV cache slot " + s[r] + " outside 0.." + (cacheRows - 1));
        if (v.size() != k.size()) throw new IllegalArgumentException("k and v caches differ in size: " + k.size() + " and " + v.size());
        DecodeAttention.store(k.data, k.offset, (int) cacheRows, v.data, v.offset, x.data, x.offset, s, rows, heads, kvHeads, headDim);
    }

    @Override
    public void attentionCached(Tensor out, Tensor qkv, Tensor kCache, Tensor vCache, IntTensor segments, int rows, int heads, int kvHeads, int headDim) {
        CpuTensor o = c(out), x = c(qkv), k = c(kCache), v = c(vCache);
        int cacheRows = (int) (k.size() / ((long) kvHeads * headDim));
        DecodeAttention.forward(o.data, o.offset, x.data, x.offset, k.data, k.offset, cacheRows, v.data, v.offset, c(segments), rows, heads, kvHeads, headDim);
    }

    @Override
    public void close() {}

    // ---------------------------------------------------------------- frozen weights, LoRA

    @Override
    public PackedTensor pack(WeightFormat format, int rows, int cols, float[] values, int offset) {
        return CpuPackedTensor.pack(format, rows, cols, values, offset);
    }

    @Override
    public PackedTensor packBf16(int rows, int cols, short[] bits) {
        return CpuPackedTensor.ofBf16(rows, cols, bits);
    }

    @Override
    public void addColumns(Tensor dst, int ldDst, int col0, Tensor src, int rows, int cols, float scale) {
        CpuTensor d = c(dst), s = c(src);
        checkColumns(d, ldDst, col0, s, rows, cols);
        Parallel.forRange(rows, Math.max(1, (1 << 14) / Math.max(1, cols)), (from, to) -> {
            for (int r = from; r < to; r++) VectorMath.axpy(d.data, d.offset + r * ldDst + col0, scale, s.data, s.offset + r * cols, cols);
        });
    }

    @Override
    public void copyColumns(Tensor dst, Tensor src, int ldSrc, int col0, int rows, int cols) {
        CpuTensor d = c(dst), s = c(src);
        checkColumns(s, ldSrc, col0, d, rows, cols);
        for (int r = 0; r < rows; r++) System.arraycopy(s.data, s.offset + r * ldSrc + col0, d.data, d.offset + r * cols, cols);
    }

    private static void checkColumns(CpuTensor wide, int ld, int col0, CpuTensor narrow, int rows, int cols) {
        if (col0 < 0 || col0 + cols > ld || (long) rows * ld > wide.size() || (long) rows * cols > narrow.size())
            throw new IllegalArgumentException("columns [" + col0 + ", " + (col0 + cols) + ") of " + rows + " rows of width " + ld
                    + " do not fit tensors of " + wide.size() + " and " + narrow.size());
    }

    @Override
    public void dropout(Tensor out, Tensor in, long seed, float p, int n, boolean accumulate) {
        CpuTensor o = c(out), x = c(in);
        if (n > o.size() || n > x.size()) throw new IllegalArgumentException("dropout of " + n + " values on tensors of " + x.size() + " and " + o.size());
        Dropout.apply(o.data, o.offset, x.data, x.offset, seed, p, n, accumulate);
    }
}
