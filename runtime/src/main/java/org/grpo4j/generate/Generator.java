package org.grpo4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.KvCache;
import org.grpo4j.model.Transformer;

/**
 * Samples {@code num_generations} completions for each of a batch of prompts in one batched loop with a KV cache,
 * the generation phase of GRPO.
 *
 * <p>How the work is shared. Each prompt is run through the model once (the prefill: the prompts packed row after
 * row, no padding); its keys and values are stored once in the cache and every one of its G samples attends to
 * them, followed by its own tokens. Each decode step then runs one row per sequence still going: a sequence that
 * has finished leaves the batch, so the rest run faster. The model work is {@link Transformer#decode} over the
 * generator's {@link KvCache} (the same layer body as {@link Transformer#forward}); the generator only schedules rows
 * and slots and samples ({@link Sampler}) from the logits of the rows that sample.
 *
 * <p>KV cache layout (per layer, {@code [slots, kvHeads·hd]} for k and for v): prompt {@code p} owns slots
 * {@code [promptSlot[p], promptSlot[p] + len_p)}, sequence {@code s} owns {@code max_completion_length − 1} slots after
 * all prompts (its last token is never fed back); every run starts on a multiple of {@value #SLOT_ALIGN} slots. The
 * whole cache is sized up front from the lengths and checked against a memory budget.
 *
 * <p>Reproducibility: sequence {@code (prompt i, sample g)} draws from its own {@code SplittableRandom} seeded from
 * {@code (seed, firstPromptIndex + i, g)}, one draw per token, so a completion does not depend on which other
 * prompts share its batch.
 *
 * <pre>{@code
 * Generator gen = new Generator(model, tokenizer::decode);
 * List<Completion> out = gen.generate(List.of(promptIds), SamplingParams.defaults().withNumGenerations(4));
 * }</pre>
 */
public final class Generator {
    /** Prompt rows run through the model at once; longer prefills go in chunks (the cache makes them exact). */
    private static final int PREFILL_CHUNK = Integer.getInteger("grpo4j.prefillChunk", 512);
    /** Where runs of cache slots start: on whole tiles of a backend that tiles the cache by vectors of slots (the CPU's 16). */
    static final int SLOT_ALIGN = 16;
    /**
     * Most decode lanes ({@code -Dgrpo4j.decode.lanes}; 1: every op of a step splits its own work over the pool). With
     * lanes, a step's rows are split into contiguous runs, each run through the whole model on its own thread: one
     * hand-off per step instead of a few per op, which at small widths cost more than the split gains.
     */
    private static final int MAX_LANES = Integer.getInteger("grpo4j.decode.lanes", 2);
    /** Fewest rows per lane ({@code -Dgrpo4j.decode.laneRows}): fewer rows leave the products' 8-row register blocks half empty. */
    private static final int LANE_ROWS = Integer.getInteger("grpo4j.decode.laneRows", 4);
    /**
     * Largest decode-time weight copies that get lanes ({@code -Dgrpo4j.decode.laneBytes}): each lane reads every weight,
     * where the per-op split gives each thread half of them. bench-s (3 MB): 49 → 44 ms a call with lanes; bench-m
     * (110 MB): 1.7–1.8 → 2.1–2.2 s, the weights streamed twice from L3.
     */
    private static final long LANE_BYTES = Long.getLong("grpo4j.decode.laneBytes", 16L << 20);
    /** A call's decode steps run from inside one pool region ({@link Crew}); {@code -Dgrpo4j.decode.crew=false}: a region per step (tests compare both). */
    static boolean crewSteps = !"false".equals(System.getProperty("grpo4j.decode.crew"));
    /** Lanes run a call's steps on their own where its schedule is fixed ({@link #freeLanes}); {@code -Dgrpo4j.decode.freeLanes=false}: a barrier per step. */
    static boolean freeRun = !"false".equals(System.getProperty("grpo4j.decode.freeLanes"));

    private final Transformer model;
    private final ModelConfig c;
    private final Function<int[], String> decoder;
    private long memoryBudget;

