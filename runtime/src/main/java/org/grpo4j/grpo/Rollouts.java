package org.grpo4j.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.grpo.advantage.AdvantageEstimator;
import org.grpo4j.grpo.advantage.TokenLevel;
import org.grpo4j.grpo.critic.Gae;
import org.grpo4j.grpo.critic.ValueTargets;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.Sample;

/**
 * The first phase of a GRPO step (TRL's {@code _generate_and_score_completions}): draw the prompts of a generation
 * batch, sample G completions each, score them with the reward functions, keep only groups with a learning signal
 * under dynamic sampling, turn rewards into advantages, and attach the log-probs of the policy that sampled them
 * and of the reference model where the loss needs them. {@code adv_estimator} chooses how rewards become advantages
 * (grpo, rloo, reinforce_plus_plus, remax: {@code grpo/advantage/}; gae: the critic's per-token advantages,
 * {@link CriticPhase}); nothing after this phase depends on it.
 *
 * <p>Data parallelism (TRL's semantics): the generation batch is {@code ranks ×} this rank's share; every rank draws
 * the same prompts and samples its own slice of groups (a group is never split), then the rewards of all ranks are
 * gathered so advantages and metrics are those of the whole batch — a run on N ranks samples, scores and normalises
 * exactly what one process with N times the batch would.
 */
final class Rollouts {
    /** One generation batch, ready for the update: the rollouts and the metrics of its sampling and scoring. */
    /** {@code seconds}: sampling and scoring; {@code logpSeconds}: the old-policy and reference log-prob passes after it. */
    record Batch(List<Rollout> rollouts, RewardScores scores, Map<String, Double> metrics, double activeTokens, double seconds, double logpSeconds) {}

    private final GrpoConfig config;
    private final Generator generator;
    private final RewardScoring scoring;
    private final double[] weights;
    private final Function<int[], String> decoder;
    private final int[] stopTokenIds;
    private final Consumer<String> say;
    private final Communicator comm;
    private final CriticPhase critic;
    private final RewardKlPenalty klPenalty;

    /**
     * {@code critic}: the value model of {@code adv_estimator = gae}, null for the other estimators; {@code klPenalty}:
     * {@code use_kl_in_reward}'s penalty, or null.
     */
    Rollouts(GrpoConfig config, Generator generator, RewardScoring scoring, double[] weights, Function<int[], String> decoder, int[] stopTokenIds,
             Consumer<String> say, Communicator comm, CriticPhase critic, RewardKlPenalty klPenalty) {
        this.comm = comm;
        this.critic = critic;
        this.klPenalty = klPenalty;
        this.config = config;
        this.generator = generator;
        this.scoring = scoring;
        this.weights = weights;
        this.decoder = decoder;
        this.stopTokenIds = stopTokenIds;
        this.say = say;
    }

