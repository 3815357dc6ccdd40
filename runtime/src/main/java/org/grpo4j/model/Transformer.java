package org.grpo4j.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.safetensors.SafetensorsWriter;
import org.grpo4j.safetensors.TensorInfo;

/**
 * A Qwen2/Llama/Qwen3 decoder with an explicit forward and a mirrored backward, written layer by layer against
 * the {@link Backend} ops. Parameters, gradients and activations are each one backend allocation with named
 * views ({@link ParameterLayout}, {@link Activations}).
 *
 * <p>The model scores tokens: {@link #forward} returns the log-prob (and entropy) of each target of a
 * {@link TokenBatch} under logits divided by a temperature, working through the vocabulary projection in chunks of
 * rows so a 150k vocabulary never needs a batch × length × vocab tensor; {@link #backward} takes
 * d loss / d log-prob for those targets and accumulates every parameter's gradient. One forward's activations
 * live until the next forward, so call them in pairs.
 */
public final class Transformer implements AutoCloseable, org.grpo4j.optim.Trainable {
    /** Floats of the logits chunk; {@code -Dgrpo4j.logitsBudget} trades memory for fewer, larger GEMMs. */
    private static final long LOGITS_BUDGET = Long.getLong("grpo4j.logitsBudget", 32L << 20);

    private final ModelConfig config;
    private final ParameterLayout layout;
    private final Backend backend;
    private final Tensor params;
    private Tensor grads;
    private final Tensor ropeCos, ropeSin;
    private final int ropePositions;
    private final Activations acts;

    // the batch of the last forward, kept for its backward
    private TokenBatch batch;
    private SequenceLayout seq;
    private IntTensor tokens, positions, targetRows, targetTokens;
    private float temperature;
    private boolean logitsKept;

    private Transformer(ModelConfig config, Backend backend, Tensor params) {
        this.config = config;
        this.layout = new ParameterLayout(config);
        this.backend = backend;
        this.params = params;
        this.ropePositions = config.maxPositionEmbeddings();
        int half = config.headDim() / 2;
        float[] cos = new float[ropePositions * half], sin = new float[ropePositions * half];
        RopeTables.build(config, ropePositions, cos, sin);
        this.ropeCos = backend.allocate(cos.length);
        this.ropeSin = backend.allocate(sin.length);
        backend.write(ropeCos, cos);
        backend.write(ropeSin, sin);
        this.acts = new Activations(backend, config.numLayers());
    }

    /** A model with zero weights; fill them with {@link #loadWeights}, {@link #initialise} or {@link #copyFrom}. */
    public static Transformer create(ModelConfig config, Backend backend) {
        return new Transformer(config, backend, backend.allocate(new ParameterLayout(config).size()));
    }

    /** Loads a Hugging Face model folder: {@code config.json} and safetensors weights (single file or sharded). */
    public static Transformer load(Path dir, Backend backend) throws IOException {
        ModelConfig config = ModelConfig.load(dir);
        Transformer t = create(config, backend);
        try (SafetensorsModel weights = SafetensorsModel.open(dir)) {
            t.loadWeights(weights);
        }
        return t;
    }