    // the model's KV cache and decode workspace, grown when a call needs more
    private final KvCache cache;
    // lanes[0] is the cache itself, the others its lanes (KvCache.lane), grown when a call uses more
    private KvCache[] lanes;
    private final LaneStep laneStep = new LaneStep();
    private final Crew crew = new Crew();
    // the step inputs of the cache, and its logits (host arrays, replaced when the workspace grows)
    private int[] tokens, positions, slots, segments, lastRows;
    private float[] hostLogits;

    private final ThreadLocal<Sampler> samplers;
    private GenerationStats lastStats;

    /** Sees the raw logits of every sampling step (tests compare them with a full forward). */
    interface LogitsObserver {
        /** Sequence {@code seq[j]} (which has {@code len[seq[j]]} tokens so far) samples from logits row {@code row[j]}. */
        void logits(int[] seq, int[] row, int count, int[] len, float[] logits, int vocab);
    }

    LogitsObserver observer;

    /** A generator without a decoder: completions carry no text and stop strings cannot be used. */
    public Generator(Transformer model) {
        this(model, null);
    }

    /** {@code decoder} turns token ids into text (e.g. {@code tokenizer::decode}); it may be null. */
    public Generator(Transformer model, Function<int[], String> decoder) {
        this.model = model;
        this.c = model.config();
        this.decoder = decoder;
        this.cache = new KvCache(c, model.backend());
        this.lanes = new KvCache[] {cache};
        int vocab = c.vocabSize();
        samplers = ThreadLocal.withInitial(() -> new Sampler(vocab));
    }

    /**
     * Bytes the KV cache and workspace may take; 0 (the default) means the JVM heap still free
     * ({@code Runtime.maxMemory()} minus what is in use, plus what this generator already holds).
     */
    public Generator memoryBudget(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memory budget must be ≥ 0 (0 = the free heap), got " + bytes);
        this.memoryBudget = bytes;
        return this;
    }

    /** What the last {@link #generate} call did (null before the first). */
    public GenerationStats lastStats() {
        return lastStats;
    }

    /** Bytes of KV cache for {@code cacheSlots} token slots: layers × (k + v) × kvHeads × hd floats each. */
    public static long kvCacheBytes(ModelConfig c, long cacheSlots) {
        return KvCache.cacheBytes(c, cacheSlots);
    }

    /** The completions of every prompt, prompt-major (prompt 0's G samples, then prompt 1's, …), as TRL orders them. */
    public List<Completion> generate(List<int[]> prompts, SamplingParams params) {
        return generate(prompts, params, 0);
    }

    /**
     * As {@link #generate(List, SamplingParams)}, with prompt {@code i}'s random streams derived from prompt index
     * {@code firstPromptIndex + i}: a trainer passes the prompt's index in its data set, so a prompt's completions are
     * the same whichever batch it is generated in.
     */
    public List<Completion> generate(List<int[]> prompts, SamplingParams params, int firstPromptIndex) {
        try {
            return run(prompts, params, firstPromptIndex);
        } finally {
            model.endDecode();
        }
    }

