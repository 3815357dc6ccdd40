package org.grpo4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.grpo4j.backend.cpu.VectorMath;

/**
 * Chooses the next token from one row of logits the way Hugging Face's {@code generate} does: repetition penalty
 * ({@code RepetitionPenaltyLogitsProcessor}), then for sampling {@code TemperatureLogitsWarper},
 * {@code TopKLogitsWarper}, {@code TopPLogitsWarper}, {@code MinPLogitsWarper} (in that order, each with
 * {@code min_tokens_to_keep = 1}) and a multinomial draw; for greedy decoding the argmax of the penalised logits.
 *
 * <p>Works without sorting the vocabulary: top-k uses quickselect, top-p sorts only the tokens above a weight
 * threshold that is lowered until they hold the requested mass (on a 151k vocabulary usually a few hundred),
 * min-p is a threshold. One instance holds scratch arrays for one vocabulary and is used by one thread.
 */
public final class Sampler {
    private static final VectorSpecies<Float> F = VectorMath.F; // one vector shape in the whole engine (see Gemm)

    private final int vocab;
    private final float[] z, w, tmp;
    private final int[] cand, stamp;
    private final long[] keys;
    private int stampValue;

    public Sampler(int vocab) {
        this.vocab = vocab;
        z = new float[vocab];
        w = new float[vocab];
        tmp = new float[vocab];
        cand = new int[vocab];
        keys = new long[vocab];
        stamp = new int[vocab];
    }

    public int vocab() {
        return vocab;
    }

    /**
     * Hugging Face's repetition penalty, in place: every distinct token of {@code a[0..aLen)} and {@code b[0..bLen)}
     * (the prompt and the completion so far) has its logit divided by {@code penalty} if positive, multiplied by it
     * otherwise. A token that occurs several times is penalised once.
     */
    public void applyRepetitionPenalty(float[] logits, int off, int[] a, int aLen, int[] b, int bLen, float penalty) {
        if (penalty == 1f) return;
        if (++stampValue == Integer.MAX_VALUE) {
            Arrays.fill(stamp, 0);
            stampValue = 1;
        }
        for (int pass = 0; pass < 2; pass++) {
            int[] ids = pass == 0 ? a : b;
            int n = pass == 0 ? aLen : bLen;
            for (int i = 0; i < n; i++) {
                int t = ids[i];
                if (t < 0 || t >= vocab || stamp[t] == stampValue) continue;
                stamp[t] = stampValue;
                float x = logits[off + t];
                logits[off + t] = x > 0 ? x / penalty : x * penalty;
            }
        }
    }

    /**
     * The next token for a sequence whose prompt is {@code prompt} and whose completion so far is
     * {@code completion[0..completionLen)}, from the raw logits {@code logits[off..off+vocab)} (left unchanged).
     */
    public int next(float[] logits, int off, int[] prompt, int[] completion, int completionLen, SamplingParams p, SplittableRandom rng) {
        System.arraycopy(logits, off, z, 0, vocab);
        applyRepetitionPenalty(z, 0, prompt, prompt.length, completion, completionLen, (float) p.repetitionPenalty());
        if (p.greedy()) return argmax(z, vocab);
        return sampleProcessed(z, p, rng);
    }

    /**
     * Draws from {@code softmax(filter(z / temperature))} with top-k, top-p and min-p of {@code p}; {@code z} holds
     * already penalised logits and is overwritten.
     */
    int sampleProcessed(float[] z, SamplingParams p, SplittableRandom rng) {
        float invT = (float) (1.0 / p.temperature());
        int n = filter(z, p, invT);
        // the draw: inverse CDF over the remaining tokens, in candidate (or vocabulary) order
        if (n < 0) {
            float max = max(z, vocab);
            double total = expShifted(z, vocab, max, invT, w);
            double u = rng.nextDouble() * total, acc = 0;
            int last = -1;
            for (int i = 0; i < vocab; i++) {
                if (w[i] == 0f) continue;
                acc += w[i];
                last = i;
                if (acc > u) return i;
            }
            return last;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[cand[i]]);
        double total = 0;
        for (int i = 0; i < n; i++) total += w[i] = (float) Math.exp((z[cand[i]] - max) * invT);
        double u = rng.nextDouble() * total, acc = 0;
        for (int i = 0; i < n; i++) {
            acc += w[i];
            if (acc > u) return cand[i];
        }
        return cand[n - 1];
    }

    /**
     * Top-k, top-p and min-p of {@code p} on the logits {@code z}: returns -1 when every token is still in, else
     * the number of candidates left in {@link #candidates()}.
     */
    int filter(float[] z, SamplingParams p, float invT) {
        int n = -1;
        if (p.topK() > 0 && p.topK() < vocab) {
            System.arraycopy(z, 0, tmp, 0, vocab);
            float kth = select(tmp, vocab, p.topK() - 1);
            n = 0;
            for (int i = 0; i < vocab; i++) if (z[i] >= kth) cand[n++] = i;
        }
        if (p.topP() < 1.0) n = topP(z, n, p.topP(), invT);
        if (p.minP() > 0.0) n = minP(z, n, (float) p.minP(), invT);
        return n;
    }

    int[] candidates() {
        return cand;
    }

