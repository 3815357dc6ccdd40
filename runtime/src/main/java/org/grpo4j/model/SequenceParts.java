package org.grpo4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.grpo4j.backend.OpProfile;
import org.grpo4j.backend.cpu.Parallel;

/**
 * Whole sequences per core: a training forward, its backward and a scoring pass of a small model cut the micro-batch
 * at sequence boundaries into one part per pool thread, and each thread runs the whole layer stack over its part
 * alone (nested ops stay on it, {@link Parallel}), with activations of its own. Splitting every op over the threads
 * instead costs a hand-off per op and leaves one core idle at each op's uneven tail: on bench-s two cores gave only
 * 1.67–1.82× one. Part 0 runs on the model itself; part {@code p > 0} on a replica ({@link Transformer#replica}) over
 * the same parameters with activations and a gradient set of its own, which its backward writes and which is then
 * added into the model's gradients and cleared, so gradients accumulate across micro-batches as before.
 *
 * <p>Which models: the fp32 weights without adapters (LoRA adapters and packed bases keep state per pass that is not
 * per part), on a backend whose ops may be issued from several threads at once ({@code Backend#decodeLanes}: the CPU
 * with two threads or more), not under an {@link OpProfile} (its per-op times would overlap), and only where the extra
 * gradient set is small ({@link #qualifies}): qwen05b's would be 2 GB, bench-m's is 110 MB.
 * {@code -Dgrpo4j.sequenceParts=false} runs every pass whole (benchmarks compare).
 *
 * <p>What the parts share and why that is safe: the parameters and RoPE tables (read only during a pass); the
 * kernels' scratch, which is per thread (backend/cpu {@code Scratch}, the GEMM's packing buffers and depth-part sums,
 * the attention tiles); the pool, whose nested loops run on the calling thread ({@code Parallel.width()} is then 1, so
 * the GEMM does not cut a product it runs whole into slabs that each repack). Everything a pass writes (the batch's
 * layout and index tensors, activations, head chunks, gradient views) belongs to the part's {@link Transformer}.
 * The scores equal the whole pass's to an ulp or two (products over fewer rows may block differently); the gradients
 * are summed in another order (each part's, then the parts'), so they agree to rounding, not bit for bit.
 */
final class SequenceParts {

    /** {@code -Dgrpo4j.sequenceParts=false}: every pass runs whole, each op split over the threads. */
    static final boolean ENABLED = !"false".equals(System.getProperty("grpo4j.sequenceParts"));

    /** Largest gradient set (fp32 parameters × 4 bytes) a model copies per extra part: bench-m's 110 MB, not qwen05b's 2 GB. */
    static final long MAX_GRADIENT_BYTES = 256L << 20;

    private final Transformer model;
    private Transformer[] replicas = new Transformer[0];
    /** The parts of the last forward that was split, for its backward; null when it ran whole. */
    private TokenBatch[] parts;
    private int[] targetStart;

    SequenceParts(Transformer model) {
        this.model = model;
    }

    /** The rule, once: a model of this config runs in parts on {@code threads} threads (before the backend is known: the memory plan). */
    static boolean qualifies(ModelConfig c, int threads) {
        return ENABLED && threads >= 2 && 4 * new ParameterLayout(c).size() <= MAX_GRADIENT_BYTES;
    }

    /** Parts {@code model} would run {@code batch} in; 1: whole. */
    int count(TokenBatch batch) {
        if (off || model.lora() != null || model.frozenBase() != null || OpProfile.of(model.backend()) != null) return 1;
        int threads = model.backend().decodeLanes();
        if (!qualifies(model.config(), threads) || batch.batch() < 2 || Sequences.of(batch) == null) return 1;
        return Math.min(threads, batch.batch());
    }

    /** Parts a micro-batch of {@code sequences} of a model of config {@code c} runs in on this pool (1: whole; the memory plan's count). */
    static int plannedParts(ModelConfig c, int sequences) {
        int threads = Parallel.threads();
        return qualifies(c, threads) && sequences >= 2 ? Math.min(threads, sequences) : 1;
    }