    private List<Completion> run(List<int[]> prompts, SamplingParams params, int firstPromptIndex) {
        long t0 = System.nanoTime();
        int B = prompts.size(), G = params.numGenerations(), S = B * G, maxNew = params.maxCompletionLength(), V = c.vocabSize();
        if (B == 0) return List.of();
        if (!params.stopStrings().isEmpty() && decoder == null)
            throw new IllegalArgumentException("stop_strings " + params.stopStrings() + " need a decoder: create the Generator with the tokenizer's decode");
        int[] promptRow = new int[B + 1], promptSlot = new int[B + 1]; // packed prefill rows, cache slots
        int longest = 0;
        for (int b = 0; b < B; b++) {
            int[] pr = prompts.get(b);
            if (pr == null || pr.length == 0) throw new IllegalArgumentException("prompt " + b + " is empty (a prompt needs at least one token, e.g. BOS)");
            for (int i = 0; i < pr.length; i++)
                if (pr[i] < 0 || pr[i] >= V) throw new IllegalArgumentException("prompt " + b + ", token " + i + ": id " + pr[i] + " outside the vocabulary of " + V);
            if ((long) pr.length + maxNew > c.maxPositionEmbeddings())
                throw new IllegalArgumentException("prompt " + b + " has " + pr.length + " tokens; with max_completion_length " + maxNew
                        + " it exceeds max_position_embeddings = " + c.maxPositionEmbeddings() + " of the model");
            promptRow[b + 1] = promptRow[b] + pr.length;
            promptSlot[b + 1] = align(promptSlot[b] + pr.length);
            longest = Math.max(longest, pr.length);
        }
        int promptTokens = promptRow[B], own = maxNew - 1, ownSlots = align(own), seqSlot = promptSlot[B];
        long slotsNeeded = seqSlot + (long) S * ownSlots;
        if (slotsNeeded > Integer.MAX_VALUE) throw new IllegalArgumentException(memoryMessage(B, G, promptTokens, maxNew, Long.MAX_VALUE, 0));
        int chunk = Math.min(promptTokens, Math.max(PREFILL_CHUNK, 1));
        int rows = Math.max(chunk, S), outRows = Math.max(Math.min(B, chunk), S);
        int nLanes = model.decodeCopyBytes() > LANE_BYTES ? 1 : Math.max(1, Math.min(Math.min(MAX_LANES, model.decodeLanes()), S / Math.max(1, LANE_ROWS)));
        prepare(B, G, promptTokens, maxNew, slotsNeeded, rows, outRows, nLanes, (S + 1) / 2);
        cache.logitsRow(0);
        model.beginDecode(); // the weights' decode-time copies, of this call's weights

        int[] stopIds = params.ignoreEos() ? new int[0] : params.stopTokenIds() != null ? params.stopTokenIds() : c.eosTokenIds();
        Call call = new Call(params, prompts, stopIds, promptSlot, seqSlot, ownSlots, firstPromptIndex);

        // prefill, chunk by chunk of packed prompt rows; each prompt's last row gives the first token of its G samples
        for (int r0 = 0; r0 < promptTokens; r0 += chunk) {
            int n = Math.min(chunk, promptTokens - r0), nOut = 0;
            for (int i = 0; i < n; i++) {
                int r = r0 + i, b = promptOf(promptRow, B, r), t = r - promptRow[b];
                tokens[i] = prompts.get(b)[t];
                positions[i] = t;
                slots[i] = promptSlot[b] + t;
                segments[4 * i] = promptSlot[b];
                segments[4 * i + 1] = t + 1;
                segments[4 * i + 2] = 0;
                segments[4 * i + 3] = 0;
                if (r == promptRow[b + 1] - 1) {
                    lastRows[nOut] = i;
                    for (int g = 0; g < G; g++) {
                        call.row[nOut * G + g] = nOut;
                        call.seq[nOut * G + g] = b * G + g;
                    }
                    nOut++;
                }
            }
            model.decode(cache, n, nOut, true);
            call.count = nOut * G;
            if (observer != null) observer.logits(call.seq, call.row, call.count, call.len, hostLogits, V);
            Parallel.forRange(call.count, call.grain, call);
        }

        long tDecode = System.nanoTime();
        int[] active = new int[S];
        int nActive = 0;
        for (int s = 0; s < S; s++) if (!call.finished(s)) active[nActive++] = s;
        int[] activeRows = new int[Math.max(0, own)];
        int live = nActive;
        int[] ran = {0};
        Runnable run = () -> ran[0] = decodeSteps(call, active, live, activeRows, nLanes);
        int free = lanes(nLanes, live); // decodeSteps' lanes at its first step
        if (free > 1 && freeRun && stopIds.length == 0 && params.stopStrings().isEmpty() && observer == null)
            ran[0] = freeLanes(call, active, live, free, activeRows);
        else if (nLanes > 1 && crewSteps) crew.runAll(run);
        else run.run();
        int steps = ran[0];

        List<Completion> result = new ArrayList<>(S);
        long newTokens = 0;
        int[][] out = call.out;
        int[] len = call.len;
        Completion.FinishReason[] reason = call.reason;
        for (int s = 0; s < S; s++) {
            int[] ids = Arrays.copyOf(out[s], len[s]);
            newTokens += ids.length;
            String text = null;
            if (decoder != null) {
                if (reason[s] == Completion.FinishReason.STOP) text = call.stoppedText[s];
                else text = decoder.apply(reason[s] == Completion.FinishReason.EOS ? Arrays.copyOf(ids, ids.length - 1) : ids);
            }
            result.add(new Completion(s / G, s % G, ids, text, reason[s], Arrays.copyOf(call.lps[s], len[s])));
        }
        lastStats = new GenerationStats(B, S, promptTokens, Arrays.copyOf(activeRows, steps), newTokens, kvCacheBytes(c, slotsNeeded),
                (System.nanoTime() - t0) * 1e-9, (System.nanoTime() - tDecode) * 1e-9);
        return result;
    }