    /**
     * HF's TopPLogitsWarper: sorted by probability, a token is kept when the tokens ranked strictly above it hold
     * less than {@code topP} of the mass (so the top token always stays). Returns the candidate count.
     */
    private int topP(float[] z, int n, double topP, float invT) {
        int m;
        double target;
        if (n < 0) {
            float max = max(z, vocab);
            double total = expShifted(z, vocab, max, invT, w);
            target = topP * total;
            // collect the tokens whose weight is at least thr (relative to the top token's 1); lower thr until
            // they hold the target mass: then no token below thr can be kept
            float thr = 1f / 64;
            while (true) {
                m = 0;
                double mass = 0;
                for (int i = 0; i < vocab; i++)
                    if (w[i] >= thr) {
                        cand[m++] = i;
                        mass += w[i];
                    }
                if (mass >= target || thr == 0f) break;
                thr = thr < 1e-30f ? 0f : thr / 64;
            }
        } else {
            m = n;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < m; i++) max = Math.max(max, z[cand[i]]);
            double total = 0;
            for (int i = 0; i < m; i++) total += Math.exp((z[cand[i]] - max) * invT);
            target = topP * total;
        }
        // sort the candidates by logit, descending (ties: lower id first)
        for (int i = 0; i < m; i++) keys[i] = ((long) ~sortable(z[cand[i]]) << 32) | cand[i];
        Arrays.sort(keys, 0, m);
        float max = z[(int) keys[0]];
        double before = 0;
        int kept = 0;
        for (int i = 0; i < m; i++) {
            int id = (int) keys[i];
            if (kept > 0 && before >= target) break;
            cand[kept++] = id;
            before += Math.exp((z[id] - max) * invT);
        }
        return kept;
    }

    /** HF's MinPLogitsWarper: keeps the tokens whose probability is at least {@code minP} times the top one's. */
    private int minP(float[] z, int n, float minP, float invT) {
        if (n < 0) {
            float max = max(z, vocab);
            int m = 0;
            for (int i = 0; i < vocab; i++) if (Math.exp((z[i] - max) * invT) >= minP) cand[m++] = i;
            return m;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[cand[i]]);
        int m = 0;
        for (int i = 0; i < n; i++) if (Math.exp((z[cand[i]] - max) * invT) >= minP) cand[m++] = cand[i];
        return m;
    }

    /**
     * {@code log_softmax(logits / temperature)[token]} over the raw row {@code logits[off..off+vocab)}: the log-prob a
     * {@link Completion} reports.
     */
    public float logprob(float[] logits, int off, int token, float temperature) {
        float inv = 1f / temperature;
        System.arraycopy(logits, off, tmp, 0, vocab);
        float max = max(tmp, vocab);
        double sum = expShifted(tmp, vocab, max, inv, w);
        return (float) ((logits[off + token] - max) * inv - Math.log(sum));
    }

    /** The first index of the largest value (torch.argmax's choice among ties). */
    static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static float max(float[] x, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= F.length()) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int upper = F.loopBound(n); i < upper; i += F.length()) acc = acc.max(FloatVector.fromArray(F, x, i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[i]);
        return m;
    }

    /**
     * {@code -Dgrpo4j.sampler.vectorApiExp=true}: the Vector API's EXP operator, as before h16c, for A/B runs only — its
     * bits depend on the JIT tier (C2's intrinsic differs from the interpreter's and C1's Java fallback in the last
     * bit), so a generate call's log-probs changed once C2 compiled this method.
     */
    static final boolean VECTOR_API_EXP = Boolean.getBoolean("grpo4j.sampler.vectorApiExp");

    /** Below this, e^z is taken as 0 (VectorMath.exp clamps there): masked (−∞) logits keep weight 0. */
    private static final float EXP_FLOOR = -87.3f;

    /**
     * {@code out[i] = exp((x[i] − shift) · scale)}; returns their sum. {@link VectorMath#exp}, the same bits in every
     * JIT tier, vector lanes and tail alike; 0 below its range, as {@code Math.exp} gives (to a float) there.
     */
    private static double expShifted(float[] x, int n, float shift, float scale, float[] out) {
        int i = 0;
        double total = 0;
        FloatVector vs = FloatVector.broadcast(F, shift), vk = FloatVector.broadcast(F, scale);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector z = FloatVector.fromArray(F, x, i).sub(vs).mul(vk), e;
            if (VECTOR_API_EXP) e = z.lanewise(VectorOperators.EXP);
            else e = VectorMath.exp(z).blend(0f, z.compare(VectorOperators.LT, EXP_FLOOR));
            e.intoArray(out, i);
            total += VectorMath.sum(e);
        }
        for (; i < n; i++) {
            float z = (x[i] - shift) * scale;
            total += out[i] = VECTOR_API_EXP ? (float) Math.exp(z) : z < EXP_FLOOR ? 0f : VectorMath.exp(z);
        }
        return total;
    }

    /** An int whose signed order is the float order. */
    private static int sortable(float f) {
        int b = Float.floatToIntBits(f);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    /** The {@code k}-th largest of {@code a[0..n)} (0-based), by quickselect; reorders {@code a}. */
    static float select(float[] a, int n, int k) {
        int lo = 0, hi = n - 1, target = k;
        while (lo < hi) {
            float pivot = median3(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }

    private static float median3(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
