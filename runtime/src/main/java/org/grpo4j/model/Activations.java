package org.grpo4j.model;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;

/**
 * Everything the forward pass saves for the backward, for one packed batch, as named views of one allocation
 * (llm.c's activation block), plus the per-layer scratch gradients the backward reuses layer after layer.
 * The block grows when a batch needs more and is reused otherwise, so steady-state training allocates nothing.
 */
public final class Activations {
    /** The saved tensors of one decoder layer. */
    static final class Layer {
        Tensor resid;      // [N, d]  input of the layer (the residual stream)
        Tensor ln1;        // [N, d]  input_layernorm(resid); in training one scratch shared by every layer (recomputed in the backward)
        Tensor rstd1;      // [N]
        Tensor qkv;        // [N, qkvDim]  fused projection output (before q/k norm and RoPE)
        Tensor qkvRot;     // [N, qkvDim]  after q/k norm and RoPE; the same view as qkv when there is no q/k norm
        Tensor rstdQk;     // [N, heads + kvHeads]  (Qwen3 only)
        Tensor att;        // [N, heads·hd]
        Tensor probs;      // the layer's attention probabilities
        Tensor resid2;     // [N, d]  resid + o_proj(att)
        Tensor ln2;        // [N, d]  post_attention_layernorm(resid2); the same shared scratch as ln1
        Tensor rstd2;      // [N]
        Tensor gateUp;     // [N, 2F]
        Tensor act;        // [N, F]  silu(gate)·up; in training one scratch shared by every layer (recomputed in the backward)
    }

    final Layer[] layers;
    /** A scoring pass's one set of layer tensors ({@link #prepareScoring}): every layer reuses it, the residual updated in place. */
    final Layer scoring = new Layer();
    /** The last layer of a scoring pass past attention: the target rows only ({@code Transformer.score}). */
    final Layer scoringTail = new Layer();
    /**
     * The last layer of a training forward past attention: the target rows only ({@code Transformer.trainTail}). Its
     * residual after attention, norm, gate/up and SwiGLU views are the first rows of the last layer's own, which the
     * tail leaves unused; only the gathered attention output is a tensor of its own.
     */
    final Layer trainTail = new Layer();
    Tensor dResidTail, dAttTail; // the tail's backward: its residual and attention-output gradients before they scatter to all rows
    Tensor residOut, lnf, rstdf;                                      // final residual, final norm
    Tensor dResid, dLn, dQkv, dQkvRot, dAtt, dGateUp, dAct;            // backward scratch (one layer)
    Tensor headIn, dHeadIn, logits, logp, entropy, lse, dLogp;             // output head, in chunks of target rows
    // a batch with shared prompts (SharedPrompts): one layer's rotated q/k/v, attention output (in the backward its
    // gradient) and q/k/v gradient in the full layout, where attention sees each sequence's rows side by side; else null
    Tensor qkvFull, attFull, dQkvFull;
    int rows, targets, chunkRows;

    private final Backend backend;
    private Tensor block;

    Activations(Backend backend, int numLayers) {
        this.backend = backend;
        this.layers = new Layer[numLayers];
        for (int l = 0; l < numLayers; l++) layers[l] = new Layer();
    }

    /** Floats of one chunk of logits ({@code -Dgrpo4j.logitsBudget}, default 8 Mi = 32 MiB). */
    static final long LOGITS_BUDGET = Long.getLong("grpo4j.logitsBudget", 8L << 20);

    /**
     * Fewest target rows per head chunk ({@code -Dgrpo4j.headChunkMin}, 64 before): on a 150k vocabulary each chunk's
     * products pack the whole vocabulary weight (NT), and read and write its whole gradient (TN, the chunk's rows are
     * its depth), so thin chunks run at half the GEMM's rate, and every chunk but the last is computed twice. qwen05b
     * head products per chunk (Xeon, 2 threads): 64 rows 131/135/168 GFLOP/s (nt/nn/tn), 256 rows 194/199/215, layer
     * products 240–260; one micro-batch of 512 targets spent 3.9 s in the head at 64 rows, 2.4 s at 256 (of ~10 s).
     * The cost is {@code 256 × vocab} floats of logits (148 MiB on Qwen2.5, against 37 MiB).
     */
    static final int HEAD_CHUNK_MIN = Integer.getInteger("grpo4j.headChunkMin", 256);