    /** The gradient sets of the parts but the first, for a micro-batch of {@code sequences}. */
    static long extraGradientBytes(ModelConfig c, int sequences) {
        return (plannedParts(c, sequences) - 1) * 4 * new ParameterLayout(c).size();
    }

    /**
     * The training activations of a micro-batch, all parts together: each part holds its share of the sequences, so
     * the sum is the whole batch's but for the rounding up of a share (and the head chunk each part has).
     */
    static long trainingActivationBytes(ModelConfig c, int sequences, int length, int targetsPerSequence, boolean checkpointing) {
        int p = plannedParts(c, sequences);
        return p * 4 * Activations.floatsForBatch(c, share(sequences, p), length, targetsPerSequence, checkpointing);
    }

    /** A scoring pass's activations, all parts together. */
    static long scoringActivationBytes(ModelConfig c, int sequences, int length, int targetsPerSequence) {
        int p = plannedParts(c, sequences);
        return p * Transformer.scoreActivationBytes(c, share(sequences, p), length, targetsPerSequence);
    }

    /** Sequences of the largest part of {@code sequences} in {@code parts}, as memory is reserved for it. */
    static int share(int sequences, int parts) {
        return (sequences + parts - 1) / parts;
    }

    /** Sequences each part of this model (the model itself for part 0) reserves activations for. */
    int reserveShare(int sequences) {
        if (off || model.lora() != null || model.frozenBase() != null || OpProfile.of(model.backend()) != null) return sequences;
        int threads = model.backend().decodeLanes();
        return qualifies(model.config(), threads) && sequences >= 2 ? share(sequences, Math.min(threads, sequences)) : sequences;
    }

    /** The forward of {@code batch} in {@code count} parts, their scores in the batch's order; the parts are kept for {@link #backward}. */
    Transformer.Scores forward(TokenBatch batch, float temperature, int count) {
        parts = null;
        scored = null;
        TokenBatch[] split = split(batch, count);
        Transformer.Scores[] s = new Transformer.Scores[count];
        run(count, p -> s[p] = part(p).forwardWhole(split[p], temperature));
        keep(batch, split, false);
        return concat(s);
    }

    /** {@link Transformer#forwardHidden} in {@code count} parts: the final norm's rows in the batch's order. */
    float[] forwardHidden(TokenBatch batch, int count) {
        parts = null;
        scored = null;
        TokenBatch[] split = split(batch, count);
        float[][] h = new float[count][];
        run(count, p -> h[p] = part(p).forwardHiddenWhole(split[p]));
        keep(batch, split, true);
        return gatherRows(h, model.config().hiddenSize());
    }

    private void keep(TokenBatch batch, TokenBatch[] split, boolean hidden) {
        parts = split;
        this.hidden = hidden;
        targetStart = new int[split.length + 1];
        for (int p = 0; p < split.length; p++) targetStart[p + 1] = targetStart[p] + split[p].targets();
        mapRows(batch, split);
    }

    private boolean hidden;
    /** Per row of the last split pass's batch: the part that computes it and its row there (parts may share prompts differently). */
    private int[] rowPart, rowInPart;
    private int batchRows;

    /**
     * Where each row of {@code batch} is computed: the part holding the sequence that packs the row (its first copy),
     * at that sequence's row for the same position in the part's own packing.
     */
    private void mapRows(TokenBatch batch, TokenBatch[] split) {
        SharedPrompts sh = batch.shared();
        batchRows = batch.rows();
        rowPart = new int[batchRows];
        rowInPart = new int[batchRows];
        int p = 0, s0 = 0, pf0 = 0; // the part, its first sequence, the sequence's start in the part's full layout
        for (int s = 0, f0 = 0; s < batch.batch(); f0 += batch.lengths()[s], pf0 += batch.lengths()[s], s++) {
            if (s - s0 == split[p].batch()) {
                s0 = s;
                pf0 = 0;
                p++;
            }
            SharedPrompts ps = split[p].shared();
            for (int i = 0; i < batch.lengths()[s]; i++) {
                int row = sh == null ? f0 + i : sh.fullRows()[f0 + i];
                if (sh != null && sh.ownerRows()[row] != f0 + i) continue; // another sequence's copy packs this row
                rowPart[row] = p;
                rowInPart[row] = ps == null ? pf0 + i : ps.fullRows()[pf0 + i];
            }
        }
    }

