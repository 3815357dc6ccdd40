package org.grpo4j.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.Sample;

/**
 * The first phase of a GRPO step (TRL's {@code _generate_and_score_completions}): draw the prompts of a generation
 * batch, sample G completions each, score them with the reward functions, keep only groups with a learning signal
 * under dynamic sampling, turn rewards into advantages, and attach the log-probs of the policy that sampled them
 * and of the reference model where the loss needs them. Another advantage estimator ({@code adv_estimator}, a
 * critic's values) replaces {@link Scored#advantages}; nothing after this phase needs to change for it.
 */
final class Rollouts {
    /** One generation batch, ready for the update: the rollouts and the metrics of its sampling and scoring. */
    record Batch(List<Rollout> rollouts, Map<String, Double> metrics, double activeTokens, double seconds) {}

    private final GrpoConfig config;
    private final Generator generator;
    private final RewardScoring scoring;
    private final double[] weights;
    private final Function<int[], String> decoder;
    private final int[] stopTokenIds;
    private final Consumer<String> say;

    Rollouts(GrpoConfig config, Generator generator, RewardScoring scoring, double[] weights, Function<int[], String> decoder, int[] stopTokenIds,
             Consumer<String> say) {
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
        Scored scored = generateAndScore(order.draw(groups), GrpoTrainer.mix(seed, round, 0));
        int resampleRounds = 0;
        if (config.rollouts().dynamicSampling()) {
            // DAPO: keep only groups with a learning signal; draw more prompts until the batch is full
            List<Scored> pool = new ArrayList<>(List.of(scored));
            while (signalGroups(pool) < groups && resampleRounds < config.rollouts().maxResampleRounds()) {
                resampleRounds++;
                pool.add(generateAndScore(order.draw(groups), GrpoTrainer.mix(seed, round, resampleRounds)));
            }
            scored = Scored.select(pool, groups, config.numGenerations(), this::hasSignal);
        }
        AdvantageResult advantages = scored.advantages(config, weights);
        List<Rollout> rollouts = scored.rollouts(config, weights, advantages);
        double seconds = (System.nanoTime() - t0) * 1e-9;
        // LoRA dropout masks follow the round, so a resumed run draws the same ones
        if (old != null && old.lora() != null) old.lora().setDropoutSeed(GrpoTrainer.mix(seed, round, 0xD0));
        if (old != null || reference != null) rollouts = withLogps(rollouts, old, reference);
        double activeTokens = 0;
        for (Rollout r : rollouts) activeTokens += r.mask() * r.completion().length();
        return new Batch(rollouts, metrics(scored, advantages, rollouts, resampleRounds), activeTokens, seconds);
    }

    /** One generation round: completions and their per-function rewards. */
    private Scored generateAndScore(List<Prompt> batch, long seed) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : batch) ids.add(p.ids());
        int G = config.numGenerations();
        List<Completion> completions = generator.generate(ids, config.sampling().params(G, stopTokenIds, seed));
        List<Sample> samples = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            Prompt p = batch.get(i / G);
            Completion c = completions.get(i);
            samples.add(new Sample(p.text(), text(c), c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        RewardScores scores = scoring.score(samples);
        for (RewardFailure f : scores.failures())
            say.accept("warning: reward '" + f.name() + "' failed on " + f.count() + " sample(s) (scored as NaN): " + f.firstMessage());
        scores.requireAnyFinite();
        return new Scored(batch, completions, samples, scores);
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
        if (ref.lora() == null) return ref.forward(batch, temperature).logp();
        ref.lora().setEnabled(false);
        try {
            return ref.forward(batch, temperature).logp();
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
            float[] o = old == null ? null : old.forward(batch, temperature).logp();
            float[] r = ref == null ? null : referenceLogps(ref, batch, temperature);
            for (int k = 0; k < mb.size(); k++) {
                int a = batch.targetStart()[k], b = batch.targetStart()[k + 1];
                out.add(mb.get(k).withLogps(o == null ? null : Arrays.copyOfRange(o, a, b), r == null ? null : Arrays.copyOfRange(r, a, b)));
            }
        }
        return out;
    }

    /** TRL's reward and completion metrics of the batch. */
    private Map<String, Double> metrics(Scored scored, AdvantageResult advantages, List<Rollout> rollouts, int resampleRounds) {
        Map<String, Double> m = new LinkedHashMap<>(advantages.metrics());
        m.putAll(RewardAggregation.functionMetrics(scored.scores().names(), scored.scores().values()));
        double sum = 0, min = Double.MAX_VALUE, max = 0, tSum = 0, tMin = Double.MAX_VALUE, tMax = 0;
        int terminated = 0;
        for (Rollout r : rollouts) {
            int len = r.completion().length();
            sum += len;
            min = Math.min(min, len);
            max = Math.max(max, len);
            if (r.completion().finishReason() != Completion.FinishReason.LENGTH) {
                terminated++;
                tSum += len;
                tMin = Math.min(tMin, len);
                tMax = Math.max(tMax, len);
            }
        }
        int n = rollouts.size();
        m.put("completions/mean_length", sum / n);
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        m.put("completions/mean_terminated_length", terminated == 0 ? 0 : tSum / terminated);
        m.put("completions/min_terminated_length", terminated == 0 ? 0 : tMin);
        m.put("completions/max_terminated_length", terminated == 0 ? 0 : tMax);
        m.put("completions/clipped_ratio", (n - terminated) / (double) n);
        if (config.rollouts().dynamicSampling()) m.put("dynamic_sampling/resample_rounds", (double) resampleRounds);
        return m;
    }

    /** A generation round with its rewards, before advantages. */
    record Scored(List<Prompt> prompts, List<Completion> completions, List<Sample> samples, RewardScores scores) {
        AdvantageResult advantages(GrpoConfig c, double[] w) {
            return RewardAggregation.advantages(scores.values(), w, c.numGenerations(), c.rollouts().scaleRewards(),
                    c.rollouts().multiObjectiveAggregation());
        }

        List<Rollout> rollouts(GrpoConfig c, double[] w, AdvantageResult adv) {
            double[] summed = RewardAggregation.weightedSum(scores.values(), w);
            boolean maskTruncated = c.rollouts().maskTruncatedCompletions();
            int G = c.numGenerations();
            List<Rollout> out = new ArrayList<>(completions.size());
            for (int i = 0; i < completions.size(); i++) {
                Completion comp = completions.get(i);
                float mask = maskTruncated && comp.finishReason() == Completion.FinishReason.LENGTH ? 0f : 1f;
                out.add(new Rollout(prompts.get(i / G), comp, mask, summed[i], adv.advantages()[i], null, null));
            }
            return out;
        }

        /** The first {@code groups} groups with a learning signal from all rounds, topped up with signal-free ones. */
        static Scored select(List<Scored> pool, int groups, int G, Function<Scored, boolean[]> signal) {
            List<Prompt> ps = new ArrayList<>();
            List<Completion> cs = new ArrayList<>();
            List<Sample> ss = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
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
                            for (int f = 0; f < v.length; f++) v[f] = s.scores.values()[f][k];
                            values.add(v);
                        }
                    }
                }
            double[][] byFunction = new double[names.size()][values.size()];
            for (int i = 0; i < values.size(); i++) for (int f = 0; f < names.size(); f++) byFunction[f][i] = values.get(i)[f];
            return new Scored(ps, cs, ss, new RewardScores(names, byFunction, failures));
        }
    }
}