    /**
     * Target rows per chunk of the output head: as many as fit the logits budget, at least {@link #HEAD_CHUNK_MIN} (so
     * the head's GEMMs stay efficient on a 150k vocabulary) and at most 1024, so that no batch of more targets ever
     * holds {@code targets × vocab} logits at once, as TRL's chunked LM head.
     */
    public static int headChunkRows(ModelConfig c, int targets) {
        long rows = Math.max(HEAD_CHUNK_MIN, Math.min(1024, LOGITS_BUDGET / c.vocabSize()));
        return (int) Math.max(1, Math.min(Math.max(1, targets), rows));
    }

    /** Floats needed for a batch of {@code rows} tokens, {@code targets} scored tokens and the given probability buffer. */
    public static long floatsFor(ModelConfig c, int rows, long probs, int targets, int chunkRows) {
        return floatsFor(c, rows, probs, targets, chunkRows, false);
    }

    /**
     * The same with gradient checkpointing: each layer keeps its narrow tensors (input, q/k/v, attention output,
     * residual after attention: {@code N·(3d + qkvDim)}), while its two wide ones, the attention probabilities and
     * the gate/up output ({@code N·2F}, 2.5× all the others on Qwen2.5), are one set shared by all layers and
     * recomputed in the backward (see {@code Transformer.recompute}).
     */
    public static long floatsFor(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean checkpointing) {
        return floatsFor(c, rows, probs, targets, chunkRows, checkpointing, rows);
    }

    /** The same for a batch of {@code rows} packed rows whose full layout has {@code fullRows} ({@link SharedPrompts}). */
    static long floatsFor(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean checkpointing, int fullRows) {
        return floatsFor(c, rows, probs, targets, chunkRows, checkpointing, fullRows, Transformer.TRAIN_TAIL && targets > 0);
    }

    /** {@code tail}: room for the training tail's attention output and its two gradients ({@link #trainTail}). */
    static long floatsFor(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean checkpointing, int fullRows, boolean tail) {
        long N = rows, d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        long perLayer = N * d * 2 + N * 2 + N * q * (c.qkNorm() ? 2 : 1) + (c.qkNorm() ? N * (c.numHeads() + c.numKvHeads()) : 0)
                + N * a + probs + N * 2 * F;
        long shared = N * d + N * F; // the norm outputs and the SwiGLU output, recomputed in the backward
        // checkpointing keeps one set of the probabilities and gate/up output, shared by all layers
        long wide = probs + N * 2 * F;
        long layers = checkpointing ? (perLayer - wide) * c.numLayers() + wide : perLayer * c.numLayers();
        long backward = N * d * 2 + N * q * (c.qkNorm() ? 2 : 1) + N * a + N * 2 * F + N * F;
        long head = (long) chunkRows * d * 2 + (long) chunkRows * c.vocabSize() + targets * 4L;
        return layers + shared + N * d * 2 + N + backward + head + (fullRows > rows ? (long) fullRows * (2 * q + a) : 0)
                + (tail ? (long) targets * (2 * a + d) : 0);
    }

    /**
     * Floats for the largest micro-batch of a run: {@code sequences} sequences of up to {@code length} tokens of which
     * {@code targetsPerSequence} are scored, each attending to all before it (what {@link MemoryPlan} counts).
     */
    static long floatsForBatch(ModelConfig c, int sequences, int length, int targetsPerSequence, boolean checkpointing) {
        int rows = sequences * length, targets = sequences * targetsPerSequence;
        long probs = (long) sequences * c.numHeads() * length * length;
        int chunk = headChunkRows(c, targets);
        // a batch with shared prompts packs at most rows − rows/8 (TokenBatch.MIN_SAVED_PARTS) beside its full-layout scratch
        return Math.max(floatsFor(c, rows, probs, targets, chunk, checkpointing),
                floatsFor(c, leastSharedRows(rows), probs, targets, chunk, checkpointing, rows));
    }

    /** The most packed rows of a batch of {@code fullRows} whose prompts are shared (it saves at least a {@code 1/MIN_SAVED_PARTS}). */
    private static int leastSharedRows(int fullRows) {
        return fullRows - (fullRows + TokenBatch.MIN_SAVED_PARTS - 1) / TokenBatch.MIN_SAVED_PARTS;
    }

    /**
     * Floats of a scoring pass (a forward no backward follows, {@code Transformer.score}): one layer's tensors, reused
     * by every layer, with the residual updated in place (as {@link KvCache}'s decode workspace), one layer's attention
     * probabilities ({@code probs}: 0 where the backend keeps none), the final norm and the head chunk.
     */
    static long floatsForScoring(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean tail) {
        return floatsForScoring(c, rows, probs, targets, chunkRows, tail, rows);
    }