    /** Each part's per-row readout ({@code width} floats a row) in the rows of the last split pass's batch. */
    private float[] gatherRows(float[][] each, int width) {
        float[] all = new float[batchRows * width];
        for (int r = 0; r < batchRows; r++) System.arraycopy(each[rowPart[r]], rowInPart[r] * width, all, r * width, width);
        return all;
    }

    /** {@link Transformer#score} in {@code count} parts. */
    Transformer.Scores score(TokenBatch batch, float temperature, int count) {
        parts = null;
        scored = null;
        TokenBatch[] split = split(batch, count);
        Transformer.Scores[] s = new Transformer.Scores[count];
        run(count, p -> s[p] = part(p).scoreWhole(split[p], temperature));
        mapRows(batch, split);
        scored = split;
        return concat(s);
    }

    /** The last forward ran in parts (its backward must too). */
    boolean split() {
        return parts != null;
    }

    /** The last pass ran whole: nothing of an earlier split is kept. */
    void forget() {
        parts = null;
        scored = null;
        lastCount = 1;
    }

    /** The parts of the last split scoring pass (for its readouts), or null. */
    private TokenBatch[] scored;

    /** A replica runs its part whole and never splits again; tests run a model whole to compare. */
    void disable(boolean off) {
        this.off = off;
    }

    private boolean off;

    /** Each part's backward into its own gradients, then every replica's gradients added into the model's and cleared. */
    void backward(float[] dLogp) {
        if (hidden) throw new IllegalStateException("the last forward was forwardHidden: its backward is backwardHidden");
        int T = targetStart[parts.length];
        if (dLogp.length != T) throw new IllegalArgumentException("dLogp has " + dLogp.length + " entries, the batch has " + T + " targets");
        runBackward(p -> part(p).backwardWhole(Arrays.copyOfRange(dLogp, targetStart[p], targetStart[p + 1])));
    }

    /** {@link Transformer#backwardHidden} of a forward run in parts: each part takes its rows of {@code dHidden}. */
    void backwardHidden(float[] dHidden) {
        int d = model.config().hiddenSize(), n = batchRows * d;
        if (dHidden.length != n) throw new IllegalArgumentException("dHidden has " + dHidden.length + " entries, the batch has " + n + " (rows × hidden)");
        // a part's row no batch row maps to (a prompt the part packs again) gets no gradient of its own: its copy in the
        // batch's packing takes it, and the same numbers feed its sequence's later rows either way
        float[][] dPart = new float[parts.length][];
        for (int p = 0; p < parts.length; p++) dPart[p] = new float[parts[p].rows() * d];
        for (int r = 0; r < batchRows; r++) {
            float[] dst = dPart[rowPart[r]];
            for (int j = 0, at = rowInPart[r] * d; j < d; j++) dst[at + j] += dHidden[r * d + j];
        }
        runBackward(p -> part(p).backwardHiddenWhole(dPart[p]));
    }

    /** Each part's backward; a failed one leaves no half-written gradients in a replica for the next backward to add. */
    private void runBackward(Part body) {
        try {
            run(parts.length, body);
        } catch (RuntimeException | Error e) {
            for (int p = 1; p < parts.length; p++) model.backend().fill(replicas[p - 1].grads(), 0f);
            throw e;
        }
        sumGradients();
    }

    /** Every replica's gradients added into the model's, in part order, and cleared for the next backward. */
    private void sumGradients() {
        for (int p = 1; p < parts.length; p++) {
            model.backend().add(model.grads(), replicas[p - 1].grads());
            model.backend().fill(replicas[p - 1].grads(), 0f);
        }
    }

