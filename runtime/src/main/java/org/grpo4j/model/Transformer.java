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
import org.grpo4j.backend.SharedPromptLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.optim.Trainable;
import org.grpo4j.quant.WeightFormat;
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

    private final ModelConfig config;
    private final ParameterLayout layout;
    private final Backend backend;
    private final Tensor params;
    private Tensor grads;
    private final Tensor ropeCos, ropeSin;
    private final int ropePositions;
    private final Activations acts;
    private final LayerWeights[] layers;
    private final Linear lmHead;
    private final Tensor embedding, finalNorm;
    private Tensor dEmbedding, dFinalNorm;
    // the dtype the weights came in (BF16 for most Hub models); saving keeps it, training runs in F32 meanwhile
    private DType weightsDtype = DType.F32;
    private final FrozenBase base;      // packed frozen weights (LoRA/QLoRA), or null: the fp32 parameter block
    private LoraAdapters lora;          // adapters beside the frozen base, or null: a full fine-tune
    private boolean checkpointing;      // share the wide activations among layers, recompute them in the backward
    private boolean training;           // dropout is active (torch's model.train())
    private boolean decodeCopies;       // between beginDecode and endDecode: decode reads the weights' decode-time copies
    private boolean weightsFixed;       // fixWeights: the products read the weights' fixed copies

    // the batch of the last forward, kept for its backward
    private TokenBatch batch;
    private SequenceLayout seq;
    private IntTensor tokens, positions, targetRows, targetTokens;
    private float temperature;
    private IntTensor[] chunkRows;    // per head chunk: the rows of its targets
    private SharedPrompts shared;     // the batch's prompts packed once for several sequences, or null
    private IntTensor fullRows, ownerRows; // shared: the full layout's rows → packed rows, packed rows → their first copy
    private SharedPromptLayout sharedDirect; // shared, where the backend's attention reads the packed rows in place; else null
    private int keptChunk = -1;       // the chunk whose logits are still in the buffer (the forward's last), or -1
    private int headChunkOverride;    // tests force small chunks
    private boolean tailed;           // the last forward ran its last layer past attention on the target rows only
    private TailRows tailTargets;     // those rows, each once (tailed)
    private IntTensor tailIndex;      // the rows a pass's tail gathers: the target rows (scoring), or tailTargets.rows (training)
    private IntTensor tailOfTarget;   // tailTargets.ofTarget, where it is not null
    private boolean trainTail = TRAIN_TAIL; // off: every row to the end (setTrainTail)
    private final SequenceParts parts = new SequenceParts(this); // small models: whole sequences per core

    private Transformer(ModelConfig config, Backend backend, Tensor params, FrozenBase base) {
        this(config, backend, params, base, null);
    }

    /** {@code rope}: the {cos, sin} tables of the model this one replicates ({@link #replica}), or null to build them. */
    private Transformer(ModelConfig config, Backend backend, Tensor params, FrozenBase base, Tensor[] rope) {
        this.config = config;
        this.layout = new ParameterLayout(config);
        this.backend = backend;
        this.params = params;
        this.base = base;
        this.ropePositions = config.maxPositionEmbeddings();
        if (rope != null) {
            this.ropeCos = rope[0];
            this.ropeSin = rope[1];
        } else {
            int half = config.headDim() / 2;
            float[] cos = new float[ropePositions * half], sin = new float[ropePositions * half];
            RopeTables.build(config, ropePositions, cos, sin);
            this.ropeCos = backend.allocate(cos.length);
            this.ropeSin = backend.allocate(sin.length);
            backend.write(ropeCos, cos);
            backend.write(ropeSin, sin);
        }
        this.acts = new Activations(backend, config.numLayers());
        this.layers = new LayerWeights[config.numLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = new LayerWeights(config, layout.layer(l), params, base, l);
        int d = config.hiddenSize(), V = config.vocabSize();
        if (base == null) {
            this.embedding = params.slice(layout.embedding(), (long) V * d);
            this.finalNorm = params.slice(layout.finalNorm(), d);
            this.lmHead = new Linear("lm_head", params, layout.lmHead(), -1, V, d);
        } else {
            this.embedding = base.embedding;
            this.finalNorm = params.slice(layout.finalNorm() - base.smallStart, d);
            this.lmHead = new Linear("lm_head", base.lmHead, null, layout.lmHead(), -1, V, d);
        }
    }

    /**
     * A model over this one's parameters and RoPE tables (the same tensors, read only in a pass) with activations and
     * a gradient set of its own: one part of a pass run in whole sequences per core ({@link SequenceParts}).
     */
    Transformer replica() {
        if (base != null || lora != null) throw new IllegalStateException("only fp32 weights without adapters are replicated");
        Transformer r = new Transformer(config, backend, params, null, new Tensor[] {ropeCos, ropeSin});
        r.parts.disable(true);
        return r;
    }

    /** Forgets the last pass (one of its parts failed): a backward now finds no forward. */
    void dropPass() {
        batch = null;
        chunkRows = null;
        keptChunk = -1;
    }

    /** The pass settings a replica follows: gradient checkpointing, training mode, forced head chunks. */
    void copySettingsTo(Transformer r) {
        r.checkpointing = checkpointing;
        r.training = training;
        r.headChunkOverride = headChunkOverride;
        r.trainTail = trainTail;
        r.weightsFixed = weightsFixed;
        java.util.List<Linear> mine = projections(), theirs = r.projections();
        for (int i = 0; i < mine.size(); i++) theirs.get(i).shareFixed(mine.get(i));
    }

    /** A model with zero weights; fill them with {@link #loadWeights}, {@link #initialise} or {@link #copyFrom}. */
    public static Transformer create(ModelConfig config, Backend backend) {
        return new Transformer(config, backend, backend.allocate(new ParameterLayout(config).size()), null);
    }

    /**
     * Loads a model folder with its weights frozen in {@code format}: {@code fp32} is {@link #load(Path, Backend)};
     * {@code bf16} keeps BF16 checkpoints as they are, {@code int8}/{@code nf4} quantise every linear layer
     * ({@code load_in_8bit}/{@code load_in_4bit}). A packed model generates and scores; to train it, add adapters
     * ({@link #withLora}).
     */
    public static Transformer load(Path dir, Backend backend, WeightFormat format) throws IOException {
        if (format == WeightFormat.FP32) return load(dir, backend);
        ModelConfig config = ModelConfig.load(dir);
        try (SafetensorsModel weights = SafetensorsModel.open(dir)) {
            FrozenBase b = FrozenBase.load(weights, new ParameterLayout(config), format, backend);
            return new Transformer(config, backend, b.small, b);
        }
    }

    /** A model of random weights (benchmarks), its linear layers drawn straight into {@code format} (never whole in fp32). */
    public static Transformer random(ModelConfig config, Backend backend, WeightFormat format, long seed, double std) {
        if (format == WeightFormat.FP32) return create(config, backend).initialise(seed, std);
        FrozenBase b = FrozenBase.random(config, format, backend, seed, std);
        return new Transformer(config, backend, b.small, b);
    }

    /**
     * Freezes the base and puts {@code adapters} beside its linear layers: from now on only the adapters train
     * ({@link #trainable()}), and with them switched off ({@link LoraAdapters#setEnabled}) the same weights are the
     * reference model.
     */
    public Transformer withLora(LoraAdapters adapters) {
        if (!adapters.modelConfig().equals(config)) throw new IllegalArgumentException("the adapters were made for another model config");
        if (lora != null) throw new IllegalStateException("the model already has adapters");
        lora = adapters;
        for (int l = 0; l < layers.length; l++) {
            layers[l].adapt(adapters, l);
            layers[l].qkv.unbindGradients();
            layers[l].o.unbindGradients();
            layers[l].gateUp.unbindGradients();
            layers[l].down.unbindGradients();
        }
        lmHead.unbindGradients();
        dFinalNorm = null; // rebound to the sink at the next backward
        dEmbedding = null;
        grads = null;
        weightsChanged(); // adapters read the weights as they are: no fixed copies
        return this;
    }

    /**
     * A second model over this LoRA model's frozen weights — the same tensors, not a copy — with activations of its
     * own and no adapters yet: PPO's LoRA critic puts adapters of its own on it ({@link #withLora}). The base stays
     * frozen for both (LoRA never writes it), so sharing it is safe.
     */
    public Transformer sharingFrozenBase() {
        if (lora == null) throw new IllegalStateException("only a LoRA model's base is frozen and can be shared");
        Transformer t = new Transformer(config, backend, params, base);
        t.weightsDtype = weightsDtype;
        return t;
    }

    /** The LoRA adapters, or null. */
    public LoraAdapters lora() {
        return lora;
    }

    /** The packed frozen base, or null when the weights are the fp32 parameter block. */
    public FrozenBase frozenBase() {
        return base;
    }

    /** The base weights get no gradient: the model has adapters, or a packed base. */
    public boolean frozen() {
        return lora != null || base != null;
    }

    /** What the optimiser trains: the adapters of a LoRA model, else the model's own parameters. */
    public Trainable trainable() {
        if (lora != null) return lora;
        if (base != null) throw new IllegalStateException("a packed " + base.format().settingName() + " model cannot be trained without LoRA adapters (use_peft)");
        return this;
    }

    /**
     * Gradient checkpointing: layers keep their narrow activations and share one set of the wide ones (attention
     * probabilities, gate/up output), which the backward recomputes layer by layer (less memory, the gate/up product
     * and attention once more).
     */
    public void setGradientCheckpointing(boolean on) {
        checkpointing = on;
    }

    public boolean gradientCheckpointing() {
        return checkpointing;
    }

    /** Training mode: LoRA dropout is active in forwards (torch's {@code model.train()}); off by default. */
    public void setTraining(boolean on) {
        training = on;
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
        final int chunk = 1 << 20, group = 16; // 16 chunks (64 MiB) through one host buffer: no tensor-sized temporaries
        float[] buf = new float[chunk * group];
        for (int t = 0; t < ps.size(); t++) {
            ParameterLayout.Param p = ps.get(t);
            boolean norm = p.name().endsWith("norm.weight"), bias = p.name().endsWith(".bias");
            long size = p.size();
            int chunks = (int) ((size + chunk - 1) / chunk);
            for (int k0 = 0; k0 < chunks; k0 += group) {
                final int tensor = t, first = k0, count = Math.min(group, chunks - k0);
                int n = (int) Math.min((long) count * chunk, size - (long) k0 * chunk);
                if (norm || bias) java.util.Arrays.fill(buf, 0, n, norm ? 1f : 0f);
                else
                    org.grpo4j.backend.cpu.Parallel.forRange(count, (from, to) -> {
                        for (int k = first + from; k < first + to; k++) {
                            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor * 0x632BE59BD9B4E019L + k);
                            int at = (k - first) * chunk, end = (int) Math.min((long) at + chunk, n);
                            for (int i = at; i < end; i++) buf[i] = (float) (gaussian(rng) * std);
                        }
                    });
                backend.write(params.slice(p.offset() + (long) k0 * chunk, n), buf, 0, n);
            }
        }
        weightsChanged();
        return this;
    }

    private static double gaussian(SplittableRandom rng) {
        double u = rng.nextDouble(), w = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    /** Copies every tensor from a safetensors model, checking names, shapes and dtypes. */
    public void loadWeights(SafetensorsModel weights) throws IOException {
        loadWeights(weights, Set.of());
    }

    /** As {@link #loadWeights(SafetensorsModel)}, where {@code headTensors} belong to a head the caller loads (a reward model's {@code score}). */
    public void loadWeights(SafetensorsModel weights, Set<String> headTensors) throws IOException {
        weightsDtype = checkTensors(weights, layout, headTensors);
        for (ParameterLayout.Param p : layout.params()) {
            float[] v = new float[Math.toIntExact(p.size())];
            weights.fileOf(p.name()).readFloats(p.name(), v, 0);
            backend.write(params.slice(p.offset(), p.size()), v);
        }
        weightsChanged();
    }

    /** Every tensor of {@code layout} is in {@code weights} with its shape and a float dtype, and nothing else is. */
    static void checkTensors(SafetensorsModel weights, ParameterLayout layout) throws IOException {
        checkTensors(weights, layout, Set.of());
    }

    /**
     * {@link #checkTensors(SafetensorsModel, ParameterLayout)}, allowing {@code headTensors} besides; returns the dtype a
     * checkpoint keeps: BF16 when every tensor is BF16, else F32.
     */
    static DType checkTensors(SafetensorsModel weights, ParameterLayout layout, Set<String> headTensors) throws IOException {
        ModelConfig config = layout.config();
        DType kept = DType.F32;
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
            if (expected.size() == 1) kept = info.dtype() == DType.BF16 ? DType.BF16 : DType.F32;
            else if (info.dtype() != DType.BF16) kept = DType.F32;
        }
        for (Map.Entry<String, SafetensorsFile> e : weights.tensors().entrySet()) {
            String name = e.getKey();
            if (expected.contains(name) || headTensors.contains(name)) continue;
            // a tied checkpoint may still carry lm_head.weight, and old ones carry RoPE buffers: both are derived
            if (name.equals("lm_head.weight") && config.tieWordEmbeddings()) continue;
            if (name.endsWith("rotary_emb.inv_freq")) continue;
            throw new IOException(e.getValue().path() + ": unexpected tensor '" + name + "' (not part of " + config + ")");
        }
        return kept;
    }

    private static boolean sameShape(long[] a, int[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private static String shape(int[] s) {
        return java.util.Arrays.toString(s);
    }

    /**
     * The dtype a checkpoint of this model is written in: BF16 when every loaded tensor was BF16, else F32 (F16 and
     * F64 weights, and models created here, are saved as F32).
     */
    public DType weightsDtype() {
        return weightsDtype;
    }

    /** Writes {@code config.json} and {@code model.safetensors} (HF names) into {@code dir}, in {@link #weightsDtype()}. */
    public void save(Path dir) throws IOException {
        save(dir, weightsDtype);
    }

    /** Writes {@code config.json} and {@code model.safetensors} (HF names) into {@code dir}. */
    public void save(Path dir, DType dtype) throws IOException {
        if (base != null) throw new IllegalStateException("a packed " + base.format().settingName() + " base is not saved; save the LoRA adapters (PeftAdapter)");
        Files.createDirectories(dir);
        config.save(dir);
        SafetensorsWriter w = new SafetensorsWriter(Map.of("format", "pt"));
        for (ParameterLayout.Param p : layout.params()) {
            long[] shape = new long[p.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
            w.add(p.name(), dtype, shape, backend, params.slice(p.offset(), p.size()));
        }
        w.write(dir.resolve("model.safetensors"));
    }

    /** Copies the weights of a model of the same config (for a reference model, or to sync it). */
    public void copyFrom(Transformer other) {
        if (base != null || other.base != null) throw new IllegalStateException("packed weights are not copied; use the adapters' switch for a reference model");
        if (!other.config.equals(config)) throw new IllegalArgumentException("cannot copy weights between different configs");
        backend.copy(params, other.params);
        weightsDtype = other.weightsDtype;
        weightsChanged();
    }

    /**
     * {@code true}: the weights stay as they are from now on (a reference model), so every projection reads a copy
     * laid out once for the backend's products ({@link Backend#fixedLayout}: on the CPU the GEMM's packed panels, which
     * each product and each sequence part would otherwise pack again), {@link #fixedCopyBytes} of them; {@code false}
     * drops the copies. Only {@link #copyFrom}, {@link #loadWeights} and {@link #initialise} change a fixed model's
     * weights, and each lays the copies out again; a writer through {@link #params()} calls {@link #weightsChanged}.
     * A fixed model does not train ({@link #grads()} refuses). The scores are the same bits either way.
     *
     * <pre>{@code
     * Transformer reference = Transformer.create(policy.config(), policy.backend());
     * reference.copyFrom(policy);
     * reference.fixWeights(true);
     * float[] refLogp = reference.score(batch, 1f).logp();
     * }</pre>
     */
    public Transformer fixWeights(boolean fixed) {
        if (fixed && grads != null) throw new IllegalStateException("a model with gradients trains: its weights are not fixed");
        weightsFixed = fixed;
        layOutFixed();
        return this;
    }

    /** Whether {@link #fixWeights} holds. */
    public boolean weightsFixed() {
        return weightsFixed;
    }

    /** Lays the fixed copies out again after a write through {@link #params()} (nothing unless {@link #fixWeights}). */
    public void weightsChanged() {
        if (weightsFixed) layOutFixed();
    }

    /** Most bytes of fixed weight copies a model holds ({@code -Dgrpo4j.fixedCopyBytes}; 0 turns them off). */
    static final long FIXED_COPY_BYTES = Long.getLong("grpo4j.fixedCopyBytes", 256L << 20);

    /**
     * Bytes of the copies {@link #fixWeights} lays out: the backend's fixed copies of every projection, or 0 where their
     * sum exceeds {@link #FIXED_COPY_BYTES} (a large model keeps one copy of its weights), the backend keeps none, or
     * adapters sit beside the weights (their products read the weights as they are).
     */
    public long fixedCopyBytes() {
        if (lora != null) return 0;
        long sum = 0;
        for (Linear lin : projections()) sum += lin.fixedCopyBytes(backend, gateUp(lin));
        return sum <= FIXED_COPY_BYTES ? sum : 0;
    }

    private void layOutFixed() {
        boolean keep = weightsFixed && fixedCopyBytes() > 0;
        for (Linear lin : projections()) lin.layOutFixed(backend, gateUp(lin), keep);
    }

    /** The fused gate/up projection of a layer (its fixed copy is laid out for {@link Backend#matmulSwiglu}). */
    private boolean gateUp(Linear lin) {
        for (LayerWeights w : layers) if (w.gateUp == lin) return true;
        return false;
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
        if (base != null) throw new IllegalStateException("the " + base.format().settingName() + " base has no fp32 parameter block");
        return params;
    }

    @Override
    public java.util.List<long[]> decayGroups() {
        return layout.decayGroups();
    }

    /** The gradient block (same layout as {@link #params()}), allocated on first use. */
    @Override
    public Tensor grads() {
        if (frozen()) throw new IllegalStateException("the base weights are frozen (LoRA): the gradients are trainable().grads()");
        if (weightsFixed) throw new IllegalStateException("the weights are fixed (fixWeights): a reference model does not train");
        if (grads == null) {
            grads = backend.allocate(layout.size());
            for (LayerWeights w : layers) w.bindGradients(grads);
            lmHead.bindGradients(grads);
            dEmbedding = grads.slice(layout.embedding(), (long) config.vocabSize() * config.hiddenSize());
            dFinalNorm = grads.slice(layout.finalNorm(), config.hiddenSize());
        }
        return grads;
    }

    public Tensor param(String name) {
        ParameterLayout.Param p = layout.param(name);
        if (p == null) throw new IllegalArgumentException("no parameter '" + name + "'");
        return params.slice(p.offset(), p.size());
    }

    /** Tests: {@code false} runs every pass whole, as {@code -Dgrpo4j.sequenceParts=false} does. */
    void sequenceParts(boolean on) {
        parts.disable(!on);
    }

    /**
     * {@code false}: this model's training forwards and backwards run every row to the end, as {@code -Dgrpo4j.trainTail=false}
     * does for all, so that {@link #hiddenState}{@code (numLayers)} and {@link #finalNormOutput} have every row (oracle
     * checks, diagnostics); on by default ({@link #TRAIN_TAIL}).
     */
    public void setTrainTail(boolean on) {
        trainTail = on;
    }

    /** Tests: the parts the last pass ran in (1: whole). */
    int lastParts() {
        return parts.lastCount();
    }

    /** Target rows per head chunk for the following forwards ({@code 0}: from the logits budget); tests force several chunks. */
    void headChunkRows(int rows) {
        headChunkOverride = rows;
    }

    /** Bytes of the logits buffer of the last forward (one chunk of target rows × vocabulary). */
    public long logitsBytes() {
        return 4L * acts.chunkRows * config.vocabSize();
    }

    public void zeroGrad() {
        backend.fill(trainable().grads(), 0f);
    }

    /** Makes the gradient targets of the backward: the parameters' gradients, or for a frozen base a discarded sink. */
    private void bindGradients() {
        if (!frozen()) {
            grads();
            return;
        }
        if (dFinalNorm != null) return;
        Tensor sink = backend.allocate(Math.max(config.hiddenSize(), config.headDim()));
        for (LayerWeights w : layers) w.bindSink(sink);
        dFinalNorm = sink.slice(0, config.hiddenSize());
        if (lora != null) lora.grads();
    }

    /**
     * Allocates the activations of the largest micro-batch a run plans ({@link MemoryPlan#training}'s figure) at its
     * start. Growing with the batches instead re-allocated the block as completions got longer, and each block left
     * behind stayed on the heap as old-generation garbage until a full collection (issue 15).
     */
    public void reserveActivations(int sequences, int length, int targetsPerSequence) {
        // run in whole sequences per core, the model holds the activations of its part only
        acts.reserve(Activations.floatsForBatch(config, parts.reserveShare(sequences), length, targetsPerSequence, checkpointing));
        parts.reserve(sequences, length, targetsPerSequence);
    }

    /** Lets the activation block go (training is over); a later forward allocates a new one. */
    public void releaseActivations() {
        acts.release();
        parts.release();
    }

    /** Bytes of the activation blocks currently allocated (with those of the parts of a pass run in whole sequences per core). */
    public long activationBytes() {
        return acts.allocatedFloats() * 4 + parts.activationBytes();
    }

    // ======================================================================== forward

    /** Per-target log-probs and entropies of a forward pass (host copies). */
    public record Scores(float[] logp, float[] entropy) {}

    /**
     * Runs the model over the batch and scores its targets with logits divided by {@code temperature}.
     * The activations are kept for {@link #backward}.
     */
    public Scores forward(TokenBatch batch, float temperature) {
        checkTemperature(temperature);
        int n = parts.count(batch);
        if (n > 1) return parts.forward(batch, temperature, n);
        parts.forget();
        return forwardWhole(batch, temperature);
    }

    /** {@link #forward} of the whole batch, each op split over the threads. */
    Scores forwardWhole(TokenBatch batch, float temperature) {
        int T = batch.targets(), chunk = headChunk(T);
        trunk(batch, T, chunk);
        Scores s = head(batch, T, chunk, temperature, headInOrder());
        // the backward runs the chunks in reverse, so it starts from these logits instead of recomputing them
        keptChunk = (T + chunk - 1) / chunk - 1;
        return s;
    }

    /**
     * {@link #forward}'s scores where no backward follows (reference and old-policy log-probs, evaluation): the same
     * layer body over one set of layer tensors that every layer reuses, the residual updated in place, nothing kept
     * for a backward (no attention probabilities either), so the pass needs a fraction of a forward's memory; past the
     * last layer's attention only the target rows go on. The scores equal {@link #forward}'s to an ulp or two (the
     * last layer's products over fewer rows, and LoRA adapters outside training mode, which take generation's packed
     * product, sum in another order).
     */
    public Scores score(TokenBatch batch, float temperature) {
        if (!SCORE_PASS) return forward(batch, temperature);
        checkTemperature(temperature);
        int n = parts.count(batch);
        if (n > 1) return parts.score(batch, temperature, n);
        parts.forget();
        return scoreWhole(batch, temperature);
    }

    /** {@link #score} of the whole batch, each op split over the threads. */
    Scores scoreWhole(TokenBatch batch, float temperature) {
        ModelConfig c = config;
        int N = batch.rows(), d = c.hiddenSize(), T = batch.targets(), chunk = headChunk(T), L = c.numLayers();
        upload(batch);
        this.batch = null; // nothing of this pass is kept for a backward
        tailed = false;
        tailIndex = targetRows;
        boolean tail = SCORE_TAIL && T > 0;
        acts.prepareScoring(c, N, SCORE_KEEPS_PROBS ? seq.probsSize() : 0, T, chunk, tail, fullRowCount(N));
        if (lora != null) lora.startForward(training);
        Activations.Layer a = acts.scoring;
        backend.embedding(a.resid, tokens, embedding, N, d);
        // LoRA in training mode keeps its forward's path (dropout, as TRL's no-grad passes under model.train())
        for (int l = 0; l < L; l++) layer(l, a, a.resid, N, positions, null, training, l == L - 1 && tail ? acts.scoringTail : null, T);
        Tensor last = tail ? acts.scoringTail.resid : a.resid;
        backend.rmsNorm(acts.lnf, acts.rstdf, last, finalNorm, tail ? T : N, d, c.rmsNormEps());
        Scores s = head(batch, T, chunk, temperature, tail);
        chunkRows = null;
        keptChunk = -1;
        return s;
    }

    /**
     * A scoring pass gives the attention no probability buffer ({@code probs == null}: nothing is saved, the softmax stays
     * in the kernel's tiles); {@code -Dgrpo4j.scoreProbs=true} gives it one layer's (benchmarks compare the two).
     */
    static final boolean SCORE_KEEPS_PROBS = Boolean.getBoolean("grpo4j.scoreProbs");

    /**
     * A scoring pass takes only the target rows past the last layer's attention ({@code -Dgrpo4j.scoreTail=false}: all
     * rows, benchmarks compare): the other rows were needed for their keys and values, and nothing reads what the
     * layer's output projection and MLP would make of them.
     */
    static final boolean SCORE_TAIL = !"false".equals(System.getProperty("grpo4j.scoreTail"));

    /**
     * A training forward takes only the target rows past the last layer's attention, as a scoring pass does, and its
     * backward mirrors it ({@code -Dgrpo4j.trainTail=false}: all rows to the end, benchmarks compare): the other rows'
     * output projection, MLP and final norm reach no loss, and their gradients there are zeros. Log-probs and
     * gradients equal the all-rows pass's up to the order of the sums (the last layer's products over fewer rows).
     */
    static final boolean TRAIN_TAIL = !"false".equals(System.getProperty("grpo4j.trainTail"));

    /** Bytes of the activation block a {@link #score} of {@code sequences} × {@code length} tokens needs (the reference model's). */
    public static long scoreActivationBytes(ModelConfig c, int sequences, int length, int targetsPerSequence) {
        return 4 * Activations.floatsForScoringBatch(c, sequences, length, targetsPerSequence);
    }

    /** {@code -Dgrpo4j.scorePass=false}: {@link #score} runs {@link #forward} (benchmarks compare the two in one run). */
    private static final boolean SCORE_PASS = !"false".equals(System.getProperty("grpo4j.scorePass"));

    private static void checkTemperature(float temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }

    private int headChunk(int T) {
        return headChunkOverride > 0 ? Math.min(headChunkOverride, Math.max(T, 1)) : Activations.headChunkRows(config, T);
    }

    /**
     * Log-probs and entropies of the batch's targets from the final norm's output, chunk by chunk of {@code chunk} target
     * rows; {@code inOrder}: the final norm's output holds the targets' rows only, in order (a scoring pass).
     */
    private Scores head(TokenBatch batch, int T, int chunk, float temperature, boolean inOrder) {
        int V = config.vocabSize(), d = config.hiddenSize();
        this.temperature = temperature;
        targetTokens = backend.ints(batch.targetTokens());
        int chunks = (T + chunk - 1) / chunk;
        chunkRows = new IntTensor[inOrder ? 0 : chunks];
        // the final norm's rows of the targets: the target rows, or after a tail whose targets repeat a row their tail rows
        boolean ofTail = tailed && !tailTargets.inOrder();
        int[] rows = ofTail ? tailTargets.ofTarget() : batch.targetRows();
        for (int k = 0; k < chunkRows.length; k++)
            chunkRows[k] = chunks == 1 ? (ofTail ? tailOfTarget : targetRows) : backend.ints(java.util.Arrays.copyOfRange(rows, k * chunk, Math.min(T, (k + 1) * chunk)));
        for (int k = 0; k < chunks; k++) {
            int t0 = k * chunk, n = Math.min(chunk, T - t0);
            if (inOrder) lmHead.forward(backend, acts.logits, acts.lnf.slice((long) t0 * d, (long) n * d), n, false, false);
            else headLogits(k, n);
            backend.logSoftmaxGather(acts.logp.slice(t0, n), acts.entropy.slice(t0, n), acts.lse.slice(t0, n), acts.logits, targetTokens, t0, n, V, temperature);
        }
        float[] logp = new float[T], entropy = new float[T];
        if (T > 0) {
            backend.read(acts.logp, logp, 0, T);
            backend.read(acts.entropy, entropy, 0, T);
        }
        return new Scores(logp, entropy);
    }

    /**
     * The decoder without its language-model head, for a head of another kind on the same layers (a PPO critic's
     * value head, {@code grpo/critic}): runs the batch and returns the final norm's output, {@code rows × hidden},
     * row-major. The activations are kept for {@link #backwardHidden}; no logits are computed.
     */
    public float[] forwardHidden(TokenBatch batch) {
        int n = parts.count(batch);
        if (n > 1) return parts.forwardHidden(batch, n);
        parts.forget();
        return forwardHiddenWhole(batch);
    }

    /** {@link #forwardHidden} of the whole batch, each op split over the threads. */
    float[] forwardHiddenWhole(TokenBatch batch) {
        trunk(batch, 0, 0);
        chunkRows = null; // backward(dLogp) has no head to go through
        return backend.read(acts.lnf);
    }

    /**
     * Embedding, every layer and the final norm over the batch, with room for {@code targets} head rows in chunks of
     * {@code chunk}; past the last layer's attention on the target rows only where {@link #tailFits} (then the final
     * norm's output holds the targets' rows in order).
     */
    private void trunk(TokenBatch batch, int targets, int chunk) {
        ModelConfig c = config;
        int N = batch.rows(), d = c.hiddenSize(), L = c.numLayers();
        upload(batch);
        this.batch = batch;
        tailed = tailFits(targets);
        tailTargets = tailed ? TailRows.of(batch.targetRows(), N) : null;
        tailIndex = !tailed ? null : tailTargets.inOrder() ? targetRows : backend.ints(tailTargets.rows());
        tailOfTarget = tailed && !tailTargets.inOrder() ? backend.ints(tailTargets.ofTarget()) : null;
        int tailRows = tailed ? tailTargets.count() : 0;
        acts.prepare(c, N, seq.probsSize(), targets, chunk, checkpointing, fullRowCount(N), tailRows);
        if (lora != null) lora.startForward(training);
        backend.embedding(acts.layers[0].resid, tokens, embedding, N, d);
        for (int l = 0; l < L; l++)
            layer(l, acts.layers[l], l + 1 < L ? acts.layers[l + 1].resid : acts.residOut, N, positions, null, true,
                    tailed && l == L - 1 ? acts.trainTail : null, tailRows);
        backend.rmsNorm(acts.lnf, acts.rstdf, acts.residOut, finalNorm, tailed ? tailRows : N, d, c.rmsNormEps());
    }

    /**
     * Whether a training forward of {@code targets} head rows (0: {@code forwardHidden}, whose head reads every row) runs
     * its last layer past attention on them alone ({@link #TRAIN_TAIL}). Not under LoRA dropout: its masks are drawn
     * per element of the rows a projection sees, so fewer rows would draw other masks than the pass over all rows.
     * Decided from settings only, so that every part of a pass run in parts ({@link SequenceParts}) decides alike.
     */
    private boolean tailFits(int targets) {
        boolean dropout = lora != null && training && lora.config().dropout() > 0;
        return trainTail && targets > 0 && !dropout;
    }

    /** The head reads the final norm's output in place: one row per target, in order (after a tail whose targets are distinct rows). */
    private boolean headInOrder() {
        return tailed && tailTargets.inOrder();
    }

    /** The batch's sequence layout, tokens, positions and target rows onto the backend. */
    private void upload(TokenBatch batch) {
        for (int len : batch.lengths())
            if (len > ropePositions) throw new IllegalArgumentException("a sequence of " + len + " tokens exceeds max_position_embeddings = " + ropePositions);
        seq = SequenceLayout.of(backend, batch.lengths(), config.numHeads());
        tokens = backend.ints(batch.tokens());
        positions = backend.ints(batch.positions());
        targetRows = backend.ints(batch.targetRows());
        shared = batch.shared();
        fullRows = shared == null ? null : backend.ints(shared.fullRows());
        ownerRows = shared == null ? null : backend.ints(shared.ownerRows());
        sharedDirect = shared == null ? null : sharedDirect(batch.lengths());
    }

    /** Where each sequence's rows are packed, for a backend that reads shared prompts in place; null where it does not. */
    private SharedPromptLayout sharedDirect(int[] lengths) {
        int align = backend.sharedAttentionAlignment(config.numHeads(), config.numKvHeads(), config.headDim(), lengths.length - shared.copies());
        if (align == 0) return null;
        int B = lengths.length;
        int[] start = new int[B], prompt = new int[B], promptRow = new int[B], full = shared.fullRows();
        for (int b = 0, f = 0, k = 0; b < B; f += lengths[b], b++) {
            if (k < shared.copies() && shared.copyStart()[k] == f) {
                prompt[b] = shared.copyLength()[k];
                promptRow[b] = shared.copyPrompt()[k];
                start[b] = full[f + prompt[b]] - prompt[b];
                k++;
            } else start[b] = full[f];
        }
        return SharedPromptLayout.of(backend, lengths, start, prompt, promptRow, config.numHeads(), align);
    }

    /**
     * Rows of the full-layout scratch the pass needs: the batch's full layout (each sequence with its prompt) where
     * attention gathers it, none beyond the packed {@code rows} where the backend reads shared prompts in place.
     */
    private int fullRowCount(int rows) {
        return sharedDirect != null ? rows : seq.rows();
    }

    /**
     * Logits of the {@code n} targets of head chunk {@code k}: gather their rows of the final norm output (after a tail
     * they are its rows in order, read in place), project onto the vocabulary. Returns the head's input rows.
     */
    private Tensor headLogits(int k, int n) {
        Tensor in = headInput(k, n);
        if (!headInOrder()) backend.gatherRows(acts.headIn, acts.lnf, chunkRows[k], n, config.hiddenSize());
        lmHead.forward(backend, acts.logits, in, n, false, false);
        return in;
    }

    /** The rows head chunk {@code k} reads: the gathered ones, or after a tail the final norm's output in place. */
    private Tensor headInput(int k, int n) {
        long d = config.hiddenSize();
        return headInOrder() ? acts.lnf.slice(k * (long) acts.chunkRows * d, n * d) : acts.headIn;
    }

    // ======================================================================== the decoder layer

    /**
     * One decoder layer over {@code N} rows, from {@code a.resid} into {@code out}: the single layer body of training
     * and generation. Without a cache, attention runs over the packed sequences of the batch ({@link #seq}) and
     * saves its probabilities for the backward; with one, each row's key and value are stored in the cache and the
     * rows attend to the cached runs of their segments. In generation the residual views are one tensor, updated
     * in place ({@code a.resid == a.resid2 == out}), as in a scoring pass ({@link #score}); {@code save}: a backward
     * follows (the projections' adapters keep what theirs needs). {@code tail}: the last layer of a scoring pass or of a
     * training forward ({@link #TRAIN_TAIL}), whose rows past attention are only the {@code tailRows} targets'
     * ({@link #tailIndex}), gathered into {@code tail}'s views; its output goes to {@code out}'s first rows.
     */
    private void layer(int l, Activations.Layer a, Tensor out, int N, IntTensor positions, KvCache cache, boolean save,
                       Activations.Layer tail, int tailRows) {
        ModelConfig c = config;
        LayerWeights w = layers[l];
        int d = c.hiddenSize(), H = c.numHeads(), KV = c.numKvHeads(), hd = c.headDim(), F = c.intermediateSize();
        float eps = c.rmsNormEps();
        // a training forward keeps the residual before and after attention (resid, resid2) and after the MLP (out):
        // each norm copies the stream it reads into the next view, instead of a copy pass of its own
        norm(a.ln1, a.rstd1, a.resid2, a.resid, w.inputNorm, N);
        project(w.qkv, a.qkv, a.ln1, N, false, cache, save);
        if (c.qkNorm()) backend.qkNorm(a.qkvRot, a.rstdQk, a.qkv, w.qNorm, w.kNorm, N, H, KV, hd, eps);
        backend.rope(a.qkvRot, positions, ropeCos, ropeSin, N, H, KV, hd);
        if (cache == null) attend(a, N);
        else {
            backend.kvStore(cache.keys(l), cache.values(l), a.qkvRot, cache.slotsT, N, H, KV, hd);
            backend.attentionCached(a.att, a.qkvRot, cache.keys(l), cache.values(l), cache.segmentsT, N, H, KV, hd);
        }
        if (tail != null) {
            backend.gatherRows(tail.att, a.att, tailIndex, tailRows, H * hd);
            backend.gatherRows(tail.resid, a.resid, tailIndex, tailRows, d);
            // a scoring pass updates the residual in place; a training forward keeps it and writes out's first rows
            out = out == a.resid ? tail.resid : out.slice(0, (long) tailRows * d);
            a = tail;
            N = tailRows;
        }
        if (!FUSED_COPY && a.resid2 != a.resid) backend.copy(a.resid2, a.resid);
        project(w.o, a.resid2, a.att, N, true, cache, save);
        norm(a.ln2, a.rstd2, out, a.resid2, w.postNorm, N);
        // a scoring pass keeps no gate/up rows, so the backend may apply SwiGLU inside the product (h17c)
        if (cache == null && (a == acts.scoring || a == acts.scoringTail)) w.gateUp.forwardSwiglu(backend, a.act, a.gateUp, a.ln2, N, F, save);
        else {
            project(w.gateUp, a.gateUp, a.ln2, N, false, cache, save);
            backend.swiglu(a.act, a.gateUp, N, F);
        }
        if (!FUSED_COPY && out != a.resid2) backend.copy(out, a.resid2);
        project(w.down, out, a.act, N, true, cache, save);
    }

    /**
     * Causal attention of the batch's {@code N} packed rows, {@code a.qkvRot} into {@code a.att}. With shared prompts the
     * rows go into the full layout first (each sequence's prompt rows beside its own: the kernel is today's), and each
     * packed row takes back the output of its first copy (every copy of a prompt row computes the same numbers).
     */
    private void attend(Activations.Layer a, int N) {
        int H = config.numHeads(), KV = config.numKvHeads(), hd = config.headDim();
        if (shared == null) {
            backend.attention(a.att, a.probs, a.qkvRot, seq, H, KV, hd);
            return;
        }
        if (sharedDirect != null) {
            backend.attentionShared(a.att, a.probs, a.qkvRot, sharedDirect, H, KV, hd);
            return;
        }
        backend.gatherRows(acts.qkvFull, a.qkvRot, fullRows, seq.rows(), config.qkvDim());
        backend.attention(acts.attFull, a.probs, acts.qkvFull, seq, H, KV, hd);
        backend.gatherRows(a.att, acts.attFull, ownerRows, N, H * hd);
    }

    /**
     * {@link #attend}'s backward, {@code acts.dAtt} into {@code acts.dQkvRot}. A packed row's output gradient goes to its
     * first copy (the forward read only that one; the other copies get zeros), and a shared prompt row's q/k/v gradient
     * is the sum over its copies: the later sequences' rows reach its keys and values through their own copies.
     */
    private void attendBackward(Activations.Layer a, int N) {
        int H = config.numHeads(), KV = config.numKvHeads(), hd = config.headDim(), q = config.qkvDim();
        if (shared == null) {
            backend.attentionBackward(acts.dQkvRot, acts.dAtt, a.qkvRot, a.probs, seq, H, KV, hd);
            return;
        }
        if (sharedDirect != null) {
            backend.attentionSharedBackward(acts.dQkvRot, acts.dAtt, a.qkvRot, a.probs, sharedDirect, H, KV, hd);
            return;
        }
        backend.gatherRows(acts.qkvFull, a.qkvRot, fullRows, seq.rows(), q); // one scratch for all layers: this layer's again
        backend.fill(acts.attFull, 0f);
        backend.scatterAddRows(acts.attFull, acts.dAtt, ownerRows, N, H * hd); // distinct rows: no two adds meet
        backend.attentionBackward(acts.dQkvFull, acts.attFull, acts.qkvFull, a.probs, seq, H, KV, hd);
        backend.gatherRows(acts.dQkvRot, acts.dQkvFull, ownerRows, N, q);
        // one add per later copy, one after another: several copies of a prompt land on the same rows
        for (int k = 0; k < shared.copies(); k++) {
            long n = (long) shared.copyLength()[k] * q;
            backend.add(acts.dQkvRot.slice((long) shared.copyPrompt()[k] * q, n), acts.dQkvFull.slice((long) shared.copyStart()[k] * q, n));
        }
    }

    /** {@code -Dgrpo4j.fusedCopy=false}: the residual copies as passes of their own (benchmarks compare). */
    private static final boolean FUSED_COPY = !"false".equals(System.getProperty("grpo4j.fusedCopy"));

    /** RMSNorm of the residual {@code in} into {@code out}, copying {@code in} into {@code next} unless it is the same view (updated in place). */
    private void norm(Tensor out, Tensor rstd, Tensor next, Tensor in, Tensor weight, int N) {
        int d = config.hiddenSize();
        float eps = config.rmsNormEps();
        if (next == in || !FUSED_COPY) backend.rmsNorm(out, rstd, in, weight, N, d, eps);
        else backend.rmsNormCopy(out, rstd, next, in, weight, N, d, eps);
    }

    /** A projection of the layer body: a training forward saves for the backward, a decode step (a cache) saves nothing. */
    private void project(Linear lin, Tensor y, Tensor x, int N, boolean accumulate, KvCache cache, boolean save) {
        if (cache == null) lin.forward(backend, y, x, N, accumulate, save);
        else lin.decode(backend, y, x, N, accumulate, decodeCopies);
    }

    // ======================================================================== generation

    /**
     * Runs {@code rows} rows of the cache's step inputs ({@link KvCache#tokens()} … {@link KvCache#segments()}, filled by
     * the caller) through the model with cached attention, storing their keys and values, and leaves in
     * {@link KvCache#logits()} the logits of {@code outRows} rows: rows {@link KvCache#lastRows()}{@code [0..outRows)}
     * when {@code gather}, else rows {@code 0..outRows)}. Nothing is saved for a backward.
     */
    public void decode(KvCache cache, int rows, int outRows, boolean gather) {
        ModelConfig c = config;
        int d = c.hiddenSize();
        if (rows > cache.rowCapacity() || outRows > cache.outRowCapacity())
            throw new IllegalArgumentException("decode of " + rows + " rows (" + outRows + " with logits) in a cache reserved for "
                    + cache.rowCapacity() + " (" + cache.outRowCapacity() + ")");
        cache.upload(rows, outRows, gather);
        Activations.Layer a = cache.work;
        backend.embedding(a.resid, cache.tokensT, embedding, rows, d);
        for (int l = 0; l < c.numLayers(); l++) layer(l, a, a.resid, rows, cache.positionsT, cache, false, null, 0);
        if (outRows == 0) return;
        Tensor head = a.resid;
        if (gather) {
            backend.gatherRows(cache.last, a.resid, cache.lastRowsT, outRows, d);
            head = cache.last;
        }
        // RMSNorm is per row, so only the rows that sample are normalised and projected
        backend.rmsNorm(cache.lastNorm, cache.lastRstd, head, finalNorm, outRows, d, c.rmsNormEps());
        lmHead.decode(backend, cache.logits, cache.lastNorm, outRows, false, decodeCopies);
        backend.read(cache.logits, cache.logits(), cache.logitsRow() * c.vocabSize(), outRows * c.vocabSize());
    }

    /**
     * How many {@link #decode} calls on lanes of one cache ({@link KvCache#lane()}) may run at once between
     * {@link #beginDecode} and {@link #endDecode}: the backend's {@link Backend#decodeLanes} where every projection will
     * read its decode-time copy and has no adapters (their products share scratch), else 1; 1 under an op profile,
     * which times ops one after another. Known before {@link #beginDecode}, so a scheduler can size its lanes first.
     */
    public int decodeLanes() {
        if (lora != null || org.grpo4j.backend.OpProfile.of(backend) != null || decodeCopyBytes() == 0) return 1;
        for (Linear lin : projections()) if (lin.decodeCopyBytes(backend) == 0 || lin.adapted()) return 1;
        return Math.max(1, backend.decodeLanes());
    }

    /** Most bytes of decode-time weight copies a model holds ({@code -Dgrpo4j.decode.copyBytes}; 0 turns them off). */
    static final long DECODE_COPY_BYTES = Long.getLong("grpo4j.decode.copyBytes", 256L << 20);

    private java.util.List<Linear> projections() {
        java.util.List<Linear> all = new java.util.ArrayList<>();
        for (LayerWeights w : layers) java.util.Collections.addAll(all, w.qkv, w.o, w.gateUp, w.down);
        all.add(lmHead);
        return all;
    }

    /**
     * Bytes of the decode-time copies of the weights {@link #beginDecode} builds: the backend's copies of every
     * projection it has one for, or 0 when their sum exceeds {@link #DECODE_COPY_BYTES} (a large model keeps one
     * copy of its weights) or the backend has none.
     */
    public long decodeCopyBytes() {
        long sum = 0;
        for (Linear lin : projections()) sum += lin.decodeCopyBytes(backend);
        return sum <= DECODE_COPY_BYTES ? sum : 0;
    }

    /** Bytes {@link #beginDecode} would newly allocate: {@link #decodeCopyBytes} until the copies exist, then 0 (rebuilt in place). */
    public long newDecodeCopyBytes() {
        for (Linear lin : projections()) if (lin.hasDecodeCopy()) return 0;
        return decodeCopyBytes();
    }

    /**
     * Starts a generate call: (re)builds the decode-time copies of the current weights ({@link #decodeCopyBytes} of
     * them), which {@link #decode} reads until {@link #endDecode}. Built at every call, so a call after an optimizer
     * step never reads the weights of an earlier one; training and reference forwards never read them.
     */
    public void beginDecode() {
        if (decodeCopyBytes() == 0) return;
        for (Linear lin : projections()) lin.buildDecodeCopy(backend);
        decodeCopies = true;
    }

    /** Ends a generate call: {@link #decode} reads the weights themselves until the next {@link #beginDecode}. */
    public void endDecode() {
        decodeCopies = false;
    }

    // ======================================================================== backward

    /**
     * Accumulates into {@link #grads()} the gradient of {@code Σ_i dLogp[i] · logp_i} for the targets of the last
     * {@link #forward}: the caller's loss supplies {@code dLogp = ∂loss/∂logp}. Mirrors the forward in reverse.
     */
    public void backward(float[] dLogp) {
        if (parts.split()) parts.backward(dLogp);
        else backwardWhole(dLogp);
    }

    /** {@link #backward} of a forward that ran whole. */
    void backwardWhole(float[] dLogp) {
        if (batch == null) throw new IllegalStateException("backward without a forward (score keeps nothing for one)");
        if (chunkRows == null) throw new IllegalStateException("the last forward was forwardHidden: its backward is backwardHidden");
        ModelConfig c = config;
        int d = c.hiddenSize(), V = c.vocabSize(), T = batch.targets(), chunk = acts.chunkRows;
        if (dLogp.length != T) throw new IllegalArgumentException("dLogp has " + dLogp.length + " entries, the batch has " + T + " targets");
        bindGradients();
        if (T > 0) backend.write(acts.dLogp, dLogp, 0, T);

        // output head, chunk by chunk: dlogits → d lm_head, d final-norm output (after a tail: its rows in order, each
        // written once; else scattered to the target rows of a zeroed gradient)
        boolean inOrder = headInOrder();
        if (!inOrder) backend.fill(acts.dLn, 0f);
        for (int k = (T + chunk - 1) / chunk - 1; k >= 0; k--) {
            int t0 = k * chunk, n = Math.min(chunk, T - t0);
            // recomputed: the logits of the whole batch never exist at once
            Tensor in = k != keptChunk ? headLogits(k, n) : headInput(k, n);
            backend.logSoftmaxBackward(acts.logits, acts.lse.slice(t0, n), acts.dLogp.slice(t0, n), targetTokens, t0, n, V, temperature);
            lmHead.backwardWeight(backend, acts.logits, in, n);
            if (inOrder) lmHead.backwardInput(backend, acts.dLn.slice((long) t0 * d, (long) n * d), acts.logits, n, false);
            else {
                lmHead.backwardInput(backend, acts.dHeadIn, acts.logits, n, false);
                // with shared prompts a prompt's last row is the first target of every copy: scatterAddRows wants
                // distinct rows (two threads or work-items adding to one row lose an update), the embedding's backward
                // adds repeated rows in order, race-free, and equals the scatter where rows are distinct
                if (shared != null) backend.embeddingBackward(acts.dLn, acts.dHeadIn, chunkRows[k], n, d);
                else backend.scatterAddRows(acts.dLn, acts.dHeadIn, chunkRows[k], n, d);
            }
        }
        keptChunk = -1; // the logits now hold gradients
        trunkBackward();
    }

    /**
     * Accumulates into {@link #grads()} the gradient of {@code Σ dHidden · h} for the final norm's output h of the last
     * forward ({@link #forwardHidden}; {@code rows × hidden}): a head other than the language-model head supplies it.
     */
    public void backwardHidden(float[] dHidden) {
        if (parts.split()) parts.backwardHidden(dHidden);
        else backwardHiddenWhole(dHidden);
    }

    /** {@link #backwardHidden} of a forward that ran whole. */
    void backwardHiddenWhole(float[] dHidden) {
        if (batch == null) throw new IllegalStateException("backward without a forward");
        if (tailed) throw new IllegalStateException("the last forward was forward, which kept its target rows only past the last attention: its backward is backward");
        int n = batch.rows() * config.hiddenSize();
        if (dHidden.length != n) throw new IllegalArgumentException("dHidden has " + dHidden.length + " entries, the batch has " + n + " (rows × hidden)");
        bindGradients();
        backend.write(acts.dLn, dHidden, 0, n);
        trunkBackward();
    }

    /**
     * From d loss / d (final norm output) in {@code acts.dLn} back through the final norm, every layer and the embedding.
     * After a tail the final norm and the last layer's MLP and output projection go back over the target rows, whose
     * gradients then scatter to all rows (zeros elsewhere) for the layer's attention.
     */
    private void trunkBackward() {
        ModelConfig c = config;
        int N = batch.rows(), d = c.hiddenSize(), T = tailed ? tailTargets.count() : 0, L = c.numLayers();
        Tensor dOut = tailed ? acts.dResidTail : acts.dResid;
        backend.fill(dOut, 0f);
        backend.rmsNormBackward(dOut, dFinalNorm, acts.dLn, acts.residOut, finalNorm, acts.rstdf, tailed ? T : N, d);
        for (int l = L - 1; l >= 0; l--) {
            Activations.Layer a = acts.layers[l], post = tailed && l == L - 1 ? acts.trainTail : a;
            int postRows = post == a ? N : T;
            if (checkpointing) recompute(l, a, post, N, postRows);
            if (post == a) layerBackward(l, a, N);
            else {
                mlpBackward(l, post, T, acts.dResidTail, acts.dAttTail);
                scatterTail(N, T);
                attentionBackward(l, a, N);
            }
        }
        if (!frozen()) backend.embeddingBackward(dEmbedding, acts.dResid, tokens, N, d);
    }

    /** The tail's residual and attention-output gradients onto the target rows of all rows' (zeros elsewhere). */
    private void scatterTail(int N, int T) {
        int d = config.hiddenSize(), a = config.numHeads() * config.headDim();
        backend.fill(acts.dResid, 0f);
        backend.scatterAddRows(acts.dResid, acts.dResidTail, tailIndex, T, d); // distinct rows (TailRows)
        backend.fill(acts.dAtt, 0f);
        backend.scatterAddRows(acts.dAtt, acts.dAttTail, tailIndex, T, a);
    }

    /**
     * Gradient checkpointing: refills the two wide tensors layer {@code l} shares with every other layer, its
     * attention probabilities and its gate/up output (adapters included), from the narrow ones it kept. The same
     * ops on the same inputs, so the values, and the gradients, are bit-identical to a backward without
     * checkpointing. Recomputing only these (not the whole layer from its input) costs the gate/up product, 58% of
     * a Qwen2.5 layer's weight flops, instead of all of them; the narrow tensors kept cost {@code N·(3d + qkvDim)}
     * floats a layer. {@code post}: the layer's views past attention ({@code a}'s, or a tail's of {@code postRows} rows).
     */
    private void recompute(int l, Activations.Layer a, Activations.Layer post, int N, int postRows) {
        ModelConfig c = config;
        LayerWeights w = layers[l];
        attend(a, N);
        backend.rmsNorm(post.ln2, post.rstd2, post.resid2, w.postNorm, postRows, c.hiddenSize(), c.rmsNormEps());
        w.gateUp.forward(backend, post.gateUp, post.ln2, postRows, false, true);
    }

    /** The layer body in reverse: takes d loss / d (layer output) in {@code acts.dResid}, leaves d loss / d (layer input) there. */
    private void layerBackward(int l, Activations.Layer a, int N) {
        mlpBackward(l, a, N, acts.dResid, acts.dAtt);
        attentionBackward(l, a, N);
    }

    /**
     * The layer body past attention in reverse, over {@code N} rows of {@code a}: takes d loss / d (layer output) in
     * {@code dResid}, leaves d loss / d resid2 there (the residual passes through the MLP and the output projection) and
     * d loss / d (attention output) in {@code dAtt}.
     */
    private void mlpBackward(int l, Activations.Layer a, int N, Tensor dResid, Tensor dAtt) {
        ModelConfig c = config;
        LayerWeights w = layers[l];
        int d = c.hiddenSize(), F = c.intermediateSize();
        float eps = c.rmsNormEps();
        // resid_next = resid2 + down(act): the residual gradient passes through unchanged; act and ln2 were not
        // kept (one scratch for all layers), so they are recomputed from the saved gateUp and resid2. The SwiGLU
        // backward writes act as well (one pass over gateUp instead of two), so down's weight gradient comes after
        // it — unless adapters sit on down: their part of dAct reads act, which is then recomputed first
        backend.rmsNorm(a.ln2, a.rstd2, a.resid2, w.postNorm, N, d, eps);
        if (w.down.adapted()) {
            backend.swiglu(a.act, a.gateUp, N, F);
            w.down.backward(backend, acts.dAct, dResid, a.act, N);
            backend.swigluBackward(acts.dGateUp, a.act, acts.dAct, a.gateUp, N, F);
        } else {
            w.down.backwardInput(backend, acts.dAct, dResid, N, false);
            backend.swigluBackward(acts.dGateUp, a.act, acts.dAct, a.gateUp, N, F);
            w.down.backwardWeight(backend, dResid, a.act, N);
        }
        w.gateUp.backward(backend, acts.dLn, acts.dGateUp, a.ln2, N);
        backend.rmsNormBackward(dResid, w.dPostNorm, acts.dLn, a.resid2, w.postNorm, a.rstd2, N, d);
        // resid2 = resid + o(att)
        w.o.backward(backend, dAtt, dResid, a.att, N);
    }

    /**
     * The layer body up to attention's output in reverse: takes d loss / d (attention output) in {@code acts.dAtt} and
     * d loss / d resid2 in {@code acts.dResid}, leaves d loss / d (layer input) there.
     */
    private void attentionBackward(int l, Activations.Layer a, int N) {
        ModelConfig c = config;
        LayerWeights w = layers[l];
        int d = c.hiddenSize(), H = c.numHeads(), KV = c.numKvHeads(), hd = c.headDim();
        float eps = c.rmsNormEps();
        attendBackward(a, N);
        backend.ropeBackward(acts.dQkvRot, positions, ropeCos, ropeSin, N, H, KV, hd);
        if (c.qkNorm())
            backend.qkNormBackward(acts.dQkv, w.dqNorm, w.dkNorm, acts.dQkvRot, a.qkv, w.qNorm, w.kNorm, a.rstdQk, N, H, KV, hd);
        backend.rmsNorm(a.ln1, a.rstd1, a.resid, w.inputNorm, N, d, eps);
        w.qkv.backward(backend, acts.dLn, acts.dQkv, a.ln1, N);
        backend.rmsNormBackward(acts.dResid, w.dInputNorm, acts.dLn, a.resid, w.inputNorm, a.rstd1, N, d);
    }

    // ======================================================================== inspection (tests, debugging)

    /**
     * The residual stream entering layer {@code k} ({@code k = numLayers}: after the last layer) of the last forward;
     * after the last layer, a forward that ran the training tail ({@link #TRAIN_TAIL}) has its target rows only, in order.
     */
    public float[] hiddenState(int k) {
        return parts.lastCount() > 1 ? parts.readRows(t -> t.hiddenStateWhole(k), config.hiddenSize()) : hiddenStateWhole(k);
    }

    private float[] hiddenStateWhole(int k) {
        return k == config.numLayers() ? readTailRows(acts.residOut) : backend.read(acts.layers[k].resid);
    }

    /** All of {@code t}, or after a training tail one row per target, in order (its rows read through {@link TailRows#ofTarget}). */
    private float[] readTailRows(Tensor t) {
        if (!tailed) return backend.read(t);
        int d = config.hiddenSize();
        float[] rows = new float[tailTargets.count() * d];
        backend.read(t, rows, 0, rows.length);
        if (tailTargets.inOrder()) return rows;
        float[] each = new float[tailTargets.ofTarget().length * d];
        for (int i = 0; i < tailTargets.ofTarget().length; i++) System.arraycopy(rows, tailTargets.ofTarget()[i] * d, each, i * d, d);
        return each;
    }

    /** The final norm's output of the last forward or {@link #score} (after a tail: the target rows only, in order). */
    public float[] finalNormOutput() {
        return parts.lastCount() > 1 ? parts.readRows(Transformer::finalNormOutputWhole, config.hiddenSize()) : finalNormOutputWhole();
    }

    private float[] finalNormOutputWhole() {
        return readTailRows(acts.lnf);
    }

    @Override
    public void close() {
        // memory is owned by the backend's allocations; nothing native to release on the CPU
    }
}
