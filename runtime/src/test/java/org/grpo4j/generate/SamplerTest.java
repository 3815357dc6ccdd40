package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The logits processors against a direct transcription of Hugging Face's warpers (full sort, float64), and the
 * draws against the resulting distribution with a chi-square test.
 */
class SamplerTest {

    static final float[] LOGITS = {2.0f, 1.5f, 1.5f, 0.3f, -0.2f, -1.0f, 0.9f, 2.4f, -3.0f, 0.0f, 1.1f, -0.5f};

    /** HF's processing of one row, transcribed: temperature → top-k → top-p → min-p → softmax. */
    static double[] reference(float[] logits, SamplingParams p) {
        int V = logits.length;
        double[] s = new double[V];
        for (int i = 0; i < V; i++) s[i] = logits[i] / p.temperature();
        if (p.topK() > 0) {
            double[] sorted = s.clone();
            Arrays.sort(sorted);
            double kth = sorted[V - Math.min(p.topK(), V)];
            for (int i = 0; i < V; i++) if (s[i] < kth) s[i] = Double.NEGATIVE_INFINITY;
        }
        if (p.topP() < 1) {
            Integer[] asc = order(s, true);
            double[] probs = softmax(s);
            double cum = 0;
            boolean[] remove = new boolean[V];
            for (int r = 0; r < V; r++) {
                cum += probs[asc[r]];
                remove[asc[r]] = cum <= 1 - p.topP();
            }
            remove[asc[V - 1]] = false; // min_tokens_to_keep
            for (int i = 0; i < V; i++) if (remove[i]) s[i] = Double.NEGATIVE_INFINITY;
        }
        if (p.minP() > 0) {
            double[] probs = softmax(s);
            double top = Arrays.stream(probs).max().orElseThrow();
            for (int i = 0; i < V; i++) if (probs[i] < p.minP() * top) s[i] = Double.NEGATIVE_INFINITY;
        }
        return softmax(s);
    }

