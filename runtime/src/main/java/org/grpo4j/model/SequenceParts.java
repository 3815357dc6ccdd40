package org.grpo4j.model;

import java.util.Arrays;
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
        if (!qualifies(model.config(), threads) || batch.batch() < 2 || !targetsInOwnSequence(batch)) return 1;
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
        TokenBatch[] split = split(batch, count);
        Transformer.Scores[] s = new Transformer.Scores[count];
        run(count, p -> s[p] = part(p).forwardWhole(split[p], temperature));
        keep(split, false);
        return concat(s);
    }

    /** {@link Transformer#forwardHidden} in {@code count} parts: the final norm's rows in the batch's order. */
    float[] forwardHidden(TokenBatch batch, int count) {
        parts = null;
        TokenBatch[] split = split(batch, count);
        float[][] h = new float[count][];
        run(count, p -> h[p] = part(p).forwardHiddenWhole(split[p]));
        keep(split, true);
        return concatEach(p -> h[p], count);
    }

    private void keep(TokenBatch[] split, boolean hidden) {
        parts = split;
        this.hidden = hidden;
        targetStart = new int[split.length + 1];
        rowStart = new int[split.length + 1];
        for (int p = 0; p < split.length; p++) {
            targetStart[p + 1] = targetStart[p] + split[p].targets();
            rowStart[p + 1] = rowStart[p] + split[p].rows();
        }
    }

    private boolean hidden;
    private int[] rowStart;

    /** {@link Transformer#score} in {@code count} parts. */
    Transformer.Scores score(TokenBatch batch, float temperature, int count) {
        parts = null;
        TokenBatch[] split = split(batch, count);
        Transformer.Scores[] s = new Transformer.Scores[count];
        run(count, p -> s[p] = part(p).scoreWhole(split[p], temperature));
        return concat(s);
    }

    /** The last forward ran in parts (its backward must too). */
    boolean split() {
        return parts != null;
    }

    /** The last pass ran whole: nothing of an earlier split is kept. */
    void forget() {
        parts = null;
        lastCount = 1;
    }

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
        run(parts.length, p -> part(p).backwardWhole(Arrays.copyOfRange(dLogp, targetStart[p], targetStart[p + 1])));
        sumGradients();
    }

    /** {@link Transformer#backwardHidden} of a forward run in parts: each part takes its rows of {@code dHidden}. */
    void backwardHidden(float[] dHidden) {
        int d = model.config().hiddenSize(), n = rowStart[parts.length] * d;
        if (dHidden.length != n) throw new IllegalArgumentException("dHidden has " + dHidden.length + " entries, the batch has " + n + " (rows × hidden)");
        run(parts.length, p -> part(p).backwardHiddenWhole(Arrays.copyOfRange(dHidden, rowStart[p] * d, rowStart[p + 1] * d)));
        sumGradients();
    }

    /** Every replica's gradients added into the model's, in part order, and cleared for the next backward. */
    private void sumGradients() {
        for (int p = 1; p < parts.length; p++) {
            model.backend().add(model.grads(), replicas[p - 1].grads());
            model.backend().fill(replicas[p - 1].grads(), 0f);
        }
    }

    /** Each part's rows of a per-row readout (hidden states, final norm output), in the batch's order; null when the last pass ran whole. */
    float[] concatRows(java.util.function.Function<Transformer, float[]> read, int count) {
        return concatEach(p -> read.apply(part(p)), count);
    }

    private static float[] concatEach(java.util.function.IntFunction<float[]> read, int count) {
        float[][] each = new float[count][];
        int n = 0;
        for (int p = 0; p < count; p++) n += (each[p] = read.apply(p)).length;
        float[] all = new float[n];
        for (int p = 0, at = 0; p < count; at += each[p].length, p++) System.arraycopy(each[p], 0, all, at, each[p].length);
        return all;
    }

    /** Parts of the last pass (for {@link #concatRows}); 1 when it ran whole. */
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
        int T = 0;
        for (Transformer.Scores x : s) T += x.logp().length;
        float[] logp = new float[T], entropy = new float[T];
        for (int p = 0, at = 0; p < s.length; at += s[p].logp().length, p++) {
            System.arraycopy(s[p].logp(), 0, logp, at, s[p].logp().length);
            System.arraycopy(s[p].entropy(), 0, entropy, at, s[p].entropy().length);
        }
        return new Transformer.Scores(logp, entropy);
    }

    /** Every target row lies in its own sequence's rows ({@link TokenBatch#of} makes them so; only then can the batch be cut). */
    private static boolean targetsInOwnSequence(TokenBatch b) {
        int r0 = 0;
        for (int s = 0; s < b.batch(); s++) {
            int r1 = r0 + b.lengths()[s];
            for (int t = b.targetStart()[s]; t < b.targetStart()[s + 1]; t++)
                if (b.targetRows()[t] < r0 || b.targetRows()[t] >= r1) return false;
            r0 = r1;
        }
        return b.targetStart()[b.batch()] == b.targets();
    }

    // ======================================================================== where to cut

    /** The batch cut into {@code count} parts of whole sequences ({@link #cuts}). */
    TokenBatch[] split(TokenBatch b, int count) {
        int[] cut = cuts(b, count, model.config());
        TokenBatch[] out = new TokenBatch[count];
        int[] rowStart = rowStarts(b);
        for (int p = 0; p < count; p++) out[p] = slice(b, cut[p], cut[p + 1], rowStart);
        return out;
    }

    /**
     * Sequence indices {@code 0 = c[0] < c[1] < … < c[count] = batch} that balance the parts' work: rows (every
     * projection), attention (~ length²) and the head (targets × vocabulary). A cut where the prompt changes (the
     * tokens before the first target differ from the previous sequence's) is preferred when its parts are within 5 %
     * of the best balance, so that a GRPO group stays in one part.
     */
    static int[] cuts(TokenBatch b, int count, ModelConfig c) {
        int B = b.batch();
        double[] prefix = new double[B + 1];
        long rowCost = 2L * c.numLayers() * ((long) c.hiddenSize() * c.qkvDim() + (long) c.numHeads() * c.headDim() * c.hiddenSize()
                + 3L * c.hiddenSize() * c.intermediateSize());
        double attCost = 2.0 * c.numLayers() * c.numHeads() * c.headDim(), headCost = 2.0 * c.hiddenSize() * c.vocabSize();
        for (int s = 0; s < B; s++) {
            long len = b.lengths()[s];
            prefix[s + 1] = prefix[s] + len * rowCost + len * len * attCost + (b.targetStart()[s + 1] - b.targetStart()[s]) * headCost;
        }
        int[] rowStart = rowStarts(b);
        int[] cut = new int[count + 1];
        cut[count] = B;
        for (int k = 1; k < count; k++) {
            double goal = prefix[B] * k / count, slack = 0.05 * prefix[B] / count;
            int lo = cut[k - 1] + 1, hi = B - (count - k); // every part keeps at least one sequence
            int best = lo;
            for (int s = lo; s <= hi; s++) if (Math.abs(prefix[s] - goal) < Math.abs(prefix[best] - goal)) best = s;
            int chosen = best;
            for (int s = lo; s <= hi; s++)
                if (Math.abs(prefix[s] - goal) <= Math.abs(prefix[best] - goal) + slack && promptChanges(b, s, rowStart)
                        && (!promptChanges(b, chosen, rowStart) || Math.abs(prefix[s] - goal) < Math.abs(prefix[chosen] - goal))) chosen = s;
            cut[k] = chosen;
        }
        return cut;
    }

    /** Sequence {@code s}'s tokens before its first target differ from sequence {@code s - 1}'s. */
    private static boolean promptChanges(TokenBatch b, int s, int[] rowStart) {
        int a = prompt(b, s - 1), n = prompt(b, s);
        return a != n || !Arrays.equals(b.tokens(), rowStart[s - 1], rowStart[s - 1] + a, b.tokens(), rowStart[s], rowStart[s] + n);
    }

    private static int prompt(TokenBatch b, int s) {
        return b.lengths()[s] - (b.targetStart()[s + 1] - b.targetStart()[s]);
    }

    private static int[] rowStarts(TokenBatch b) {
        int[] r = new int[b.batch() + 1];
        for (int s = 0; s < b.batch(); s++) r[s + 1] = r[s] + b.lengths()[s];
        return r;
    }

    /** Sequences {@code [s0, s1)} of {@code b} as a batch of their own (rows and targets renumbered from 0). */
    private static TokenBatch slice(TokenBatch b, int s0, int s1, int[] rowStart) {
        int r0 = rowStart[s0], r1 = rowStart[s1], t0 = b.targetStart()[s0], t1 = b.targetStart()[s1];
        int[] targetRows = Arrays.copyOfRange(b.targetRows(), t0, t1), targetStart = Arrays.copyOfRange(b.targetStart(), s0, s1 + 1);
        for (int i = 0; i < targetRows.length; i++) targetRows[i] -= r0;
        for (int i = 0; i < targetStart.length; i++) targetStart[i] -= t0;
        return new TokenBatch(Arrays.copyOfRange(b.tokens(), r0, r1), Arrays.copyOfRange(b.positions(), r0, r1),
                Arrays.copyOfRange(b.lengths(), s0, s1), targetRows, Arrays.copyOfRange(b.targetTokens(), t0, t1), targetStart);
    }
}
