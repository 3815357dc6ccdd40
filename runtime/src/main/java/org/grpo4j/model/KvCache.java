package org.grpo4j.model;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.IntTensor;
import org.grpo4j.backend.Tensor;

/**
 * What {@link Transformer#decode} needs besides the weights: each layer's cached keys and values (a number of token
 * slots, whose layout belongs to the backend — see {@link Backend#kvStore}), the workspace of one decode call (the
 * same per-layer tensors as a training forward, but one set reused by every layer and nothing saved), and the step
 * inputs a scheduler fills before each call (token ids, positions, cache slots, attention segments, the rows whose
 * logits are wanted). Which slot belongs to which sequence is the scheduler's business
 * ({@link org.grpo4j.generate.Generator}); the cache only holds them.
 *
 * <p>Both blocks grow on demand ({@link #reserve}) and are reused otherwise, so steady-state generation allocates
 * nothing.
 */
public final class KvCache {
    private final ModelConfig c;
    private final Backend backend;
    /** The cache whose keys, values and host logits a lane shares (null: this one owns them). */
    private final KvCache owner;

    private Tensor[] k, v;
    private long slotCapacity;

    private int rowCapacity, outRowCapacity;
    /** The layer workspace: the residual stream updated in place, so resid, resid2 and the next layer's input are one view. */
    final Activations.Layer work = new Activations.Layer();
    Tensor last, lastNorm, lastRstd, logits;
    IntTensor tokensT, positionsT, slotsT, segmentsT, lastRowsT;
    private int[] tokens, positions, slots, segments, lastRows;
    private float[] hostLogits;
    /** The first row of the host logits this cache's {@link Transformer#decode} writes (a lane's rows sit after the others'). */
    private int logitsRow;

    public KvCache(ModelConfig config, Backend backend) {
        this(config, backend, null);
    }

    private KvCache(ModelConfig config, Backend backend, KvCache owner) {
        this.c = config;
        this.backend = backend;
        this.owner = owner;
    }

    /**
     * A lane of this cache: the same keys, values and host logits, its own workspace and step inputs, so a decode step
     * over some rows can run on it while another runs on this cache ({@link Backend#decodeLanes}). Its workspace is
     * reserved with {@link #reserve}{@code (0, rows, outRows)}; its logits land at rows {@link #logitsRow(int)} on of
     * this cache's {@link #logits()}.
     */
    public KvCache lane() {
        if (owner != null) throw new IllegalStateException("a lane of a lane");
        return new KvCache(c, backend, this);
    }

    /** Bytes of keys and values for {@code slots} token slots: layers × (k + v) × kvHeads × hd floats. */
    public static long cacheBytes(ModelConfig c, long slots) {
        return 4L * c.numLayers() * 2 * c.numKvHeads() * c.headDim() * slots;
    }

    /** Bytes of the workspace for {@code rows} model rows of which {@code outRows} produce logits (device and host copies). */
    public static long workspaceBytes(ModelConfig c, long rows, long outRows) {
        return 4 * workspaceFloats(c, rows, outRows) + 4 * outRows * c.vocabSize();
    }

    private static long workspaceFloats(ModelConfig c, long R, long O) {
        long d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        long perRow = 2 * d + 1 + q * (c.qkNorm() ? 2 : 1) + (c.qkNorm() ? c.numHeads() + c.numKvHeads() : 0) + a + 3 * F;
        return R * perRow + O * (2 * d + 1 + c.vocabSize());
    }

    public long slotCapacity() {
        return owner != null ? owner.slotCapacity : slotCapacity;
    }

    public int rowCapacity() {
        return rowCapacity;
    }

    public int outRowCapacity() {
        return outRowCapacity;
    }

    /** Bytes held now (cache and workspace). */
    public long heldCacheBytes() {
        return k == null ? 0 : cacheBytes(c, slotCapacity);
    }

    public long heldWorkspaceBytes() {
        return rowCapacity == 0 ? 0 : workspaceBytes(c, rowCapacity, outRowCapacity);
    }

    /** Grows the cache to at least {@code slots} slots and the workspace to {@code rows} / {@code outRows} rows; old blocks are dropped first. */
    public void reserve(long slots, int rows, int outRows) {
        if (owner == null && (k == null || slotCapacity < slots)) growCache(slots);
        if (rowCapacity < rows || outRowCapacity < outRows) growWorkspace(Math.max(rows, rowCapacity), Math.max(outRows, outRowCapacity));
    }