    static Integer[] order(double[] s, boolean ascending) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> ascending ? Double.compare(s[a], s[b]) : Double.compare(s[b], s[a]));
        return idx;
    }

    static double[] softmax(double[] s) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double x : s) max = Math.max(max, x);
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) sum += p[i] = Math.exp(s[i] - max);
        for (int i = 0; i < s.length; i++) p[i] /= sum;
        return p;
    }

    /** Draws {@code n} tokens and checks them against {@link #reference} (chi-square, p ≈ 0.001). */
    static void assertDrawsFollowTheReference(SamplingParams p, int n) {
        double[] expected = reference(LOGITS, p);
        Sampler sampler = new Sampler(LOGITS.length);
        SplittableRandom rng = new SplittableRandom(1234);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < n; i++) counts[sampler.next(LOGITS, 0, new int[0], new int[0], 0, p, rng)]++;
        double chi2 = 0;
        int df = -1;
        for (int v = 0; v < LOGITS.length; v++) {
            if (expected[v] == 0) {
                assertEquals(0, counts[v], p + ": token " + v + " was filtered out but drawn");
                continue;
            }
            double e = expected[v] * n;
            chi2 += (counts[v] - e) * (counts[v] - e) / e;
            df++;
        }
        // 0.999 quantiles of chi-square for df = 0..11
        double[] critical = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59, 31.26};
        assertTrue(chi2 <= critical[df], p + ": chi-square " + chi2 + " with " + df + " degrees of freedom; counts " + Arrays.toString(counts)
                + " expected " + Arrays.toString(expected));
    }

    static SamplingParams base() {
        return SamplingParams.defaults().withNumGenerations(1);
    }

    @Test
    void temperature() {
        assertDrawsFollowTheReference(base(), 40_000);
        assertDrawsFollowTheReference(base().withTemperature(0.5), 40_000);
        assertDrawsFollowTheReference(base().withTemperature(2.5), 40_000);
    }

    @Test
    void topK() {
        assertDrawsFollowTheReference(base().withTopK(2).withTemperature(0.8), 40_000);
        // ties with the k-th largest logit stay in (HF keeps every score ≥ the k-th): 2.4, 2.0 and both 1.5s
        assertEquals(4, nonZero(reference(LOGITS, base().withTopK(3))));
        assertDrawsFollowTheReference(base().withTopK(3), 40_000);
    }

    @Test
    void topP() {
        assertDrawsFollowTheReference(base().withTopP(0.9), 40_000);
        assertDrawsFollowTheReference(base().withTopP(0.5).withTemperature(0.7), 40_000);
        assertDrawsFollowTheReference(base().withTopP(0.0), 1_000);
    }

    @Test
    void minP() {
        assertDrawsFollowTheReference(base().withMinP(0.2), 40_000);
        assertDrawsFollowTheReference(base().withMinP(0.05).withTemperature(1.7), 40_000);
    }

    @Test
    void allTogetherInHuggingFaceOrder() {
        assertDrawsFollowTheReference(base().withTemperature(1.3).withTopK(8).withTopP(0.85).withMinP(0.1), 40_000);
    }

    static int nonZero(double[] p) {
        int n = 0;
        for (double x : p) if (x > 0) n++;
        return n;
    }

    @Test
    void topPOnALargeVocabularyKeepsExactlyTheReferenceSet() {
        // the threshold search never sorts the whole vocabulary: compare its candidate set with a full sort
        int V = 151_936;
        SplittableRandom rng = new SplittableRandom(5);
        float[] logits = new float[V];
        for (int i = 0; i < V; i++) logits[i] = (float) (rng.nextGaussian() * 3);
        Sampler sampler = new Sampler(V);
        for (double topP : new double[] {0.1, 0.9, 0.95, 0.999}) {
            for (float t : new float[] {0.6f, 1f}) {
                SamplingParams p = base().withTopP(topP).withTemperature(t);
                double[] ref = reference(logits, p);
                TreeSet<Integer> want = new TreeSet<>();
                for (int i = 0; i < V; i++) if (ref[i] > 0) want.add(i);
                float[] z = logits.clone();
                int n = sampler.filter(z, p, 1f / t);
                TreeSet<Integer> got = new TreeSet<>();
                for (int i = 0; i < n; i++) got.add(sampler.candidates()[i]);
                // float rounding may move the one token at the boundary
                assertTrue(Math.abs(want.size() - got.size()) <= 1, "top_p " + topP + ": " + got.size() + " vs " + want.size());
                TreeSet<Integer> common = new TreeSet<>(want);
                common.retainAll(got);
                assertTrue(common.size() >= Math.min(want.size(), got.size()) - 1);
            }
        }
        // top-k on the large vocabulary: exactly the k largest
        float[] z = logits.clone();
        int n = sampler.filter(z, base().withTopK(50), 1f);
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        assertEquals(50, n);
        for (int i = 0; i < n; i++) assertTrue(logits[sampler.candidates()[i]] >= sorted[V - 50]);
    }

    @Test
    void repetitionPenaltyFollowsHuggingFace() {
        Sampler s = new Sampler(5);
        float[] row = {2f, -2f, 0.5f, -0.5f, 3f};
        // prompt {0, 1}, completion {2, 2, 1}: tokens 0, 1, 2 penalised once each, 3 and 4 untouched
        s.applyRepetitionPenalty(row, 0, new int[] {0, 1}, 2, new int[] {2, 2, 1, 4}, 3, 2f);
        assertArrayEquals(new float[] {1f, -4f, 0.25f, -0.5f, 3f}, row);
        float[] again = {2f, -2f, 0.5f, -0.5f, 3f};
        s.applyRepetitionPenalty(again, 0, new int[] {0}, 1, new int[0], 0, 0.5f);
        assertArrayEquals(new float[] {4f, -2f, 0.5f, -0.5f, 3f}, again, "a penalty below 1 encourages repetition");
        // greedy decoding applies the penalty too: token 4 (3.0) beats token 0 (2.0 / 2 = 1.0) anyway, token 0 beats 4 at penalty 0.5
        SamplingParams greedy = base().withTemperature(0).withRepetitionPenalty(2.0);
        float[] logits = {2.9f, 0f, 0f, 0f, 3f};
        assertEquals(0, new Sampler(5).next(logits, 0, new int[] {4}, new int[0], 0, greedy, new SplittableRandom(1)));
        assertEquals(4, new Sampler(5).next(logits, 0, new int[] {0}, new int[0], 0, greedy, new SplittableRandom(1)));
    }

    @Test
    void logprobIsTheLogSoftmaxOfTheRawLogitsOverTemperature() {
        Sampler s = new Sampler(LOGITS.length);
        double[] ref = softmax(divide(LOGITS, 0.7));
        for (int v = 0; v < LOGITS.length; v++) assertEquals(Math.log(ref[v]), s.logprob(LOGITS, 0, v, 0.7f), 1e-5);
    }

    static double[] divide(float[] x, double t) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i] / t;
        return r;
    }

    @Test
    void settingsAreValidatedWithTheirTrlNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base().withTopP(1.5));
        assertTrue(e.getMessage().startsWith("top_p"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base().withRepetitionPenalty(0));
        assertTrue(e.getMessage().startsWith("repetition_penalty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base().withNumGenerations(0));
        assertTrue(e.getMessage().startsWith("num_generations"), e.getMessage());
        assertTrue(base().withTemperature(0).greedy());
        assertTrue(base().withDoSample(false).greedy());
    }
}