    /**
     * The decode steps of one call, after the prefill, from {@code nActive} unfinished sequences ({@code active}): rows
     * scheduled onto lanes, sampled, finished ones leaving the batch; returns the number of steps (their row counts in
     * {@code activeRows}).
     */
    private int decodeSteps(Call call, int[] active, int nActive, int[] activeRows, int nLanes) {
        int V = c.vocabSize(), steps = 0;
        for (int k = 1; k < call.maxNew && nActive > 0; k++) {
            int nl = lanes(nLanes, nActive);
            for (int ln = 0; ln < nl; ln++) fillLane(lanes[ln], call, active, nActive * ln / nl, nActive * (ln + 1) / nl, k);
            activeRows[steps++] = nActive;
            if (nl == 1) model.decode(cache, nActive, nActive, false);
            else crew.step(nl, nActive);
            call.count = nActive;
            if (observer != null) observer.logits(call.seq, call.row, call.count, call.len, hostLogits, V);
            Parallel.forRange(nActive, call.grain, call);
            nActive = call.unfinished(active, 0, nActive);
        }
        return steps;
    }

    /** Lanes a step of {@code rows} rows runs on, of the call's {@code nLanes}: a lane gets at least {@code LANE_ROWS} rows. */
    private static int lanes(int nLanes, int rows) {
        return Math.max(1, Math.min(nLanes, rows / Math.max(1, LANE_ROWS)));
    }

    /** The inputs of step {@code k} for the lane whose rows are sequences {@code active[lo..hi)}; its logits land at row {@code lo}. */
    private static void fillLane(KvCache lane, Call call, int[] active, int lo, int hi, int k) {
        int[] tok = lane.tokens(), pos = lane.positions(), slot = lane.slots(), seg = lane.segments();
        lane.logitsRow(lo);
        for (int i = lo; i < hi; i++) {
            int s = active[i], b = s / call.G, pl = call.prompts.get(b).length, j = i - lo, own = call.seqSlot + s * call.ownSlots;
            tok[j] = call.out[s][k - 1];
            pos[j] = pl + k - 1;
            slot[j] = own + k - 1;
            seg[4 * j] = call.promptSlot[b];
            seg[4 * j + 1] = pl;
            seg[4 * j + 2] = own;
            seg[4 * j + 3] = k;
            call.row[i] = i;
            call.seq[i] = s;
        }
    }