    /**
     * Generation batch number {@code round}: its prompts come from {@code order}; {@code old} (the policy, when the
     * batch outlives it) and {@code reference} (when beta ≠ 0) add their log-probs, either may be null. A reference
     * with LoRA adapters is the policy itself and scores with them off.
     */
    Batch next(int round, PromptOrder order, Transformer old, Transformer reference) {
        long t0 = System.nanoTime();
        int groups = config.promptsPerGeneration();
        long seed = config.training().seed();
        Scored scored = generateAndScore(myShare(order.draw(groups * comm.size()), groups), GrpoTrainer.mix(seed, round, 0));
        int resampleRounds = 0;
        if (config.rollouts().dynamicSampling()) {
            // DAPO: keep only groups with a learning signal; draw more prompts until the batch is full. Under data
            // parallelism each rank fills its own share, and all go on while any rank still lacks signal groups.
            List<Scored> pool = new ArrayList<>(List.of(scored));
            while (mostMissing(groups - signalGroups(pool)) > 0 && resampleRounds < config.rollouts().maxResampleRounds()) {
                resampleRounds++;
                pool.add(generateAndScore(myShare(order.draw(groups * comm.size()), groups), GrpoTrainer.mix(seed, round, resampleRounds)));
            }
            scored = Scored.select(pool, groups, config.numGenerations(), this::hasSignal);
        }
        Gathered all = gather(scored);
        long advantageSeed = GrpoTrainer.mix(seed, round, resampleRounds + 1);
        // the KL penalty in the reward needs the reference pass first, so then the estimator runs after it (tokenLevel)
        boolean late = klPenalty != null || tokenLevelReturns();
        AdvantageResult advantages = late ? groupAdvantages(all) : advantages(all, scored, advantageSeed);
        int first = comm.rank() * scored.completions().size();
        List<Rollout> rollouts = scored.rollouts(config, weights, Arrays.copyOfRange(advantages.advantages(), first, first + scored.completions().size()));
        double seconds = (System.nanoTime() - t0) * 1e-9;
        // LoRA dropout masks follow the round, so a resumed run draws the same ones
        if (old != null && old.lora() != null) old.lora().setDropoutSeed(GrpoTrainer.mix(seed, round, 0xD0));
        long tLogps = System.nanoTime();
        if (old != null || reference != null) rollouts = withLogps(rollouts, old, reference);
        Map<String, Double> metrics = metrics(scored.scores().names(), all, advantages, resampleRounds);
        // gae: the critic's values, GAE's per-token returns and advantages (its critic/advantages/* replace the per-completion ones);
        // the other estimators here when their rewards are per token (use_kl_in_reward, or reinforce_plus_plus with γ < 1)
        if (critic != null || late) rollouts = tokenLevel(rollouts, scored.prompts(), advantageSeed, metrics);
        double logpSeconds = (System.nanoTime() - tLogps) * 1e-9;
        // TRL's DAPO/CISPO denominator under DDP: the whole batch's active tokens over the ranks, so the ranks' mean gradient is the batch's
        double[] activeTokens = {0};
        for (Rollout r : rollouts) activeTokens[0] += r.mask() * r.completion().length();
        comm.sumInPlace(activeTokens);
        return new Batch(rollouts, scored.scores(), metrics, activeTokens[0] / comm.size(), seconds, logpSeconds);
    }

    /** This rank's slice of the groups every rank drew (all of them in one process). */
    private List<Prompt> myShare(List<Prompt> drawn, int groups) {
        return drawn.subList(comm.rank() * groups, (comm.rank() + 1) * groups);
    }

    /**
     * The whole batch's advantages under {@code adv_estimator}; the reward metrics are always GRPO's (TRL's names).
     * ReMax first generates and scores its greedy baselines, one per group of this rank, gathered like the rewards.
     */
    private AdvantageResult advantages(Gathered all, Scored scored, long seed) {
        int G = config.numGenerations();
        AdvantageResult grpo = groupAdvantages(all);
        AdvantageEstimator estimator = config.rollouts().advEstimator();
        if (estimator == AdvantageEstimator.GRPO || estimator.needsCritic()) return grpo; // gae's come per token, from the critic
        double[] baselines = estimator.needsGreedyBaseline() ? gatherRanks(greedyRewards(scored.prompts(), seed)) : null;
        return grpo.withAdvantages(estimator.advantages(RewardAggregation.weightedSum(all.values(), weights), G, all.lengths(), baselines));
    }

    /** TRL's group normalisation of the weighted rewards: the reward metrics of every estimator. */
    private AdvantageResult groupAdvantages(Gathered all) {
        return RewardAggregation.advantages(all.values(), weights, config.numGenerations(), config.rollouts().scaleRewards(),
                config.rollouts().multiObjectiveAggregation());
    }

    /** REINFORCE++ with γ &lt; 1: its returns differ per token even without the KL penalty (verl's discounted return loop). */
    private boolean tokenLevelReturns() {
        return config.rollouts().advEstimator() == AdvantageEstimator.REINFORCE_PLUS_PLUS && config.critic().gamma() != 1.0;
    }