    private void growCache(long slots) {
        k = null;
        v = null;
        int n = c.numLayers();
        Tensor[] kk = new Tensor[n], vv = new Tensor[n];
        long per = slots * c.numKvHeads() * c.headDim();
        for (int l = 0; l < n; l++) {
            Tensor block = backend.allocate(2 * per);
            kk[l] = block.slice(0, per);
            vv[l] = block.slice(per, per);
        }
        k = kk;
        v = vv;
        slotCapacity = slots;
    }

    private void growWorkspace(int R, int O) {
        // drop every view of the old block before the new one is allocated, so the two never coexist
        Activations.Layer L = work;
        L.resid = L.resid2 = L.ln1 = L.ln2 = L.rstd1 = L.rstd2 = L.qkv = L.qkvRot = L.rstdQk = L.att = L.gateUp = L.act = null;
        last = lastNorm = lastRstd = logits = null;
        hostLogits = null;
        long d = c.hiddenSize(), q = c.qkvDim(), F = c.intermediateSize(), a = (long) c.numHeads() * c.headDim();
        Tensor w = backend.allocate(workspaceFloats(c, R, O));
        long[] at = {0};
        L.resid = L.resid2 = take(w, at, R * d);
        L.ln1 = L.ln2 = take(w, at, R * d);
        L.rstd1 = L.rstd2 = take(w, at, R);
        L.qkv = take(w, at, R * q);
        L.qkvRot = c.qkNorm() ? take(w, at, R * q) : L.qkv;
        L.rstdQk = c.qkNorm() ? take(w, at, R * (c.numHeads() + c.numKvHeads())) : null;
        L.att = take(w, at, R * a);
        L.gateUp = take(w, at, 2 * R * F);
        L.act = take(w, at, R * F);
        last = take(w, at, O * d);
        lastNorm = take(w, at, O * d);
        lastRstd = take(w, at, O);
        logits = take(w, at, O * c.vocabSize());
        if (owner == null) hostLogits = new float[Math.toIntExact((long) O * c.vocabSize())];
        int ints = Math.max(R, O);
        tokens = new int[ints];
        positions = new int[ints];
        slots = new int[ints];
        segments = new int[4 * ints];
        lastRows = new int[ints];
        tokensT = backend.ints(tokens);
        positionsT = backend.ints(positions);
        slotsT = backend.ints(slots);
        segmentsT = backend.ints(segments);
        lastRowsT = backend.ints(lastRows);
        rowCapacity = R;
        outRowCapacity = O;
    }

    private static Tensor take(Tensor block, long[] at, long n) {
        Tensor t = block.slice(at[0], n);
        at[0] += n;
        return t;
    }

    Tensor keys(int layer) {
        return owner != null ? owner.k[layer] : k[layer];
    }

    Tensor values(int layer) {
        return owner != null ? owner.v[layer] : v[layer];
    }

    // ---------------------------------------------------------------- step inputs, filled by the scheduler

    /** Token id of each row of the next {@link Transformer#decode} call. */
    public int[] tokens() {
        return tokens;
    }

    /** Position of each row (its index in its sequence: the RoPE angle). */
    public int[] positions() {
        return positions;
    }

    /** The cache slot each row's key and value are stored in. */
    public int[] slots() {
        return slots;
    }

    /** Four ints per row: the two runs of slots the row attends to (see {@link Backend#attentionCached}). */
    public int[] segments() {
        return segments;
    }

    /** With {@code gather}: the rows whose logits {@link Transformer#decode} computes. */
    public int[] lastRows() {
        return lastRows;
    }

    /** The logits of the last {@link Transformer#decode}, {@code outRows × vocab}, row-major (a host copy). */
    public float[] logits() {
        return owner != null ? owner.hostLogits : hostLogits;
    }

    /** Sets the row of {@link #logits()} where the next {@link Transformer#decode}'s logits start (0 unless a lane's). */
    public void logitsRow(int row) {
        logitsRow = row;
    }

    int logitsRow() {
        return logitsRow;
    }

    /** Copies the step inputs of {@code rows} rows to the backend. */
    void upload(int rows, int outRows, boolean gather) {
        backend.writeInts(tokensT, tokens, rows);
        backend.writeInts(positionsT, positions, rows);
        backend.writeInts(slotsT, slots, rows);
        backend.writeInts(segmentsT, segments, 4 * rows);
        if (gather) backend.writeInts(lastRowsT, lastRows, outRows);
    }
}