    /**
     * Where only the length ends a sequence (no stop token ids, no stop strings), the schedule of a call is fixed: every
     * row runs every step, so a lane's rows never change and nothing couples the lanes. Each lane then runs all its steps
     * on its own thread (inputs, model, sampling) with no barrier between steps; its rows are the ones it would have at
     * every step of {@link #decodeSteps}, so the completions are the same bit for bit ({@code -Dgrpo4j.decode.freeLanes=false}:
     * a barrier per step as before). Returns the number of steps.
     */
    private int freeLanes(Call call, int[] active, int nActive, int nl, int[] activeRows) {
        int[] steps = new int[nl];
        Parallel.forRange(nl, 1, (from, to) -> {
            for (int ln = from; ln < to; ln++) steps[ln] = freeLane(ln, call, active, nActive * ln / nl, nActive * (ln + 1) / nl);
        });
        int n = 0;
        for (int ln = 0; ln < nl; ln++) n = Math.max(n, steps[ln]);
        Arrays.fill(activeRows, 0, n, nActive); // no row leaves before the last step
        return n;
    }

    /** The steps of lane {@code ln}, whose rows are sequences {@code active[lo..hi)}: returns the number of steps it ran. */
    private int freeLane(int ln, Call call, int[] active, int lo, int hi) {
        KvCache lane = lanes[ln];
        int n = hi - lo, k = 1;
        for (; k < call.maxNew && n > 0; k++) {
            fillLane(lane, call, active, lo, lo + n, k);
            model.decode(lane, n, n, false);
            call.run(lo, lo + n);
            n = call.unfinished(active, lo, lo + n) - lo;
        }
        return k - 1;
    }

    /**
     * The lanes of every decode step of a call, run by the pool's threads from inside one {@link Parallel} region
     * ({@code -Dgrpo4j.decode.crew=false}: one region per step): the thread that takes the region's first chunk runs the
     * steps ({@link #decodeSteps}), the other waits spinning for each step's lanes, and each lane is claimed by whichever
     * thread comes first, so a thread the system has not scheduled never holds a step up (the first one then runs every
     * lane).
     * A step then costs two counter updates instead of a fork and a join (~25 µs a step on bench-s, where a step is
     * ~300 µs).
     */
    private final class Crew implements Parallel.Range {
        private final java.util.concurrent.atomic.AtomicInteger claimed = new java.util.concurrent.atomic.AtomicInteger(),
                done = new java.util.concurrent.atomic.AtomicInteger();
        private volatile int published;
        private volatile boolean over;
        private volatile Throwable failure;
        private Runnable steps;

        void runAll(Runnable steps) {
            this.steps = steps;
            over = false;
            failure = null;
            claimed.set(Integer.MAX_VALUE / 2); // nothing to claim before the first step
            try {
                Parallel.forRange(2, 1, this);
            } finally {
                this.steps = null;
            }
        }

        @Override
        public void run(int from, int to) {
            for (int chunk = from; chunk < to; chunk++) {
                if (chunk == 0) {
                    try {
                        steps.run();
                    } finally {
                        over = true;
                    }
                } else help();
            }
        }

        /** One step of {@code rows} rows over {@code lanes} lanes (inputs filled): returns when every lane is done. */
        void step(int lanes, int rows) {
            laneStep.lanes = lanes;
            laneStep.rows = rows;
            if (steps == null) { // outside a crew (-Dgrpo4j.decode.crew=false): a region of its own
                Parallel.forRange(lanes, 1, laneStep);
                return;
            }
            done.set(0);
            claimed.set(0); // publishes the step's inputs to a thread that claims a lane
            published++;
            work();
            while (done.get() < lanes) Thread.onSpinWait();
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                throw new RuntimeException(f);
            }
        }