    /**
     * A per-row readout of the last pass run in parts (hidden states, the final norm's output), {@code width} floats a
     * row, in the rows of its batch; a scoring pass's final norm output past its last layer holds the targets' rows
     * only, which are in the batch's order part after part.
     */
    float[] readRows(java.util.function.Function<Transformer, float[]> read, int width) {
        TokenBatch[] ps = parts != null ? parts : scored;
        boolean rows = true;
        float[][] each = new float[ps.length][];
        for (int p = 0; p < ps.length; p++) rows &= (each[p] = read.apply(part(p))).length == ps[p].rows() * width;
        return rows ? gatherRows(each, width) : concat(each);
    }

    private static float[] concat(float[][] each) {
        int n = 0;
        for (float[] e : each) n += e.length;
        float[] all = new float[n];
        for (int p = 0, at = 0; p < each.length; at += each[p].length, p++) System.arraycopy(each[p], 0, all, at, each[p].length);
        return all;
    }

    /** Parts of the last pass (for {@link #readRows}); 1 when it ran whole. */
    int lastCount() {
        return lastCount;
    }

    private int lastCount = 1;

    /** Reserves each replica's activations for its share of a micro-batch of {@code sequences} (the model reserves its own). */
    void reserve(int sequences, int length, int targetsPerSequence) {
        int per = reserveShare(sequences);
        if (per == sequences) return;
        for (int k = 1; k < Math.min(model.backend().decodeLanes(), sequences); k++) part(k).reserveActivations(per, length, targetsPerSequence);
    }

    void release() {
        for (Transformer r : replicas) r.releaseActivations();
    }

    long activationBytes() {
        long sum = 0;
        for (Transformer r : replicas) sum += r.activationBytes();
        return sum;
    }

    private interface Part {
        void run(int p);
    }

    /** Part {@code p} of {@code count} on its own pool thread; a failure in any part is thrown here once all have ended. */
    private void run(int count, Part body) {
        for (int p = 1; p < count; p++) part(p); // replicas made here, not on a worker
        lastCount = 1;
        try {
            Parallel.forRange(count, 1, (from, to) -> {
                for (int p = from; p < to; p++) body.run(p);
            });
        } catch (RuntimeException | Error e) {
            model.dropPass(); // part 0 may have finished: its half of a pass must not meet a backward
            throw e;
        }
        lastCount = count;
    }

    /** The model for part 0, else the replica of part {@code p} (made on first use), with the model's current settings. */
    private Transformer part(int p) {
        if (p == 0) return model;
        if (replicas.length < p) replicas = Arrays.copyOf(replicas, p);
        if (replicas[p - 1] == null) replicas[p - 1] = model.replica();
        model.copySettingsTo(replicas[p - 1]);
        return replicas[p - 1];
    }

    private static Transformer.Scores concat(Transformer.Scores[] s) {
        float[][] logp = new float[s.length][], entropy = new float[s.length][];
        for (int p = 0; p < s.length; p++) {
            logp[p] = s[p].logp();
            entropy[p] = s[p].entropy();
        }
        return new Transformer.Scores(concat(logp), concat(entropy));
    }

    // ======================================================================== where to cut

    /**
     * The batch's sequences as {@link TokenBatch#of} took them (read back through the full layout, shared prompts
     * included), or null where the batch is not of that form (a target that is not its sequence's next token from its
     * first target on): such a batch runs whole.
     */
    private record Sequences(List<int[]> tokens, int[] firstTarget, int[] packedRows) {
        static Sequences of(TokenBatch b) {
            SharedPrompts sh = b.shared();
            int B = b.batch();
            List<int[]> seqs = new ArrayList<>(B);
            int[] first = new int[B], packed = new int[B];
            for (int s = 0, f0 = 0; s < B; f0 += b.lengths()[s], s++) {
                int len = b.lengths()[s], t0 = b.targetStart()[s], t1 = b.targetStart()[s + 1];
                int[] t = new int[len];
                for (int i = 0; i < len; i++) {
                    int row = sh == null ? f0 + i : sh.fullRows()[f0 + i];
                    if (row < 0 || row >= b.rows() || b.positions()[row] != i) return null;
                    t[i] = b.tokens()[row];
                    if (sh == null || sh.ownerRows()[row] == f0 + i) packed[s]++;
                }
                first[s] = len - (t1 - t0);
                if (first[s] < 1) return null;
                for (int k = t0; k < t1; k++) {
                    int i = first[s] + k - t0, prev = sh == null ? f0 + i - 1 : sh.fullRows()[f0 + i - 1];
                    if (b.targetTokens()[k] != t[i] || b.targetRows()[k] != prev) return null;
                }
                seqs.add(t);
            }
            return b.targetStart()[B] == b.targets() ? new Sequences(seqs, first, packed) : null;
        }

