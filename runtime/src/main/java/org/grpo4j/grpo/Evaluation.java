package org.grpo4j.grpo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;

/**
 * Held-out evaluation: one greedy completion and {@code n} sampled completions per prompt, each scored by every
 * reward function. A completion is <em>correct</em> when it gets the full score (≥ 1) from the scorer: the
 * {@code accuracy} reward, or the first reward when none is named so (a code reward that returns the fraction of
 * passed tests is then correct when every test passes).
 *
 * <p>The trainer reports greedy accuracy, pass@G and each reward's mean ({@link #run}); {@code grpo eval} asks for
 * the {@link Samples} themselves and derives more from them: pass@1 averaged over the n samples, the unbiased
 * pass@k of the Codex paper for k ≤ n, maj@k (majority vote over extracted answers), completion lengths and the
 * truncated fraction.
 *
 * <pre>{@code
 * Evaluation.Samples s = new Evaluation(settings, rewards, decoder, stopIds).generate(generator, prompts, done -> {});
 * Map<String, Double> m = s.metrics(new int[] {1, 4, 8}, null, null); // accuracy, pass@1, pass@4, pass@8, maj@…
 * }</pre>
 */
public final class Evaluation {
    /** The figures of one evaluation, as {@code eval/...} metrics. */
    public record Result(double accuracy, double passAtK, int k, Map<String, Double> meanRewards, int prompts) {
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("eval/accuracy", accuracy);
            m.put("eval/pass@" + k, passAtK);
            meanRewards.forEach((name, v) -> m.put("eval/rewards/" + name + "/mean", v));
            return m;
        }
    }

    /**
     * How completions are sampled. {@code batchCompletions} caps the completions of one {@link Generator#generate}
     * call (prompts are cut into chunks so a progress bar can move; {@link Integer#MAX_VALUE} = one call).
     */
    public record Settings(int n, double temperature, int topK, double topP, double minP, double repetitionPenalty, int maxTokens, long seed,
                           int batchCompletions, Duration rewardTimeout) {
        public Settings {
            if (n < 1) throw new IllegalArgumentException("n = " + n + ": at least one sample per prompt");
            if (!(temperature > 0)) throw new IllegalArgumentException("temperature = " + temperature + " must be > 0 for the sampled answers");
            if (maxTokens < 1) throw new IllegalArgumentException("max tokens = " + maxTokens + " must be >= 1");
            if (batchCompletions < 1) throw new IllegalArgumentException("batchCompletions must be >= 1");
        }

        /** The trainer's evaluation: G = num_generations samples with the training sampling settings, in one call. */
        public static Settings of(GrpoConfig c) {
            SamplingSettings s = c.sampling();
            return new Settings(c.numGenerations(), s.temperature(), s.topK(), s.topP(), s.minP(), s.repetitionPenalty(), s.maxCompletionLength(),
                    c.training().seed(), Integer.MAX_VALUE, c.rollouts().rewardTimeout());
        }
    }

    /**
     * One scored completion. {@code sample} is -1 for the greedy answer, else 0..n-1; {@code rewards[f]} is reward
     * function f's score (NaN: not applicable or failed).
     */
    public record Scored(Prompt prompt, int sample, Completion completion, String text, double[] rewards) {}

    private final Settings settings;
    private final List<RewardFunction> rewards;
    private final Function<int[], String> decoder;
    private final int[] stopTokenIds;
    private final RewardScoring scoring;

    public Evaluation(GrpoConfig config, List<RewardFunction> rewards, Function<int[], String> decoder, int[] stopTokenIds) {
        this(Settings.of(config), rewards, decoder, stopTokenIds);
    }

    public Evaluation(Settings settings, List<? extends RewardFunction> rewards, Function<int[], String> decoder, int[] stopTokenIds) {
        this.settings = settings;
        this.rewards = List.copyOf(rewards);
        this.decoder = decoder;
        this.stopTokenIds = stopTokenIds;
        this.scoring = new RewardScoring(this.rewards, settings.rewardTimeout());
    }

    /** Index of the scorer: the reward named {@code accuracy}, else the first. */
    int accuracyIndex() {
        for (int i = 0; i < rewards.size(); i++) if (rewards.get(i).name().equals("accuracy")) return i;
        return 0;
    }

    /** The trainer's figures: greedy accuracy, pass@n and each reward's mean over the greedy answers. */
    public Result run(Generator generator, List<Prompt> prompts) {
        if (prompts.isEmpty()) return new Result(Double.NaN, Double.NaN, settings.n(), Map.of(), 0);
        Samples s = generate(generator, prompts, null);
        return new Result(s.accuracy(), s.passAtK(settings.n()), settings.n(), s.meanRewards(), prompts.size());
    }

    /**
     * Greedy and sampled completions of every prompt, scored. {@code progress} (may be null) receives the number of
     * prompts finished after each chunk.
     */
    public Samples generate(Generator generator, List<Prompt> prompts, IntConsumer progress) {
        int n = settings.n(), maxNew = settings.maxTokens();
        int chunk = (int) Math.max(1, Math.min(prompts.size(), settings.batchCompletions() / (long) (n + 1)));
        List<Scored> greedy = new ArrayList<>(prompts.size()), sampled = new ArrayList<>(prompts.size() * n);
        for (int p0 = 0, round = 0; p0 < prompts.size(); p0 += chunk, round++) {
            List<Prompt> part = prompts.subList(p0, Math.min(prompts.size(), p0 + chunk));
            List<int[]> ids = new ArrayList<>(part.size());
            for (Prompt p : part) ids.add(p.ids());
            // one chunk = the whole set keeps the trainer's seeds (seed, seed + 1) as they always were
            long seed = settings.seed() + 2L * round;
            SamplingParams greedyParams = new SamplingParams(1, 0.0, false, 0, 1.0, 0.0, 1.0, maxNew, stopTokenIds, List.of(), false, seed);
            greedy.addAll(score(part, generator.generate(ids, greedyParams), 1, true));
            sampled.addAll(sample(generator, part, seed + 1));
            if (progress != null) progress.accept(p0 + part.size());
        }
        List<String> names = new ArrayList<>();
        for (RewardFunction f : rewards) names.add(f.name());
        return new Samples(names, accuracyIndex(), n, List.copyOf(prompts), greedy, sampled);
    }

    /**
     * The n sampled completions of each prompt (prompt-major), scored, in one generation call with this seed: what
     * {@code grpo generate-data} keeps or drops.
     */
    public List<Scored> sample(Generator generator, List<Prompt> prompts, long seed) {
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) ids.add(p.ids());
        SamplingParams sampling = new SamplingParams(settings.n(), settings.temperature(), true, settings.topK(), settings.topP(), settings.minP(),
                settings.repetitionPenalty(), settings.maxTokens(), stopTokenIds, List.of(), false, seed);
        return score(prompts, generator.generate(ids, sampling), settings.n(), false);
    }

    /** Index of the reward that decides correctness (see the class comment). */
    public int scorer() {
        return accuracyIndex();
    }

    private List<Scored> score(List<Prompt> prompts, List<Completion> completions, int perPrompt, boolean greedy) {
        List<Sample> samples = new ArrayList<>(completions.size());
        List<String> texts = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            Prompt p = prompts.get(i / perPrompt);
            Completion c = completions.get(i);
            String text = c.text() != null ? c.text() : decoder != null ? decoder.apply(c.tokenIds()) : "";
            texts.add(text);
            samples.add(new Sample(p.text(), text, c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        double[][] v = scoring.score(samples).values();
        List<Scored> out = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            double[] r = new double[v.length];
            for (int f = 0; f < v.length; f++) r[f] = v[f][i];
            out.add(new Scored(prompts.get(i / perPrompt), greedy ? -1 : i % perPrompt, completions.get(i), texts.get(i), r));
        }
        return out;
    }

    /**
     * The unbiased pass@k estimator of Chen et al. 2021 (Codex): the chance that at least one of k answers drawn
     * without replacement from n answers, c of them correct, is correct: {@code 1 − C(n−c, k) / C(n, k)}, computed
     * as a product so that large n does not overflow.
     */
    public static double passAtK(int n, int c, int k) {
        if (k < 1 || k > n) throw new IllegalArgumentException("pass@k needs 1 <= k <= n, got k = " + k + ", n = " + n);
        if (c < 0 || c > n) throw new IllegalArgumentException("correct = " + c + " must be within 0..n = " + n);
        if (n - c < k) return 1.0;
        double fail = 1.0;
        for (int i = n - c + 1; i <= n; i++) fail *= 1.0 - k / (double) i;
        return 1.0 - fail;
    }

    /** Every scored completion of an evaluation: the greedy answer of each prompt, and n samples per prompt (prompt-major). */
    public record Samples(List<String> rewardNames, int scorer, int n, List<Prompt> prompts, List<Scored> greedy, List<Scored> sampled) {
        static boolean correct(Scored s, int scorer) {
            return s.rewards()[scorer] >= 1.0 - 1e-9;
        }

        /** Whether a completion is correct by the scorer. */
        public boolean correct(Scored s) {
            return correct(s, scorer);
        }

        /** The n samples of prompt {@code p} (its position in {@link #prompts()}). */
        public List<Scored> samplesOf(int p) {
            return sampled.subList(p * n, (p + 1) * n);
        }

        /** Share of prompts whose greedy completion is correct. */
        public double accuracy() {
            if (prompts.isEmpty()) return Double.NaN;
            int c = 0;
            for (Scored s : greedy) if (correct(s)) c++;
            return c / (double) prompts.size();
        }

        /** Unbiased pass@k averaged over prompts; pass@1 is the mean share of correct samples. */
        public double passAtK(int k) {
            if (prompts.isEmpty()) return Double.NaN;
            double sum = 0;
            for (int p = 0; p < prompts.size(); p++) {
                int c = 0;
                for (Scored s : samplesOf(p)) if (correct(s)) c++;
                sum += Evaluation.passAtK(n, c, k);
            }
            return sum / prompts.size();
        }

        /**
         * maj@k: for each prompt the answers of its first k samples vote ({@code answer} extracts an answer from a
         * completion, null = no answer, no vote; {@code same} groups equal answers, e.g. "0.5" and "\frac12"); the
         * prompt counts when the winning answer's first completion is correct by the scorer. Ties go to the answer
         * seen first. Prompts whose k samples state no answer count as wrong.
         */
        public double majorityAtK(int k, Function<String, String> answer, BiPredicate<String, String> same) {
            if (k < 1 || k > n) throw new IllegalArgumentException("maj@k needs 1 <= k <= n, got k = " + k + ", n = " + n);
            if (prompts.isEmpty()) return Double.NaN;
            BiPredicate<String, String> eq = same != null ? same : String::equals;
            int right = 0;
            for (int p = 0; p < prompts.size(); p++) {
                List<Scored> votes = samplesOf(p).subList(0, k);
                List<String> answers = new ArrayList<>();
                List<Scored> first = new ArrayList<>();
                List<Integer> counts = new ArrayList<>();
                for (Scored s : votes) {
                    String a = answer.apply(s.text());
                    if (a == null) continue;
                    int at = -1;
                    for (int i = 0; i < answers.size() && at < 0; i++) if (eq.test(answers.get(i), a)) at = i;
                    if (at < 0) {
                        answers.add(a);
                        first.add(s);
                        counts.add(1);
                    } else counts.set(at, counts.get(at) + 1);
                }
                int best = -1;
                for (int i = 0; i < counts.size(); i++) if (best < 0 || counts.get(i) > counts.get(best)) best = i;
                if (best >= 0 && correct(first.get(best))) right++;
            }
            return right / (double) prompts.size();
        }

        /** Mean of each reward function over the greedy completions (NaN scores left out). */
        public Map<String, Double> meanRewards() {
            Map<String, Double> means = new LinkedHashMap<>();
            for (int f = 0; f < rewardNames.size(); f++) {
                double s = 0;
                int c = 0;
                for (Scored x : greedy)
                    if (!Double.isNaN(x.rewards()[f])) {
                        s += x.rewards()[f];
                        c++;
                    }
                means.put(rewardNames.get(f), c == 0 ? Double.NaN : s / c);
            }
            return means;
        }

        /**
         * The figures of {@code grpo eval}, in table order: accuracy (greedy), pass@k for each k (k ≤ n), maj@k for
         * each k > 1 when {@code answer} is given, mean completion length and truncated fraction of the samples,
         * and the mean of each reward over the greedy answers ({@code rewards/NAME}).
         */
        public Map<String, Double> metrics(int[] ks, Function<String, String> answer, BiPredicate<String, String> same) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("accuracy", accuracy());
            for (int k : ks) m.put("pass@" + k, passAtK(k));
            if (answer != null) for (int k : ks) if (k > 1) m.put("maj@" + k, majorityAtK(k, answer, same));
            double len = 0;
            int truncated = 0;
            for (Scored s : sampled) {
                len += s.completion().length();
                if (s.completion().finishReason() == Completion.FinishReason.LENGTH) truncated++;
            }
            m.put("mean_length", sampled.isEmpty() ? Double.NaN : len / sampled.size());
            m.put("truncated", sampled.isEmpty() ? Double.NaN : truncated / (double) sampled.size());
            meanRewards().forEach((name, v) -> m.put("rewards/" + name, v));
            return m;
        }
    }
}