    /** This rank's completions packed end to end: token rewards (verl's {@code token_level_rewards}), and which have a reward. */
    record TokenRewards(int[] start, double[] rewards, boolean[] valid) {}

    /**
     * verl's order: token rewards (the weighted reward on the last token; with {@code use_kl_in_reward} minus β·KL on
     * every token, {@link RewardKlPenalty}), then the estimator on them — the critic's GAE, or, for the others, verl's
     * {@code compute_advantage}: grpo and rloo take each completion's summed token rewards into their group baselines,
     * reinforce_plus_plus whitens the discounted per-token returns over the whole batch, remax subtracts the greedy
     * baseline from each token's reward-to-go. Per-token advantages go into {@link Rollout#values()}.
     */
    private List<Rollout> tokenLevel(List<Rollout> rollouts, List<Prompt> prompts, long seed, Map<String, Double> metrics) {
        int B = rollouts.size();
        int[] start = new int[B + 1];
        double[] rewards = new double[B];
        boolean[] valid = new boolean[B];
        for (int b = 0; b < B; b++) {
            start[b + 1] = start[b] + rollouts.get(b).completion().length();
            rewards[b] = rollouts.get(b).reward();
            valid[b] = !Double.isNaN(rewards[b]);
        }
        double[] tokenRewards = new double[start[B]];
        Gae.outcomeRewards(start, rewards, valid, tokenRewards);
        if (klPenalty != null) metrics.putAll(klPenalty.apply(rollouts, start, tokenRewards));
        TokenRewards tr = new TokenRewards(start, tokenRewards, valid);
        if (critic != null) return critic.attach(rollouts, tr, metrics);
        AdvantageEstimator e = config.rollouts().advEstimator();
        int G = config.numGenerations();
        TokenLevel.Result res = TokenLevel.advantages(e, start, tokenRewards, valid, G, config.rollouts().scaleRewards(), config.critic().gamma(),
                e.needsGreedyBaseline() ? greedyRewards(prompts, seed) : null, comm);
        metrics.putAll(sequenceRewardMetrics(res.sums()));
        List<Rollout> out = new ArrayList<>(B);
        for (int b = 0; b < B; b++) {
            int from = start[b], to = start[b + 1];
            out.add(res.sequence() != null ? rollouts.get(b).withAdvantage(res.sequence()[b])
                    : rollouts.get(b).withValues(ValueTargets.of(null, res.returns(), res.tokens(), from, to), res.tokens(), from, to));
        }
        putAdvantageMetrics(metrics, tr, res.tokens() != null ? res.tokens() : perToken(start, res.sequence()));
        return out;
    }

    /** verl's {@code critic/rewards/mean|max|min}: the completions' summed token rewards (with the KL penalty), whole batch. */
    private static Map<String, Double> sequenceRewardMetrics(double[] sums) {
        double n = 0, s = 0, max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        for (double x : sums) {
            if (Double.isNaN(x)) continue;
            n++;
            s += x;
            max = Math.max(max, x);
            min = Math.min(min, x);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("critic/rewards/mean", n == 0 ? Double.NaN : s / n);
        m.put("critic/rewards/max", n == 0 ? Double.NaN : max);
        m.put("critic/rewards/min", n == 0 ? Double.NaN : min);
        return m;
    }

    /** This rank's per-token copy of per-completion advantages (for the metrics). */
    private static double[] perToken(int[] start, double[] adv) {
        double[] t = new double[start[start.length - 1]];
        for (int b = 0; b + 1 < start.length; b++) Arrays.fill(t, start[b], start[b + 1], adv[b]);
        return t;
    }

    /** verl's {@code critic/advantages/mean|max|min} over every valid completion token of the whole batch. */
    private void putAdvantageMetrics(Map<String, Double> m, TokenRewards tr, double[] adv) {
        double[] sum = {0, 0}, ext = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int b = 0; b < tr.valid().length; b++) {
            if (!tr.valid()[b]) continue;
            for (int i = tr.start()[b]; i < tr.start()[b + 1]; i++) {
                sum[0]++;
                sum[1] += adv[i];
                ext[0] = Math.max(ext[0], adv[i]);
                ext[1] = Math.max(ext[1], -adv[i]);
            }
        }
        comm.sumInPlace(sum);
        comm.maxInPlace(ext);
        m.put("critic/advantages/mean", sum[0] == 0 ? 0.0 : sum[1] / sum[0]);
        m.put("critic/advantages/max", sum[0] == 0 ? 0.0 : ext[0]);
        m.put("critic/advantages/min", sum[0] == 0 ? 0.0 : -ext[1]);
    }