        /** Sequence {@code s}'s tokens before its first target differ from sequence {@code s - 1}'s. */
        boolean promptChanges(int s) {
            return firstTarget[s] != firstTarget[s - 1]
                    || !Arrays.equals(tokens.get(s), 0, firstTarget[s], tokens.get(s - 1), 0, firstTarget[s - 1]);
        }
    }

    /** The batch cut into {@code count} parts of whole sequences ({@link #cuts}), each packed by {@link TokenBatch#of} (its groups' prompts shared). */
    TokenBatch[] split(TokenBatch b, int count) {
        Sequences seqs = Sequences.of(b);
        int[] cut = cuts(b, seqs, count, model.config());
        TokenBatch[] out = new TokenBatch[count];
        for (int p = 0; p < count; p++)
            out[p] = TokenBatch.of(seqs.tokens().subList(cut[p], cut[p + 1]), Arrays.copyOfRange(seqs.firstTarget(), cut[p], cut[p + 1]));
        return out;
    }

    /** {@link #cuts(TokenBatch, Sequences, int, ModelConfig)} of a batch of {@link TokenBatch#of}'s form. */
    static int[] cuts(TokenBatch b, int count, ModelConfig c) {
        return cuts(b, Sequences.of(b), count, c);
    }

    /**
     * Sequence indices {@code 0 = c[0] < c[1] < … < c[count] = batch} that balance the parts' work: rows packed
     * (every projection), attention (~ length²) and the head (targets × vocabulary). A cut where the prompt changes is
     * preferred when its parts are within 5 % of the best balance, so that a GRPO group stays in one part and shares
     * its prompt's rows there.
     */
    private static int[] cuts(TokenBatch b, Sequences seqs, int count, ModelConfig c) {
        int B = b.batch();
        double[] prefix = new double[B + 1];
        long rowCost = 2L * c.numLayers() * ((long) c.hiddenSize() * c.qkvDim() + (long) c.numHeads() * c.headDim() * c.hiddenSize()
                + 3L * c.hiddenSize() * c.intermediateSize());
        double attCost = 2.0 * c.numLayers() * c.numHeads() * c.headDim(), headCost = 2.0 * c.hiddenSize() * c.vocabSize();
        for (int s = 0; s < B; s++) {
            long len = b.lengths()[s];
            prefix[s + 1] = prefix[s] + (double) seqs.packedRows()[s] * rowCost + len * len * attCost + (b.targetStart()[s + 1] - b.targetStart()[s]) * headCost;
        }
        int[] cut = new int[count + 1];
        cut[count] = B;
        for (int k = 1; k < count; k++) {
            double goal = prefix[B] * k / count, slack = 0.05 * prefix[B] / count;
            int lo = cut[k - 1] + 1, hi = B - (count - k); // every part keeps at least one sequence
            int best = lo;
            for (int s = lo; s <= hi; s++) if (Math.abs(prefix[s] - goal) < Math.abs(prefix[best] - goal)) best = s;
            int chosen = best;
            for (int s = lo; s <= hi; s++)
                if (Math.abs(prefix[s] - goal) <= Math.abs(prefix[best] - goal) + slack && seqs.promptChanges(s)
                        && (!seqs.promptChanges(chosen) || Math.abs(prefix[s] - goal) < Math.abs(prefix[chosen] - goal))) chosen = s;
            cut[k] = chosen;
        }
        return cut;
    }
}
