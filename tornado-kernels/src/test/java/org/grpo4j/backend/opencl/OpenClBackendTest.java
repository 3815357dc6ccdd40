package org.grpo4j.backend.opencl;

import static org.grpo4j.backend.opencl.TestDevice.assertClose;
import static org.grpo4j.backend.opencl.TestDevice.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.opencl.ClSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every {@link Backend} op of {@link OpenClBackend} against {@link CpuBackend} (the engine's semantics) on the same
 * random inputs, and the numerically delicate ones also against a naive double-precision reference written here.
 * Sizes are odd on purpose (not multiples of any work-group or vector width) and every tensor is a view that
 * starts mid-allocation. Tolerances are stated per op (absolute + relative, fp32).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClBackendTest {
    ClSession session;
    OpenClBackend cl;
    final CpuBackend cpu = new CpuBackend();
    Backend[] B;
    static final int OFF = 5;

    /** The backend as {@code Backends.select} makes it for this device (on PoCL: float16 GEMM, one-item reductions). */
    OpenClBackend backend(ClSession s) {
        return new OpenClBackend(s);
    }

    @BeforeAll
    void open() {
        session = TestDevice.open();
        cl = backend(session);
        B = new Backend[] {cpu, cl};
    }

    @AfterAll
    void close() {
        if (cl != null) cl.close();
        if (session != null) session.close();
    }

    /** The same host data as a view in each backend: index 0 CPU, 1 OpenCL. */
    Tensor[] t(float[] x) {
        Tensor[] r = new Tensor[2];
        for (int k = 0; k < 2; k++) {
            r[k] = B[k].allocate(x.length + 2 * OFF).slice(OFF, x.length);
            B[k].write(r[k], x);
        }
        return r;
    }

    IntTensor[] ints(int[] x) {
        return new IntTensor[] {cpu.ints(x), cl.ints(x)};
    }

    interface Op {
        void run(Backend b, int k);
    }

    void both(Op op) {
        for (int k = 0; k < 2; k++) op.run(B[k], k);
    }

    float[] get(Tensor[] t, int k) {
        return B[k].read(t[k]);
    }

    /** OpenCL's values against the CPU backend's. */
    void same(Tensor[] t, double atol, double rtol, String what) {
        assertClose(get(t, 0), get(t, 1), atol, rtol, what + " (OpenCL vs CPU)");
    }

    /** Both backends against a naive reference. */
    void naive(float[] expected, Tensor[] t, double atol, double rtol, String what) {
        assertClose(expected, get(t, 0), atol, rtol, what + " (CPU vs naive)");
        assertClose(expected, get(t, 1), atol, rtol, what + " (OpenCL vs naive)");
    }

    @Test
    void memoryOps() {
        Random rnd = new Random(1);
        int n = 10_007;
        float[] x = random(rnd, n, 3), y = random(rnd, n, 3);
        Tensor[] a = t(x), b = t(y), c = t(new float[n]);
        assertEquals(0f, cl.read(cl.allocate(17))[16]);
        both((be, k) -> be.copy(c[k], a[k]));
        naive(x, c, 0, 0, "copy");
        both((be, k) -> be.add(c[k], b[k]));
        both((be, k) -> be.scale(c[k], 0.37f));
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = (x[i] + y[i]) * 0.37f;
        naive(e, c, 1e-6, 1e-6, "add, scale");
        both((be, k) -> be.fill(c[k].slice(3, 100), -2.5f));
        for (int i = 3; i < 103; i++) e[i] = -2.5f;
        naive(e, c, 1e-6, 1e-6, "fill");
        double ss = 0;
        for (float v : x) ss += (double) v * v;
        assertEquals(ss, cpu.sumOfSquares(a[0]), ss * 1e-6, "CPU sum of squares");
        assertEquals(ss, cl.sumOfSquares(a[1]), ss * 1e-6, "OpenCL sum of squares");
        float[] part = new float[7];
        cl.read(a[1].slice(11, 7), part, 0, 7);
        assertEquals(x[11], part[0]);
        assertEquals(x[17], part[6]);
    }

    @Test
    void linearLayers() {
        Random rnd = new Random(2);
        int M = 37, N = 29, K = 45;
        Tensor[] in = t(random(rnd, M * K, 1)), w = t(random(rnd, N * K, 1)), bias = t(random(rnd, N, 1));
        Tensor[] out = t(random(rnd, M * N, 1)), dOut = t(random(rnd, M * N, 1)), dIn = t(random(rnd, M * K, 1));
        Tensor[] dW = t(random(rnd, N * K, 1)), dB = t(random(rnd, N, 1));
        both((b, k) -> b.matmul(out[k], in[k], w[k], bias[k], M, N, K, true));
        same(out, 1e-4, 1e-4, "matmul +bias accumulate");
        both((b, k) -> b.matmul(out[k], in[k], w[k], null, M, N, K, false));
        same(out, 1e-4, 1e-4, "matmul");
        both((b, k) -> b.matmulBackwardInput(dIn[k], dOut[k], w[k], M, N, K, true));
        same(dIn, 1e-4, 1e-4, "matmulBackwardInput");
        both((b, k) -> b.matmulBackwardWeight(dW[k], dOut[k], in[k], M, N, K));
        same(dW, 1e-4, 1e-4, "matmulBackwardWeight");
        both((b, k) -> b.biasBackward(dB[k], dOut[k], M, N));
        same(dB, 1e-5, 1e-5, "biasBackward");
    }

    @Test
    void embeddingAndRowGathers() {
        Random rnd = new Random(3);
        int vocab = 50, dim = 33, rows = 41;
        int[] ids = new int[rows];
        for (int r = 0; r < rows; r++) ids[r] = rnd.nextInt(12) * 4; // many repeats
        Tensor[] table = t(random(rnd, vocab * dim, 1)), out = t(new float[rows * dim]), dTable = t(random(rnd, vocab * dim, 1));
        Tensor[] dOut = t(random(rnd, rows * dim, 1));
        IntTensor[] tok = ints(ids);
        both((b, k) -> b.embedding(out[k], tok[k], table[k], rows, dim));
        same(out, 0, 0, "embedding");
        both((b, k) -> b.embeddingBackward(dTable[k], dOut[k], tok[k], rows, dim));
        same(dTable, 1e-6, 1e-6, "embeddingBackward");
        both((b, k) -> b.embeddingBackward(dTable[k], dOut[k], tok[k], rows - 3, dim)); // fewer rows: regrouped
        same(dTable, 1e-6, 1e-6, "embeddingBackward, first rows only");

        int[] idx = {7, 0, 40, 13, 22};
        IntTensor[] ix = ints(idx);
        Tensor[] g = t(new float[idx.length * dim]), src = t(random(rnd, rows * dim, 1)), dSrc = t(random(rnd, rows * dim, 1));
        both((b, k) -> b.gatherRows(g[k], src[k], ix[k], idx.length, dim));
        same(g, 0, 0, "gatherRows");
        both((b, k) -> b.scatterAddRows(dSrc[k], g[k], ix[k], idx.length, dim));
        same(dSrc, 1e-6, 1e-6, "scatterAddRows");

        IntTensor bad = cl.ints(new int[] {3, vocab});
        assertThrows(IllegalArgumentException.class, () -> cl.embedding(out[1], bad, table[1], 2, dim));
    }

    @Test
    void rmsNormForwardAndBackward() {
        Random rnd = new Random(4);
        int rows = 23, dim = 301;
        float eps = 1e-6f;
        float[] x = random(rnd, rows * dim, 2), w = random(rnd, dim, 1);
        Tensor[] in = t(x), weight = t(w), out = t(new float[rows * dim]), rstd = t(new float[rows]);
        both((b, k) -> b.rmsNorm(out[k], rstd[k], in[k], weight[k], rows, dim, eps));
        float[] e = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += (double) x[r * dim + j] * x[r * dim + j];
            double s = 1 / Math.sqrt(ss / dim + eps);
            for (int j = 0; j < dim; j++) e[r * dim + j] = (float) (x[r * dim + j] * s * w[j]);
        }
        naive(e, out, 1e-5, 1e-5, "rmsNorm");
        same(rstd, 1e-6, 1e-5, "rmsNorm rstd");
        // the fused copy: the same norm, and the input copied exactly
        Tensor[] out2 = t(new float[rows * dim]), rstd2 = t(new float[rows]), copy = t(new float[rows * dim]);
        both((b, k) -> b.rmsNormCopy(out2[k], rstd2[k], copy[k], in[k], weight[k], rows, dim, eps));
        naive(e, out2, 1e-5, 1e-5, "rmsNormCopy");
        same(rstd2, 1e-6, 1e-5, "rmsNormCopy rstd");
        naive(x, copy, 0, 0, "rmsNormCopy copy");
        Tensor[] dOut = t(random(rnd, rows * dim, 1)), dIn = t(random(rnd, rows * dim, 1)), dW = t(random(rnd, dim, 1));
        both((b, k) -> b.rmsNormBackward(dIn[k], dW[k], dOut[k], in[k], weight[k], rstd[k], rows, dim));
        same(dIn, 1e-5, 1e-5, "rmsNormBackward dIn");
        same(dW, 1e-4, 1e-5, "rmsNormBackward dWeight");
    }

    @Test
    void qkNormForwardAndBackward() {
        Random rnd = new Random(5);
        int rows = 19, heads = 6, kv = 2, hd = 10, width = (heads + 2 * kv) * hd;
        Tensor[] qkv = t(random(rnd, rows * width, 2)), qw = t(random(rnd, hd, 1)), kw = t(random(rnd, hd, 1));
        Tensor[] out = t(new float[rows * width]), rstd = t(new float[rows * (heads + kv)]);
        both((b, k) -> b.qkNorm(out[k], rstd[k], qkv[k], qw[k], kw[k], rows, heads, kv, hd, 1e-6f));
        same(out, 1e-5, 1e-5, "qkNorm");
        same(rstd, 1e-6, 1e-5, "qkNorm rstd");
        Tensor[] dOut = t(random(rnd, rows * width, 1)), dQkv = t(random(rnd, rows * width, 1));
        Tensor[] dqw = t(random(rnd, hd, 1)), dkw = t(random(rnd, hd, 1));
        both((b, k) -> b.qkNormBackward(dQkv[k], dqw[k], dkw[k], dOut[k], qkv[k], qw[k], kw[k], rstd[k], rows, heads, kv, hd));
        same(dQkv, 1e-5, 1e-5, "qkNormBackward dQkv");
        same(dqw, 1e-4, 1e-5, "qkNormBackward dqWeight");
        same(dkw, 1e-4, 1e-5, "qkNormBackward dkWeight");
    }

    @Test
    void ropeRotatesByTheTablesAndBackwardInverts() {
        Random rnd = new Random(6);
        int rows = 17, heads = 6, kv = 2, hd = 10, half = hd / 2, width = (heads + 2 * kv) * hd, maxPos = 40;
        double theta = 1_000_000; // not the usual 10000: the kernel must take the angles it is given
        float[] cos = new float[maxPos * half], sin = new float[maxPos * half];
        for (int p = 0; p < maxPos; p++)
            for (int i = 0; i < half; i++) {
                double a = p * Math.pow(theta, -2.0 * i / hd);
                cos[p * half + i] = (float) Math.cos(a);
                sin[p * half + i] = (float) Math.sin(a);
            }
        int[] pos = new int[rows];
        for (int r = 0; r < rows; r++) pos[r] = rnd.nextInt(maxPos);
        float[] x = random(rnd, rows * width, 1);
        Tensor[] qkv = t(x), co = t(cos), si = t(sin);
        IntTensor[] p = ints(pos);
        both((b, k) -> b.rope(qkv[k], p[k], co[k], si[k], rows, heads, kv, hd));
        float[] e = x.clone();
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads + kv; h++)
                for (int i = 0; i < half; i++) {
                    double a = pos[r] * Math.pow(theta, -2.0 * i / hd);
                    int o = r * width + h * hd;
                    double x0 = x[o + i], x1 = x[o + i + half];
                    e[o + i] = (float) (x0 * Math.cos(a) - x1 * Math.sin(a));
                    e[o + i + half] = (float) (x1 * Math.cos(a) + x0 * Math.sin(a));
                }
        naive(e, qkv, 1e-5, 1e-5, "rope");
        both((b, k) -> b.ropeBackward(qkv[k], p[k], co[k], si[k], rows, heads, kv, hd));
        naive(x, qkv, 1e-5, 1e-5, "ropeBackward(rope(x)) = x");
    }

    /**
     * head_dim 10 runs the scalar kernels, 16 the float8 ones; on the CPU, 32 and 64 run the kernels that take four
     * queries (keys) per register block, with partial blocks at the ends of the 13-, 6- and 39-token sequences.
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 16, 32, 64})
    void raggedCausalGqaAttention(int hd) {
        Random rnd = new Random(7);
        int heads = 6, kv = 2, width = (heads + 2 * kv) * hd, group = heads / kv;
        int[] lengths = {5, 1, 13, 8, 6, 39};
        SequenceLayout cpuL = SequenceLayout.of(cpu, lengths, heads), clL = SequenceLayout.of(cl, lengths, heads);
        SequenceLayout[] L = {cpuL, clL};
        int rows = cpuL.rows();
        float[] x = random(rnd, rows * width, 1.5f);
        Tensor[] qkv = t(x), out = t(new float[rows * heads * hd]), probs = t(new float[(int) cpuL.probsSize()]);
        both((b, k) -> b.attention(out[k], probs[k], qkv[k], L[k], heads, kv, hd));

        // naive double-precision reference, forward and backward
        float[] dO = random(rnd, rows * heads * hd, 1);
        float[] eOut = new float[rows * heads * hd], eGrad = new float[rows * width];
        double scale = 1 / Math.sqrt(hd);
        int start = 0;
        for (int T : lengths) {
            for (int h = 0; h < heads; h++) {
                int kOff = heads * hd + (h / group) * hd, vOff = kOff + kv * hd;
                for (int t = 0; t < T; t++) {
                    double[] p = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int d = 0; d < hd; d++) dot += (double) x[(start + t) * width + h * hd + d] * x[(start + s) * width + kOff + d];
                        p[s] = dot * scale;
                        max = Math.max(max, p[s]);
                    }
                    for (int s = 0; s <= t; s++) sum += (p[s] = Math.exp(p[s] - max));
                    for (int s = 0; s <= t; s++) p[s] /= sum;
                    for (int d = 0; d < hd; d++) {
                        double o = 0;
                        for (int s = 0; s <= t; s++) o += p[s] * x[(start + s) * width + vOff + d];
                        eOut[(start + t) * heads * hd + h * hd + d] = (float) o;
                    }
                    double[] dp = new double[t + 1];
                    double D = 0;
                    for (int s = 0; s <= t; s++) {
                        for (int d = 0; d < hd; d++) dp[s] += (double) dO[(start + t) * heads * hd + h * hd + d] * x[(start + s) * width + vOff + d];
                        D += p[s] * dp[s];
                    }
                    for (int s = 0; s <= t; s++) {
                        double ds = p[s] * (dp[s] - D) * scale;
                        for (int d = 0; d < hd; d++) {
                            eGrad[(start + t) * width + h * hd + d] += (float) (ds * x[(start + s) * width + kOff + d]);
                            eGrad[(start + s) * width + kOff + d] += (float) (ds * x[(start + t) * width + h * hd + d]);
                            eGrad[(start + s) * width + vOff + d] += (float) (p[s] * dO[(start + t) * heads * hd + h * hd + d]);
                        }
                    }
                }
            }
            start += T;
        }
        naive(eOut, out, 1e-5, 1e-4, "attention out");
        // no probabilities: no backward follows (the reference pass); the CPU's sums are the saving call's, bit for bit
        Tensor[] outNograd = t(new float[rows * heads * hd]);
        both((b, k) -> b.attention(outNograd[k], null, qkv[k], L[k], heads, kv, hd));
        naive(eOut, outNograd, 1e-5, 1e-4, "attention out without probs");
        assertArrayEquals(get(out, 0), get(outNograd, 0), "CPU attention without probs vs with");
        // the probabilities the backward reads: row t of a sequence's head holds keys 0..t (past them, whatever a
        // backend's whole-vector stores left there); OpenCL keeps them query-major, the CPU in key-major tiles of QB queries
        // (its query-lane kernels: tile [s < min(t0 + QB, T)][t0 ≤ t < t0 + QB] of block t0 at QB²·k(k+1)/2, k = t0 / QB)
        // for the heads those kernels take (QB = two vectors, and 2·QB with AVX-512); other heads run the key-lane loops,
        // query-major like OpenCL
        int QB = 2 * org.grpo4j.backend.cpu.Gemm.floatSpecies().length();
        boolean tiled = org.grpo4j.backend.cpu.CpuBackend.probabilitiesInQueryTiles(hd);
        float[] tiles = get(probs, 0), pCpu = tiled ? new float[tiles.length] : tiles, pCl = get(probs, 1);
        for (int b = 0, at = 0; tiled && b < lengths.length; at += heads * lengths[b] * lengths[b], b++)
            for (int h = 0, T = lengths[b]; h < heads; h++)
                for (int t = 0; t < T; t++)
                    for (int s = 0; s <= t; s++) {
                        int k = t / QB, t0 = k * QB, w = Math.min(QB, T - t0);
                        pCpu[at + (h * T + t) * T + s] = tiles[at + h * T * T + QB * QB * k * (k + 1) / 2 + s * w + t - t0];
                    }
        for (int b = 0, at = 0; b < lengths.length; at += heads * lengths[b] * lengths[b], b++)
            for (int h = 0, T = lengths[b]; h < heads; h++)
                for (int t = 0; t < T; t++)
                    for (int s = t + 1; s < T; s++) pCpu[at + (h * T + t) * T + s] = pCl[at + (h * T + t) * T + s] = 0f;
        assertClose(pCpu, pCl, 1e-6, 1e-5, "attention probs (OpenCL vs CPU)");
        Tensor[] dOut = t(dO), dQkv = t(random(rnd, rows * width, 1)); // overwritten, not accumulated
        both((b, k) -> b.attentionBackward(dQkv[k], dOut[k], qkv[k], probs[k], L[k], heads, kv, hd));
        naive(eGrad, dQkv, 1e-5, 1e-4, "attentionBackward dQkv");
    }

    /** Generation: tokens stored in a KV cache, then attention over a shared prefix run and each row's own run. */
    @ParameterizedTest
    @ValueSource(ints = {10, 16})
    void kvCacheAndCachedAttention(int hd) {
        Random rnd = new Random(11);
        int heads = 6, kv = 2, width = (heads + 2 * kv) * hd, kvDim = kv * hd, cacheRows = 40, rows = 5;
        // the cache layout belongs to each backend: fill every slot through kvStore, then compare only what attention reads
        Tensor[] kc = t(new float[cacheRows * kvDim]), vc = t(new float[cacheRows * kvDim]);
        Tensor[] history = t(random(rnd, cacheRows * width, 1));
        int[] all = new int[cacheRows];
        for (int i = 0; i < cacheRows; i++) all[i] = i;
        IntTensor[] allSlots = ints(all);
        both((b, k) -> b.kvStore(kc[k], vc[k], history[k], allSlots[k], cacheRows, heads, kv, hd));
        Tensor[] qkv = t(random(rnd, rows * width, 1.5f)), out = t(new float[rows * heads * hd]);
        IntTensor[] slots = ints(new int[] {30, 31, 3, 17, 39});
        both((b, k) -> b.kvStore(kc[k], vc[k], qkv[k], slots[k], rows, heads, kv, hd));
        int[] seg = {
            0, 10, 30, 1,   // a prompt of 10 shared rows, then the row itself
            0, 10, 30, 2,
            5, 0, 0, 4,     // no prefix
            20, 12, 17, 1,
            0, 0, 35, 5};   // only its own run
        IntTensor[] sg = ints(seg);
        both((b, k) -> b.attentionCached(out[k], qkv[k], kc[k], vc[k], sg[k], rows, heads, kv, hd));
        same(out, 1e-5, 1e-4, "attentionCached");
        // per-step ints are rewritten in place: the OpenCL host copy (used for checks) must follow
        both((b, k) -> b.writeInts(sg[k], new int[] {0, 0, 0, 0}, 4));
        assertThrows(IllegalArgumentException.class, () -> cl.attentionCached(out[1], qkv[1], kc[1], vc[1], sg[1], 1, heads, kv, hd));
        both((b, k) -> b.writeInts(sg[k], new int[] {1, 38, 2, 2}, 4));
        both((b, k) -> b.attentionCached(out[k], qkv[k], kc[k], vc[k], sg[k], 1, heads, kv, hd));
        same(out, 1e-5, 1e-4, "attentionCached after writeInts");
    }

    @Test
    void swiglu() {
        Random rnd = new Random(8);
        int rows = 13, F = 77;
        float[] gu = random(rnd, rows * 2 * F, 4);
        Tensor[] gateUp = t(gu), out = t(new float[rows * F]), dOut = t(random(rnd, rows * F, 1)), dGu = t(random(rnd, rows * 2 * F, 1));
        both((b, k) -> b.swiglu(out[k], gateUp[k], rows, F));
        float[] e = new float[rows * F];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < F; j++) {
                double g = gu[r * 2 * F + j];
                e[r * F + j] = (float) (g / (1 + Math.exp(-g)) * gu[r * 2 * F + F + j]);
            }
        naive(e, out, 1e-6, 1e-5, "swiglu");
        Tensor[] again = t(new float[rows * F]);
        both((b, k) -> b.swigluBackward(dGu[k], again[k], dOut[k], gateUp[k], rows, F));
        same(dGu, 1e-6, 1e-5, "swigluBackward");
        naive(e, again, 1e-6, 1e-5, "swigluBackward's output");
    }

    @Test
    void logSoftmaxGatherEntropyAndBackward() {
        Random rnd = new Random(9);
        int rows = 9, vocab = 1003, tOff = 2;
        float temperature = 0.7f;
        float[] x = random(rnd, rows * vocab, 6);
        int[] targets = new int[rows + tOff];
        for (int i = 0; i < targets.length; i++) targets[i] = rnd.nextInt(vocab);
        Tensor[] logits = t(x), logp = t(new float[rows]), ent = t(new float[rows]), lse = t(new float[rows]), dLogp = t(random(rnd, rows, 1));
        IntTensor[] tg = ints(targets);
        both((b, k) -> b.logSoftmaxGather(logp[k], ent[k], lse[k], logits[k], tg[k], tOff, rows, vocab, temperature));
        float[] eLogp = new float[rows], eEnt = new float[rows], eLse = new float[rows];
        double[][] p = new double[rows][vocab];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0, h = 0;
            for (int j = 0; j < vocab; j++) max = Math.max(max, x[r * vocab + j] / (double) temperature);
            for (int j = 0; j < vocab; j++) sum += Math.exp(x[r * vocab + j] / (double) temperature - max);
            for (int j = 0; j < vocab; j++) {
                double lp = x[r * vocab + j] / (double) temperature - max - Math.log(sum);
                p[r][j] = Math.exp(lp);
                h -= p[r][j] * lp;
            }
            eLogp[r] = (float) (x[r * vocab + targets[tOff + r]] / (double) temperature - max - Math.log(sum));
            eEnt[r] = (float) h;
            eLse[r] = (float) (max + Math.log(sum));
        }
        naive(eLogp, logp, 2e-5, 1e-5, "logSoftmaxGather logp");
        naive(eEnt, ent, 2e-5, 1e-5, "logSoftmaxGather entropy");
        naive(eLse, lse, 2e-5, 1e-6, "logSoftmaxGather log-sum-exp");
        float[] d = get(dLogp, 0);
        both((b, k) -> b.logSoftmaxGather(logp[k], null, null, logits[k], tg[k], tOff, rows, vocab, temperature)); // entropy and lse optional
        naive(eLogp, logp, 2e-5, 1e-5, "logSoftmaxGather without entropy");
        // the backward takes the forward's saved log-sum-exp (one pass over the row)
        both((b, k) -> b.logSoftmaxBackward(logits[k], lse[k], dLogp[k], tg[k], tOff, rows, vocab, temperature));
        float[] e = new float[rows * vocab];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < vocab; j++)
                e[r * vocab + j] = (float) (d[r] * ((j == targets[tOff + r] ? 1 : 0) - p[r][j]) / temperature);
        naive(e, logits, 1e-6, 1e-4, "logSoftmaxBackward");
    }

    @Test
    void adamwMatchesTorchFormula() {
        Random rnd = new Random(10);
        int n = 10_007, step = 3;
        float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f;
        float[] p = random(rnd, n, 1), g = random(rnd, n, 1), m = random(rnd, n, 0.1f), v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 0.01f;
        Tensor[] P = t(p), G = t(g), Mm = t(m), V = t(v);
        both((b, k) -> b.adamw(P[k], G[k], Mm[k], V[k], lr, b1, b2, eps, wd, step));
        float[] eP = new float[n], eM = new float[n], eV = new float[n];
        for (int i = 0; i < n; i++) {
            double mi = b1 * (double) m[i] + (1 - b1) * (double) g[i], vi = b2 * (double) v[i] + (1 - b2) * (double) g[i] * g[i];
            double mh = mi / (1 - Math.pow(b1, step)), vh = vi / (1 - Math.pow(b2, step));
            eP[i] = (float) (p[i] * (1 - (double) lr * wd) - lr * mh / (Math.sqrt(vh) + eps));
            eM[i] = (float) mi;
            eV[i] = (float) vi;
        }
        naive(eM, Mm, 1e-7, 1e-5, "adamw m");
        naive(eV, V, 1e-9, 1e-5, "adamw v");
        naive(eP, P, 1e-6, 1e-5, "adamw params");
    }
}