    /** ReMax's baselines: the weighted reward of one greedy completion per prompt, scored by the same reward functions. */
    private double[] greedyRewards(List<Prompt> prompts, long seed) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : prompts) ids.add(p.ids());
        List<Completion> greedy = generator.generate(ids, config.sampling().greedy(stopTokenIds, seed), comm.rank() * prompts.size());
        RewardScores scores = scoring.score(samples(prompts, greedy, 1));
        for (RewardFailure f : scores.failures())
            say.accept("warning: reward '" + f.name() + "' failed on " + f.count() + " greedy baseline(s) (remax: that group's advantages are 0): "
                    + f.firstMessage());
        return RewardAggregation.weightedSum(scores.values(), weights);
    }

    private double[] gatherRanks(double[] mine) {
        return TokenLevel.gatherRanks(mine, comm);
    }

    /** The largest of the ranks' {@code missing} counts. */
    private double mostMissing(int missing) {
        double[] m = {missing};
        comm.maxInPlace(m);
        return m[0];
    }

    /** What the whole batch's advantages and metrics need from every rank: rewards, lengths and truncation. */
    record Gathered(double[][] values, double[] lengths, double[] truncated) {}

    /**
     * All ranks' rewards (per function), completion lengths and truncation flags in rank order: each rank writes its
     * slice into zeros and a sum puts the slices side by side. NaN (not applicable) survives the sum, as NaN + 0.
     */
    private Gathered gather(Scored s) {
        int n = s.completions().size(), F = s.scores().names().size(), N = comm.size(), first = comm.rank() * n;
        double[] buf = new double[(F + 2) * n * N];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < F; f++) buf[f * n * N + first + i] = s.scores().values()[f][i];
            Completion c = s.completions().get(i);
            buf[F * n * N + first + i] = c.length();
            buf[(F + 1) * n * N + first + i] = c.finishReason() == Completion.FinishReason.LENGTH ? 1 : 0;
        }
        comm.sumInPlace(buf);
        double[][] values = new double[F][];
        for (int f = 0; f < F; f++) values[f] = Arrays.copyOfRange(buf, f * n * N, (f + 1) * n * N);
        return new Gathered(values, Arrays.copyOfRange(buf, F * n * N, (F + 1) * n * N), Arrays.copyOfRange(buf, (F + 1) * n * N, (F + 2) * n * N));
    }

    /** One generation round: completions and their per-function rewards. */
    private Scored generateAndScore(List<Prompt> batch, long seed) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : batch) ids.add(p.ids());
        int G = config.numGenerations();
        // a group's samples are seeded by its index in the whole batch, so they do not depend on the number of ranks
        List<Completion> completions = generator.generate(ids, config.sampling().params(G, stopTokenIds, seed), comm.rank() * batch.size());
        List<Sample> samples = samples(batch, completions, G);
        RewardScores scores = scoring.score(samples);
        for (RewardFailure f : scores.failures())
            say.accept("warning: reward '" + f.name() + "' failed on " + f.count() + " sample(s) (scored as NaN): " + f.firstMessage());
        scores.requireAnyFinite();
        return new Scored(batch, completions, samples, scores);
    }

    /** What the reward functions see of each completion ({@code perPrompt} consecutive completions per prompt). */
    private List<Sample> samples(List<Prompt> prompts, List<Completion> completions, int perPrompt) {
        List<Sample> samples = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            Prompt p = prompts.get(i / perPrompt);
            Completion c = completions.get(i);
            samples.add(new Sample(p.text(), text(c), c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        return samples;
    }

    String text(Completion c) {
        return c.text() != null ? c.text() : decoder != null ? decoder.apply(c.tokenIds()) : "";
    }

    /**
     * The one definition of a group with a learning signal: its weighted rewards are not all equal (TRL's
     * {@code frac_reward_zero_std}: std ≤ 1e-8, see {@link AdvantageResult#zeroStdGroups}).
     */
    private boolean[] hasSignal(Scored s) {
        boolean[] zero = s.advantages(config, weights).zeroStdGroups(), signal = new boolean[zero.length];
        for (int g = 0; g < zero.length; g++) signal[g] = !zero[g];
        return signal;
    }

    private int signalGroups(List<Scored> pool) {
        int n = 0;
        for (Scored s : pool) for (boolean b : hasSignal(s)) if (b) n++;
        return n;
    }

    /** The reference's log-probs; a LoRA policy is its own reference with the adapters off (TRL's disable_adapter()). */
    private static float[] referenceLogps(Transformer ref, TokenBatch batch, float temperature) {
        if (ref.lora() == null) return ref.score(batch, temperature).logp();
        ref.lora().setEnabled(false);
        try {
            return ref.score(batch, temperature).logp();
        } finally {
            ref.lora().setEnabled(true);
        }
    }

    /** Adds old (policy) and reference log-probs to every rollout, in micro-batches. */
    private List<Rollout> withLogps(List<Rollout> rollouts, Transformer old, Transformer ref) {
        List<Rollout> out = new ArrayList<>(rollouts.size());
        float temperature = (float) config.sampling().temperature();
        int bs = config.batch().perDeviceTrainBatchSize();
        for (int i = 0; i < rollouts.size(); i += bs) {
            List<Rollout> mb = rollouts.subList(i, Math.min(rollouts.size(), i + bs));
            TokenBatch batch = Rollout.batchOf(mb);
            float[] o = old == null ? null : old.score(batch, temperature).logp();
            float[] r = ref == null ? null : referenceLogps(ref, batch, temperature);
            for (int k = 0; k < mb.size(); k++) {
                int a = batch.targetStart()[k], b = batch.targetStart()[k + 1];
                out.add(mb.get(k).withLogps(o == null ? null : Arrays.copyOfRange(o, a, b), r == null ? null : Arrays.copyOfRange(r, a, b)));
            }
        }
        return out;
    }

    /** TRL's reward and completion metrics of the batch. */
    private Map<String, Double> metrics(List<String> names, Gathered all, AdvantageResult advantages, int resampleRounds) {
        Map<String, Double> m = new LinkedHashMap<>(advantages.metrics());
        m.putAll(RewardAggregation.functionMetrics(names, all.values()));
        double sum = 0, min = Double.MAX_VALUE, max = 0, tSum = 0, tMin = Double.MAX_VALUE, tMax = 0;
        int terminated = 0;
        for (int i = 0; i < all.lengths().length; i++) {
            double len = all.lengths()[i];
            sum += len;
            min = Math.min(min, len);
            max = Math.max(max, len);
            if (all.truncated()[i] == 0) {
                terminated++;
                tSum += len;
                tMin = Math.min(tMin, len);
                tMax = Math.max(tMax, len);
            }
        }
        int n = all.lengths().length;
        m.put("completions/mean_length", sum / n);
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        m.put("completions/mean_terminated_length", terminated == 0 ? 0 : tSum / terminated);
        m.put("completions/min_terminated_length", terminated == 0 ? 0 : tMin);
        m.put("completions/max_terminated_length", terminated == 0 ? 0 : tMax);
        m.put("completions/clipped_ratio", (n - terminated) / (double) n);
        if (config.rollouts().dynamicSampling()) m.put("dynamic_sampling/resample_rounds", (double) resampleRounds);
        // verl's advantage statistics over every completion token of the batch (a completion's tokens share its advantage)
        double tokens = 0, aSum = 0, aMin = Double.POSITIVE_INFINITY, aMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double a = advantages.advantages()[i], len = all.lengths()[i];
            tokens += len;
            aSum += len * a;
            if (len > 0) {
                aMin = Math.min(aMin, a);
                aMax = Math.max(aMax, a);
            }
        }
        m.put("critic/advantages/mean", tokens == 0 ? 0.0 : aSum / tokens);
        m.put("critic/advantages/max", tokens == 0 ? 0.0 : aMax);
        m.put("critic/advantages/min", tokens == 0 ? 0.0 : aMin);
        return m;
    }

    /** A generation round with its rewards, before advantages. */
    record Scored(List<Prompt> prompts, List<Completion> completions, List<Sample> samples, RewardScores scores) {
        AdvantageResult advantages(GrpoConfig c, double[] w) {
            return RewardAggregation.advantages(scores.values(), w, c.numGenerations(), c.rollouts().scaleRewards(),
                    c.rollouts().multiObjectiveAggregation());
        }

        List<Rollout> rollouts(GrpoConfig c, double[] w, double[] advantages) {
            double[] summed = RewardAggregation.weightedSum(scores.values(), w);
            boolean maskTruncated = c.rollouts().maskTruncatedCompletions();
            int G = c.numGenerations();
            List<Rollout> out = new ArrayList<>(completions.size());
            for (int i = 0; i < completions.size(); i++) {
                Completion comp = completions.get(i);
                float mask = maskTruncated && comp.finishReason() == Completion.FinishReason.LENGTH ? 0f : 1f;
                out.add(new Rollout(prompts.get(i / G), comp, mask, summed[i], advantages[i], null, null, null));
            }
            return out;
        }

        /** The first {@code groups} groups with a learning signal from all rounds, topped up with signal-free ones. */
        static Scored select(List<Scored> pool, int groups, int G, Function<Scored, boolean[]> signal) {
            List<Prompt> ps = new ArrayList<>();
            List<Completion> cs = new ArrayList<>();
            List<Sample> ss = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
            List<String[]> reasons = new ArrayList<>();
            List<String> names = pool.get(0).scores.names();
            List<RewardFailure> failures = new ArrayList<>();
            for (Scored s : pool) failures.addAll(s.scores.failures());
            for (boolean withSignal : new boolean[] {true, false})
                for (Scored s : pool) {
                    boolean[] has = signal.apply(s);
                    for (int g = 0; g < s.prompts.size() && ps.size() < groups; g++) {
                        if (has[g] != withSignal) continue;
                        ps.add(s.prompts.get(g));
                        for (int k = g * G; k < (g + 1) * G; k++) {
                            cs.add(s.completions.get(k));
                            ss.add(s.samples.get(k));
                            double[] v = new double[names.size()];
                            String[] why = new String[names.size()];
                            for (int f = 0; f < v.length; f++) {
                                v[f] = s.scores.values()[f][k];
                                why[f] = s.scores.reason(f, k);
                            }
                            values.add(v);
                            reasons.add(why);
                        }
                    }
                }
            double[][] byFunction = new double[names.size()][values.size()];
            String[][] whyByFunction = new String[names.size()][];
            for (int f = 0; f < names.size(); f++) if (pool.get(0).scores.reasons()[f] != null) whyByFunction[f] = new String[values.size()];
            for (int i = 0; i < values.size(); i++)
                for (int f = 0; f < names.size(); f++) {
                    byFunction[f][i] = values.get(i)[f];
                    if (whyByFunction[f] != null) whyByFunction[f][i] = reasons.get(i)[f];
                }
            return new Scored(ps, cs, ss, new RewardScores(names, byFunction, failures, whyByFunction));
        }
    }
}