    static long floatsForScoring(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean tail, int fullRows) {
        long N = rows, d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        long layer = N * d * 2 + N + N * q * (c.qkNorm() ? 2 : 1) + (c.qkNorm() ? N * (c.numHeads() + c.numKvHeads()) : 0)
                + N * a + probs + N * 3 * F;
        long head = (long) chunkRows * d + (long) chunkRows * c.vocabSize() + targets * 3L;
        return layer + N * d + N + head + (tail ? (long) targets * (d + a) : 0) + (fullRows > rows ? (long) fullRows * (q + a) : 0);
    }

    /** {@link #floatsForScoring} for the largest micro-batch of a run (as {@link #floatsForBatch}). */
    static long floatsForScoringBatch(ModelConfig c, int sequences, int length, int targetsPerSequence) {
        int rows = sequences * length, targets = sequences * targetsPerSequence;
        long probs = Transformer.SCORE_KEEPS_PROBS ? (long) sequences * c.numHeads() * length * length : 0;
        int chunk = headChunkRows(c, targets);
        boolean tail = Transformer.SCORE_TAIL && targets > 0;
        return Math.max(floatsForScoring(c, rows, probs, targets, chunk, tail),
                floatsForScoring(c, leastSharedRows(rows), probs, targets, chunk, tail, rows));
    }

    /** Allocates a block of at least {@code floats} now, so that later batches up to that size lay out in it. */
    void reserve(long floats) {
        if (block != null && block.size() >= floats) return;
        block = null;
        block = backend.allocate(floats);
    }

    /** Drops the block and every view of it, so that the memory can be collected. */
    void release() {
        block = null;
        for (int l = 0; l < layers.length; l++) layers[l] = new Layer();
        clear(scoring);
        clear(scoringTail);
        clear(trainTail);
        dResidTail = dAttTail = null;
        qkvFull = attFull = dQkvFull = null;
        residOut = lnf = rstdf = dResid = dLn = dQkv = dQkvRot = dAtt = dGateUp = dAct = headIn = dHeadIn = logits = logp = entropy = lse = dLogp = null;
        rows = targets = chunkRows = 0;
    }

    /** Lays the views out for this batch, growing the block if needed. */
    void prepare(ModelConfig c, int rows, long probs, int targets, int chunkRows) {
        prepare(c, rows, probs, targets, chunkRows, false, rows, 0);
    }

    /**
     * {@code fullRows}: the rows of the batch's full layout, more than {@code rows} where it shares prompts; {@code tailRows}:
     * the last layer runs past attention on these rows only, at most {@code targets} ({@link #trainTail}; 0: on all rows).
     */
    void prepare(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean checkpointing, int fullRows, int tailRows) {
        reserve(floatsFor(c, rows, probs, targets, chunkRows, checkpointing, fullRows, tailRows > 0), rows, targets, chunkRows);
        long[] at = {0};
        long N = rows, d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        // the norm outputs and the SwiGLU output are cheap to recompute from what is saved, and large (F ≈ 5d): one
        // scratch each, rewritten by every layer's forward and recomputed by its backward
        Tensor ln = take(at, N * d), act = take(at, N * F);
        Layer first = null;
        for (Layer L : layers) {
            L.resid = take(at, N * d);
            L.ln1 = ln;
            L.rstd1 = take(at, N);
            L.qkv = take(at, N * q);
            L.qkvRot = c.qkNorm() ? take(at, N * q) : L.qkv;
            L.rstdQk = c.qkNorm() ? take(at, N * (c.numHeads() + c.numKvHeads())) : null;
            L.att = take(at, N * a);
            L.resid2 = take(at, N * d);
            L.ln2 = ln;
            L.rstd2 = take(at, N);
            L.act = act;
            boolean shared = checkpointing && first != null;
            L.probs = shared ? first.probs : take(at, probs);
            L.gateUp = shared ? first.gateUp : take(at, N * 2 * F);
            if (first == null) first = L;
        }
        residOut = take(at, N * d);
        lnf = take(at, N * d);
        rstdf = take(at, N);
        dResid = take(at, N * d);
        dLn = take(at, N * d);
        dQkv = take(at, N * q);
        dQkvRot = c.qkNorm() ? take(at, N * q) : dQkv;
        dAtt = take(at, N * a);
        dGateUp = take(at, N * 2 * F);
        dAct = take(at, N * F);
        headIn = take(at, (long) chunkRows * d);
        dHeadIn = take(at, (long) chunkRows * d);
        logits = take(at, (long) chunkRows * c.vocabSize());
        logp = take(at, targets);
        entropy = take(at, targets);
        lse = take(at, targets);
        dLogp = take(at, targets);
        boolean full = fullRows > rows;
        qkvFull = full ? take(at, (long) fullRows * q) : null;
        attFull = full ? take(at, (long) fullRows * a) : null;
        dQkvFull = full ? take(at, (long) fullRows * q) : null;
        clear(trainTail);
        dResidTail = dAttTail = null;
        if (tailRows > 0) prepareTrainTail(c, tailRows, at);
    }