    /**
     * Random initial weights as HF initialises these models: N(0, std) matrices and embeddings, norms 1, biases 0.
     * Each tensor is filled in chunks of 2^20 values, chunk {@code k} of tensor {@code t} from its own stream
     * seeded by (seed, t, k), so the weights are the same on any number of threads.
     */
    public Transformer initialise(long seed, double std) {
        java.util.List<ParameterLayout.Param> ps = layout.params();
        for (int t = 0; t < ps.size(); t++) {
            ParameterLayout.Param p = ps.get(t);
            float[] v = new float[Math.toIntExact(p.size())];
            if (p.name().endsWith("norm.weight")) java.util.Arrays.fill(v, 1f);
            else if (!p.name().endsWith(".bias")) {
                final int tensor = t, chunk = 1 << 20, chunks = (v.length + chunk - 1) / chunk;
                org.grpo4j.backend.cpu.Parallel.forRange(chunks, (from, to) -> {
                    for (int k = from; k < to; k++) {
                        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor * 0x632BE59BD9B4E019L + k);
                        for (int i = k * chunk, end = Math.min(v.length, i + chunk); i < end; i++) v[i] = (float) (gaussian(rng) * std);
                    }
                });
            }
            backend.write(params.slice(p.offset(), p.size()), v);
        }
        return this;
    }

    private static double gaussian(SplittableRandom rng) {
        double u = rng.nextDouble(), w = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    /** Copies every tensor from a safetensors model, checking names, shapes and dtypes. */
    public void loadWeights(SafetensorsModel weights) throws IOException {
        checkTensors(weights, layout);
        for (ParameterLayout.Param p : layout.params()) {
            float[] v = new float[Math.toIntExact(p.size())];
            weights.fileOf(p.name()).readFloats(p.name(), v, 0);
            backend.write(params.slice(p.offset(), p.size()), v);
        }
    }

    /** Every tensor of {@code layout} is in {@code weights} with its shape and a float dtype, and nothing else is. */
    static void checkTensors(SafetensorsModel weights, ParameterLayout layout) throws IOException {
        ModelConfig config = layout.config();
        Set<String> expected = new HashSet<>();
        for (ParameterLayout.Param p : layout.params()) {
            expected.add(p.name());
            SafetensorsFile f = weights.fileOf(p.name());
            if (f == null) throw new IOException("the weights lack tensor '" + p.name() + "' (expected shape " + shape(p.shape()) + " for " + config + ")");
            TensorInfo info = f.info(p.name());
            if (!sameShape(info.shape(), p.shape()))
                throw new IOException(f.path() + ": tensor '" + p.name() + "' has shape " + info.shapeString() + ", the config needs " + shape(p.shape()));
            if (info.dtype() != DType.F32 && info.dtype() != DType.BF16 && info.dtype() != DType.F16 && info.dtype() != DType.F64)
                throw new IOException(f.path() + ": tensor '" + p.name() + "' has dtype " + info.dtype() + "; weights must be F32, BF16 or F16");
        }
        for (Map.Entry<String, SafetensorsFile> e : weights.tensors().entrySet()) {
            String name = e.getKey();
            if (expected.contains(name)) continue;
            // a tied checkpoint may still carry lm_head.weight, and old ones carry RoPE buffers: both are derived
            if (name.equals("lm_head.weight") && config.tieWordEmbeddings()) continue;
            if (name.endsWith("rotary_emb.inv_freq")) continue;
            throw new IOException(e.getValue().path() + ": unexpected tensor '" + name + "' (not part of " + config + ")");
        }
    }

    private static boolean sameShape(long[] a, int[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private static String shape(int[] s) {
        return java.util.Arrays.toString(s);
    }

    /** Writes {@code config.json} and {@code model.safetensors} (HF names) into {@code dir}. */
    public void save(Path dir, DType dtype) throws IOException {
        Files.createDirectories(dir);
        config.save(dir);
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        for (ParameterLayout.Param p : layout.params()) {
            long[] shape = new long[p.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
            Tensor view = params.slice(p.offset(), p.size());
            w.add(p.name(), dtype, shape, (dst, off) -> backend.read(view, dst, off, (int) view.size()));
        }
        w.write(dir.resolve("model.safetensors"));
    }

    /** Copies the weights of a model of the same config (for a reference model, or to sync it). */
    public void copyFrom(Transformer other) {
        if (!other.config.equals(config)) throw new IllegalArgumentException("cannot copy weights between different configs");
        backend.copy(params, other.params);
    }

    public ModelConfig config() {
        return config;
    }

    public ParameterLayout layout() {
        return layout;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Tensor params() {
        return params;
    }

    @Override
    public java.util.List<long[]> decayGroups() {
        return layout.decayGroups();
    }

    /** The gradient block (same layout as {@link #params()}), allocated on first use. */
    @Override
    public Tensor grads() {
        if (grads == null) grads = backend.allocate(layout.size());
        return grads;
    }

    public Tensor param(String name) {
        ParameterLayout.Param p = layout.param(name);
        if (p == null) throw new IllegalArgumentException("no parameter '" + name + "'");
        return params.slice(p.offset(), p.size());
    }

    public void zeroGrad() {
        backend.fill(grads(), 0f);
    }

    /** Bytes of the activation block currently allocated. */
    public long activationBytes() {
        return acts.allocatedFloats() * 4;
    }

    private Tensor p(long offset, long size) {
        return params.slice(offset, size);
    }

    private Tensor g(long offset, long size) {
        return grads.slice(offset, size);
    }

    // ======================================================================== forward

    /** Per-target log-probs and entropies of a forward pass (host copies). */
    public record Scores(float[] logp, float[] entropy) {}

    /**
     * Runs the model over the batch and scores its targets with logits divided by {@code temperature}.
     * The activations are kept for {@link #backward}.
     */
    public Scores forward(TokenBatch batch, float temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        ModelConfig c = config;
        int N = batch.rows(), d = c.hiddenSize(), H = c.numHeads(), KV = c.numKvHeads(), hd = c.headDim();
        int q = c.qkvDim(), F = c.intermediateSize(), V = c.vocabSize(), T = batch.targets();
        for (int len : batch.lengths())
            if (len > ropePositions) throw new IllegalArgumentException("a sequence of " + len + " tokens exceeds max_position_embeddings = " + ropePositions);
        this.batch = batch;
        this.temperature = temperature;
        seq = SequenceLayout.of(backend, batch.lengths(), H);
        tokens = backend.ints(batch.tokens());
        positions = backend.ints(batch.positions());
        targetRows = backend.ints(batch.targetRows());
        targetTokens = backend.ints(batch.targetTokens());
        int chunk = (int) Math.max(1, Math.min(Math.max(T, 1), LOGITS_BUDGET / V));
        acts.prepare(c, N, seq.probsSize(), T, chunk);

        backend.embedding(acts.layers[0].resid, tokens, p(layout.embedding(), (long) V * d), N, d);
        for (int l = 0; l < c.numLayers(); l++) {
            Activations.Layer a = acts.layers[l];
            ParameterLayout.Layer w = layout.layer(l);
            backend.rmsNorm(a.ln1, a.rstd1, a.resid, p(w.inputNorm(), d), N, d, c.rmsNormEps());
            backend.matmul(a.qkv, a.ln1, p(w.qkvWeight(), (long) q * d), w.qkvBias() < 0 ? null : p(w.qkvBias(), q), N, q, d, false);
            if (c.qkNorm()) backend.qkNorm(a.qkvRot, a.rstdQk, a.qkv, p(w.qNorm(), hd), p(w.kNorm(), hd), N, H, KV, hd, c.rmsNormEps());
            backend.rope(a.qkvRot, positions, ropeCos, ropeSin, N, H, KV, hd);
            backend.attention(a.att, a.probs, a.qkvRot, seq, H, KV, hd);
            backend.copy(a.resid2, a.resid);
            backend.matmul(a.resid2, a.att, p(w.oWeight(), (long) d * H * hd), null, N, d, H * hd, true);
            backend.rmsNorm(a.ln2, a.rstd2, a.resid2, p(w.postNorm(), d), N, d, c.rmsNormEps());
            backend.matmul(a.gateUp, a.ln2, p(w.gateUpWeight(), 2L * F * d), null, N, 2 * F, d, false);
            backend.swiglu(a.act, a.gateUp, N, F);
            Tensor next = l + 1 < c.numLayers() ? acts.layers[l + 1].resid : acts.residOut;
            backend.copy(next, a.resid2);
            backend.matmul(next, a.act, p(w.downWeight(), (long) d * F), null, N, d, F, true);
        }
        backend.rmsNorm(acts.lnf, acts.rstdf, acts.residOut, p(layout.finalNorm(), d), N, d, c.rmsNormEps());

        Tensor lmHead = p(layout.lmHead(), (long) V * d);
        for (int t0 = 0; t0 < T; t0 += chunk) {
            int n = Math.min(chunk, T - t0);
            headLogits(t0, n, lmHead);
            backend.logSoftmaxGather(acts.logp.slice(t0, n), acts.entropy.slice(t0, n), acts.logits, targetTokens, t0, n, V, temperature);
        }
        // with a single chunk the backward can start from these logits instead of recomputing them
        logitsKept = T <= chunk;
        float[] logp = new float[T], entropy = new float[T];
        if (T > 0) {
            backend.read(acts.logp, logp, 0, T);
            backend.read(acts.entropy, entropy, 0, T);
        }
        return new Scores(logp, entropy);
    }

    /** Logits of targets {@code [t0, t0+n)}: gather their rows of the final norm output, project onto the vocabulary. */
    private void headLogits(int t0, int n, Tensor lmHead) {
        int d = config.hiddenSize(), V = config.vocabSize();
        IntTensor rows = t0 == 0 && n == batch.targets() ? targetRows : backend.ints(java.util.Arrays.copyOfRange(batch.targetRows(), t0, t0 + n));
        backend.gatherRows(acts.headIn, acts.lnf, rows, n, d);
        backend.matmul(acts.logits, acts.headIn, lmHead, null, n, V, d, false);
    }

    // ======================================================================== backward

    /**
     * Accumulates into {@link #grads()} the gradient of {@code Σ_i dLogp[i] · logp_i} for the targets of the last
     * {@link #forward}: the caller's loss supplies {@code dLogp = ∂loss/∂logp}. Mirrors the forward in reverse.
     */
    public void backward(float[] dLogp) {
        if (batch == null) throw new IllegalStateException("backward without a forward");
        ModelConfig c = config;
        int N = batch.rows(), d = c.hiddenSize(), H = c.numHeads(), KV = c.numKvHeads(), hd = c.headDim();
        int q = c.qkvDim(), F = c.intermediateSize(), V = c.vocabSize(), T = batch.targets(), chunk = acts.chunkRows;
        if (dLogp.length != T) throw new IllegalArgumentException("dLogp has " + dLogp.length + " entries, the batch has " + T + " targets");
        grads();
        if (T > 0) backend.write(acts.dLogp, dLogp, 0, T);

        // output head, chunk by chunk: dlogits → d lm_head, d final-norm output
        Tensor lmHead = p(layout.lmHead(), (long) V * d), dLmHead = g(layout.lmHead(), (long) V * d);
        backend.fill(acts.dLn, 0f);
        for (int t0 = 0; t0 < T; t0 += chunk) {
            int n = Math.min(chunk, T - t0);
            if (!logitsKept) headLogits(t0, n, lmHead); // else the forward's only chunk is still in place
            backend.logSoftmaxBackward(acts.logits, acts.dLogp.slice(t0, n), targetTokens, t0, n, V, temperature);
            backend.matmulBackwardWeight(dLmHead, acts.logits, acts.headIn, n, V, d);
            backend.matmulBackwardInput(acts.dHeadIn, acts.logits, lmHead, n, V, d, false);
            IntTensor rows = t0 == 0 && n == T ? targetRows : backend.ints(java.util.Arrays.copyOfRange(batch.targetRows(), t0, t0 + n));
            backend.scatterAddRows(acts.dLn, acts.dHeadIn, rows, n, d);
        }
        logitsKept = false; // the logits now hold gradients
        backend.fill(acts.dResid, 0f);
        backend.rmsNormBackward(acts.dResid, g(layout.finalNorm(), d), acts.dLn, acts.residOut, p(layout.finalNorm(), d), acts.rstdf, N, d);

        for (int l = c.numLayers() - 1; l >= 0; l--) {
            Activations.Layer a = acts.layers[l];
            ParameterLayout.Layer w = layout.layer(l);
            // resid_next = resid2 + down(act): the residual gradient passes through unchanged
            backend.matmulBackwardWeight(g(w.downWeight(), (long) d * F), acts.dResid, a.act, N, d, F);
            backend.matmulBackwardInput(acts.dAct, acts.dResid, p(w.downWeight(), (long) d * F), N, d, F, false);
            backend.swigluBackward(acts.dGateUp, acts.dAct, a.gateUp, N, F);
            backend.matmulBackwardWeight(g(w.gateUpWeight(), 2L * F * d), acts.dGateUp, a.ln2, N, 2 * F, d);
            backend.matmulBackwardInput(acts.dLn, acts.dGateUp, p(w.gateUpWeight(), 2L * F * d), N, 2 * F, d, false);
            backend.rmsNormBackward(acts.dResid, g(w.postNorm(), d), acts.dLn, a.resid2, p(w.postNorm(), d), a.rstd2, N, d);
            // resid2 = resid + o(att)
            backend.matmulBackwardWeight(g(w.oWeight(), (long) d * H * hd), acts.dResid, a.att, N, d, H * hd);
            backend.matmulBackwardInput(acts.dAtt, acts.dResid, p(w.oWeight(), (long) d * H * hd), N, d, H * hd, false);
            backend.attentionBackward(acts.dQkvRot, acts.dAtt, a.qkvRot, a.probs, seq, H, KV, hd);
            backend.ropeBackward(acts.dQkvRot, positions, ropeCos, ropeSin, N, H, KV, hd);
            if (c.qkNorm())
                backend.qkNormBackward(acts.dQkv, g(w.qNorm(), hd), g(w.kNorm(), hd), acts.dQkvRot, a.qkv, p(w.qNorm(), hd), p(w.kNorm(), hd), a.rstdQk, N, H, KV, hd);
            if (w.qkvBias() >= 0) backend.biasBackward(g(w.qkvBias(), q), acts.dQkv, N, q);
            backend.matmulBackwardWeight(g(w.qkvWeight(), (long) q * d), acts.dQkv, a.ln1, N, q, d);
            backend.matmulBackwardInput(acts.dLn, acts.dQkv, p(w.qkvWeight(), (long) q * d), N, q, d, false);
            backend.rmsNormBackward(acts.dResid, g(w.inputNorm(), d), acts.dLn, a.resid, p(w.inputNorm(), d), a.rstd1, N, d);
        }
        backend.embeddingBackward(g(layout.embedding(), (long) V * d), acts.dResid, tokens, N, d);
    }

    // ======================================================================== inspection (tests, debugging)

    /** The residual stream entering layer {@code k} ({@code k = numLayers}: after the last layer) of the last forward. */
    public float[] hiddenState(int k) {
        return backend.read(k == config.numLayers() ? acts.residOut : acts.layers[k].resid);
    }

    /** The final norm's output of the last forward. */
    public float[] finalNormOutput() {
        return backend.read(acts.lnf);
    }

    @Override
    public void close() {
        // memory is owned by the backend's allocations; nothing native to release on the CPU
    }
}