        private void work() {
            for (int ln; (ln = claimed.getAndIncrement()) < laneStep.lanes; ) {
                try {
                    laneStep.run(ln, ln + 1);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        private void help() {
            for (int seen = 0; ; ) {
                int p;
                while ((p = published) == seen && !over) Thread.onSpinWait();
                if (p == seen) return;
                seen = p;
                work();
            }
        }
    }

    /** One decode step split over lanes: lane {@code i} runs rows {@code [rows·i/lanes, rows·(i+1)/lanes)} of the step. */
    private final class LaneStep implements Parallel.Range {
        int lanes, rows;

        @Override
        public void run(int from, int to) {
            for (int ln = from; ln < to; ln++) {
                int n = rows * (ln + 1) / lanes - rows * ln / lanes;
                model.decode(Generator.this.lanes[ln], n, n, false);
            }
        }
    }

    /**
     * One {@link #generate} call: its sequences' tokens, log-probs, lengths and finish reasons, where their cache slots
     * are, and the sampling of a step ({@link #run}: job {@code j} draws the next token of sequence {@code seq[j]} from
     * logits row {@code row[j]}).
     */
    private final class Call implements Parallel.Range {
        final SamplingParams params;
        final List<int[]> prompts;
        final int G, maxNew;
        final int[] stopIds;
        // cache slots: prompt b's from promptSlot[b], sequence s's own from seqSlot + s·ownSlots
        final int[] promptSlot;
        final int seqSlot, ownSlots;
        final int[][] out;
        final float[][] lps;
        final int[] len;
        final Completion.FinishReason[] reason;
        final String[] stoppedText;
        final SplittableRandom[] rng;
        final int[] row, seq;
        final float temperature;
        final int grain = Math.max(1, (1 << 15) / c.vocabSize()); // small vocabularies: several rows per hand-off
        int count;

        Call(SamplingParams params, List<int[]> prompts, int[] stopIds, int[] promptSlot, int seqSlot, int ownSlots, int firstPromptIndex) {
            this.params = params;
            this.prompts = prompts;
            this.G = params.numGenerations();
            this.maxNew = params.maxCompletionLength();
            this.stopIds = stopIds;
            this.promptSlot = promptSlot;
            this.seqSlot = seqSlot;
            this.ownSlots = ownSlots;
            int S = prompts.size() * G;
            out = new int[S][maxNew];
            lps = new float[S][maxNew];
            len = new int[S];
            reason = new Completion.FinishReason[S];
            stoppedText = new String[S];
            rng = new SplittableRandom[S];
            for (int s = 0; s < S; s++) rng[s] = new SplittableRandom(streamSeed(params.seed(), firstPromptIndex + s / G, s % G));
            row = new int[S];
            seq = new int[S];
            temperature = params.greedy() ? 1f : (float) params.temperature();
        }

        @Override
        public void run(int from, int to) {
            Sampler sampler = samplers.get();
            int V = c.vocabSize();
            for (int j = from; j < to; j++) {
                int s = seq[j], off = row[j] * V, n = len[s];
                int tok = sampler.next(hostLogits, off, prompts.get(s / G), out[s], n, params, rng[s]);
                lps[s][n] = sampler.logprob(hostLogits, off, tok, temperature);
                out[s][n] = tok;
                len[s] = n + 1;
            }
        }

        /** Sets the finish reason of sequence {@code s} after its latest token, if it is done; returns whether it is. */
        boolean finished(int s) {
            int n = len[s], tok = out[s][n - 1];
            for (int id : stopIds)
                if (id == tok) {
                    reason[s] = Completion.FinishReason.EOS;
                    return true;
                }
            if (!params.stopStrings().isEmpty()) {
                String text = decoder.apply(Arrays.copyOf(out[s], n));
                int cut = -1;
                for (String stop : params.stopStrings()) {
                    int at = text.indexOf(stop);
                    if (at >= 0 && (cut < 0 || at + stop.length() < cut)) cut = at + stop.length();
                }
                if (cut >= 0) {
                    reason[s] = Completion.FinishReason.STOP;
                    stoppedText[s] = text.substring(0, cut);
                    return true;
                }
            }
            if (n >= maxNew) {
                reason[s] = Completion.FinishReason.LENGTH;
                return true;
            }
            return false;
        }

        /** Finished sequences leave {@code active[lo..hi)}, the others move up in order; returns the end of those left. */
        int unfinished(int[] active, int lo, int hi) {
            int m = lo;
            for (int i = lo; i < hi; i++) {
                int s = active[i];
                if (!finished(s)) active[m++] = s;
            }
            return m;
        }
    }

    /** Makes sure the cache, workspace and {@code nLanes − 1} lanes of {@code laneRows} rows (the most a lane but the first gets) fit. */
    private void prepare(int B, int G, int promptTokens, int maxNew, long slotsNeeded, int rows, int outRows, int nLanes, int laneRows) {
        boolean growCache = cache.slotCapacity() < slotsNeeded;
        boolean growWork = cache.rowCapacity() < rows || cache.outRowCapacity() < outRows;
        long cacheBytes = growCache ? KvCache.cacheBytes(c, slotsNeeded) : 0;
        long workBytes = growWork ? KvCache.workspaceBytes(c, Math.max(rows, cache.rowCapacity()), Math.max(outRows, cache.outRowCapacity())) : 0;
        long heldCache = cache.heldCacheBytes(), heldWork = cache.heldWorkspaceBytes();
        // blocks about to be replaced are dropped before the new ones are allocated, so they count as free
        long kept = (growCache ? 0 : heldCache) + (growWork ? 0 : heldWork);
        // the decode-time weight copies count with the workspace until the model holds them (later calls rebuild them in place)
        long copyBytes = model.newDecodeCopyBytes();
        // each further lane a workspace for its share of the rows
        long laneBytes = 0;
        for (int i = 1; i < nLanes; i++)
            if (i >= lanes.length || lanes[i].rowCapacity() < laneRows) laneBytes += KvCache.workspaceBytes(c, laneRows, laneRows);
        long need = cacheBytes + workBytes + copyBytes + laneBytes;
        if (need > 0) {
            long budget;
            if (memoryBudget > 0) budget = memoryBudget - kept;
            else {
                Runtime rt = Runtime.getRuntime();
                budget = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) + (heldCache + heldWork - kept);
            }
            if (need > budget) throw new IllegalStateException(memoryMessage(B, G, promptTokens, maxNew, need, budget));
        }
        cache.reserve(slotsNeeded, rows, outRows);
        if (lanes.length < nLanes) {
            lanes = Arrays.copyOf(lanes, nLanes);
            for (int i = 1; i < nLanes; i++) if (lanes[i] == null) lanes[i] = cache.lane();
        }
        for (int i = 1; i < nLanes; i++) lanes[i].reserve(0, laneRows, laneRows);
        tokens = cache.tokens();
        positions = cache.positions();
        slots = cache.slots();
        segments = cache.segments();
        lastRows = cache.lastRows();
        hostLogits = cache.logits();
    }

    private String memoryMessage(int B, int G, int promptTokens, int maxNew, long need, long budget) {
        return String.format("generation needs %s for the KV cache and workspace (%d prompts × num_generations %d, %d prompt tokens, "
                        + "max_completion_length %d; %d layers × %d kv heads × %d) but only %s is available (%s); lower num_generations, "
                        + "max_completion_length or the number of prompts per generation batch%s",
                bytes(need), B, G, promptTokens, maxNew, c.numLayers(), c.numKvHeads(), c.headDim(), bytes(budget),
                memoryBudget > 0 ? "the generator's memory budget" : "free JVM heap of -Xmx " + bytes(Runtime.getRuntime().maxMemory()),
                memoryBudget > 0 ? ", or raise the memory budget" : ", or give the JVM more heap (-Xmx)");
    }

    private static String bytes(long b) {
        if (b == Long.MAX_VALUE) return "more than 8 GiB per tensor";
        if (b >= 1L << 30) return String.format("%.2f GiB", b / (double) (1L << 30));
        return String.format("%.1f MiB", b / (double) (1L << 20));
    }

    private static int align(int slots) {
        return (slots + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
    }

    private static int promptOf(int[] promptRow, int B, int row) {
        int lo = 0, hi = B - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (promptRow[mid] <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The seed of sequence (prompt, sample): SplitMix64 finalisers over the three, so nearby indices give unrelated streams. */
    static long streamSeed(long seed, int prompt, int sample) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        h = mix(h ^ (prompt * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
        return mix(h ^ (sample * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