    /** Lays out {@link #trainTail} over the first {@code T} rows of the last layer's views past attention. */
    private void prepareTrainTail(ModelConfig c, int T, long[] at) {
        long d = c.hiddenSize(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        Layer last = layers[layers.length - 1], K = trainTail;
        // the residual is gathered into resid2's rows and the output projection adds onto it there (as a scoring tail)
        K.resid = K.resid2 = last.resid2.slice(0, T * d);
        K.att = take(at, T * a);
        K.ln2 = last.ln2.slice(0, T * d);
        K.rstd2 = last.rstd2.slice(0, T);
        K.gateUp = last.gateUp.slice(0, T * 2 * F);
        K.act = last.act.slice(0, T * F);
        dResidTail = take(at, T * d);
        dAttTail = take(at, T * a);
    }

    /** Grows the block to {@code need} floats if it is smaller and records the batch shape the views are laid out for. */
    private void reserve(long need, int rows, int targets, int chunkRows) {
        if (block == null || block.size() < need) {
            block = null; // let the old block go before allocating the new one
            block = backend.allocate(need);
        }
        this.rows = rows;
        this.targets = targets;
        this.chunkRows = chunkRows;
    }

    /**
     * Lays out a scoring pass ({@link #floatsForScoring}) in the block, growing it if needed; the training views are
     * left stale (the next {@link #prepare} lays them out again), and a training block already allocated is reused.
     */
    void prepareScoring(ModelConfig c, int rows, long probs, int targets, int chunkRows, boolean tail, int fullRows) {
        reserve(floatsForScoring(c, rows, probs, targets, chunkRows, tail, fullRows), rows, targets, chunkRows);
        long[] at = {0};
        long N = rows, d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        Layer L = scoring;
        L.resid = L.resid2 = take(at, N * d);
        L.ln1 = L.ln2 = take(at, N * d);
        L.rstd1 = L.rstd2 = take(at, N);
        L.qkv = take(at, N * q);
        L.qkvRot = c.qkNorm() ? take(at, N * q) : L.qkv;
        L.rstdQk = c.qkNorm() ? take(at, N * (c.numHeads() + c.numKvHeads())) : null;
        L.att = take(at, N * a);
        L.probs = probs == 0 ? null : take(at, probs);
        L.gateUp = take(at, N * 2 * F);
        L.act = take(at, N * F);
        residOut = L.resid;
        lnf = take(at, N * d);
        rstdf = take(at, N);
        headIn = take(at, (long) chunkRows * d);
        logits = take(at, (long) chunkRows * c.vocabSize());
        logp = take(at, targets);
        entropy = take(at, targets);
        lse = take(at, targets);
        dResid = dLn = dQkv = dQkvRot = dAtt = dGateUp = dAct = dHeadIn = dLogp = null;
        boolean full = fullRows > rows;
        qkvFull = full ? take(at, (long) fullRows * q) : null;
        attFull = full ? take(at, (long) fullRows * a) : null;
        dQkvFull = null;
        clear(scoringTail);
        if (!tail) return;
        Layer K = scoringTail; // the target rows' residual and attention output; the wide scratch is the layer's
        K.resid = K.resid2 = take(at, (long) targets * d);
        K.att = take(at, (long) targets * a);
        K.ln1 = K.ln2 = L.ln1;
        K.rstd1 = K.rstd2 = L.rstd1;
        K.gateUp = L.gateUp;
        K.act = L.act;
    }

    private static void clear(Layer L) {
        L.resid = L.resid2 = L.ln1 = L.ln2 = L.rstd1 = L.rstd2 = L.qkv = L.qkvRot = L.rstdQk = L.att = L.probs = L.gateUp = L.act = null;
    }

    private Tensor take(long[] at, long n) {
        Tensor t = block.slice(at[0], n);
        at[0] += n;
        return t;
    }

    long allocatedFloats() {
        return block == null ? 0 : block.size();
    }
}
