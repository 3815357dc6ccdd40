package org.grpo4j.grpo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.model.MemoryPlan;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.optim.LearningRateSchedule;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.train.Checkpoints;
import org.grpo4j.train.MetricsLog;
import org.grpo4j.train.StopSignal;
import org.grpo4j.train.TrainerState;
import org.grpo4j.train.TrainingArguments;

/**
 * The GRPO loop with TRL's semantics ({@code ../shared/spec/grpo-semantics.md}): sample G completions for each
 * prompt of a generation batch → score them with the reward functions → group-normalised advantages → for
 * {@code num_iterations} passes, the shuffled batch is cut into micro-batches of
 * {@code per_device_train_batch_size} completions, each a forward, the clipped/KL-regularised loss
 * ({@link GrpoLoss}) and a backward; every {@code gradient_accumulation_steps} micro-batches make one AdamW step.
 *
 * <p>Every random choice is a function of (seed, step): prompt order per epoch and sampling per generation round,
 * so a run resumed from a checkpoint continues exactly as the uninterrupted one. Checkpoints are written at the
 * end of a generation batch (the first one at or after each {@code save_steps} multiple), so nothing in flight
 * has to be saved.
 */
public final class GrpoTrainer {
    /** What a run did. */
    public record Result(int steps, Map<String, Double> lastMetrics, Evaluation.Result evaluation, boolean stopped, Path lastCheckpoint) {}

    private final Transformer policy;
    private final GrpoConfig config;
    private final List<Prompt> prompts, evalPrompts;
    private final List<RewardFunction> rewards;
    private final double[] weights;
    private final Function<int[], String> decoder;
    private final int[] stopTokenIds;
    private final Path tokenizerDir;
    private final PrintStream console;
    private final StopSignal stop;
    private final RewardScoring scoring;
    private final GrpoLoss loss = new GrpoLoss();
    private Transformer reference;
    private volatile MetricsLog log;

    /**
     * @param decoder       token ids → text for reward functions (the tokenizer's decode, skipping special tokens)
     * @param stopTokenIds  ids that end a completion (EOS); null means the model config's
     * @param tokenizerDir  the model folder whose tokenizer files every checkpoint carries (may be null)
     */
    public GrpoTrainer(Transformer policy, GrpoConfig config, List<Prompt> prompts, List<Prompt> evalPrompts, List<? extends RewardFunction> rewards,
                       Function<int[], String> decoder, int[] stopTokenIds, Path tokenizerDir, PrintStream console, StopSignal stop) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("the GRPO training set has no prompts");
        if (rewards.isEmpty()) throw new IllegalArgumentException("GRPO needs at least one reward function");
        this.policy = config.peft().apply(policy, config.training().seed());
        this.config = config;
        this.prompts = List.copyOf(prompts);
        this.evalPrompts = evalPrompts == null ? List.of() : List.copyOf(evalPrompts);
        this.rewards = List.copyOf(rewards);
        this.weights = config.rollouts().weights(rewards.size());
        this.decoder = decoder;
        this.stopTokenIds = stopTokenIds;
        this.tokenizerDir = tokenizerDir;
        this.console = console;
        this.stop = stop == null ? new StopSignal() : stop;
        this.scoring = new RewardScoring(this.rewards, config.rollouts().rewardTimeout());
        int maxPrompt = 0;
        for (Prompt p : prompts) maxPrompt = Math.max(maxPrompt, p.ids().length);
        if (maxPrompt > config.sampling().maxPromptLength())
            throw new IllegalArgumentException("a prompt has " + maxPrompt + " tokens but max_prompt_length = " + config.sampling().maxPromptLength()
                    + "; raise max_prompt_length or shorten the prompts");
        int maxLen = maxPrompt + config.sampling().maxCompletionLength();
        if (maxLen > policy.config().maxPositionEmbeddings())
            throw new IllegalArgumentException("max_prompt_length + max_completion_length = " + maxLen + " exceeds the model's max_position_embeddings = "
                    + policy.config().maxPositionEmbeddings());
    }

    /** The metrics log of the run (the REPL's status line and {@code :metrics}); null before the run starts. */
    public MetricsLog metricsLog() {
        return log;
    }

    public StopSignal stopSignal() {
        return stop;
    }

    int generationsPerEpoch() {
        return (prompts.size() + config.promptsPerGeneration() - 1) / config.promptsPerGeneration();
    }

    /** Optimiser steps per generation batch: {@code steps_per_generation × num_iterations / gradient_accumulation_steps}. */
    int stepsPerGenerationBatch() {
        return Math.max(1, config.stepsPerGeneration() * config.batch().numIterations() / config.batch().gradientAccumulationSteps());
    }

    public int totalSteps() {
        if (config.training().maxSteps() > 0) return config.training().maxSteps();
        return (int) Math.ceil(config.training().numTrainEpochs() * generationsPerEpoch()) * stepsPerGenerationBatch();
    }

    /** The prompt order of an epoch: a seeded shuffle. */
    List<Prompt> epochOrder(int epoch) {
        List<Prompt> order = new ArrayList<>(prompts);
        Collections.shuffle(order, new java.util.Random(mix(config.training().seed(), 0x5EED, epoch)));
        return order;
    }

    static long mix(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + c;
        return h ^ (h >>> 29);
    }

    SamplingParams sampling(long seed) {
        return config.sampling().params(config.numGenerations(), stopTokenIds, seed);
    }

    public Result train() throws IOException {
        int total = totalSteps(), G = config.numGenerations(), bs = config.batch().perDeviceTrainBatchSize();
        int ga = config.batch().gradientAccumulationSteps(), mu = config.batch().numIterations();
        boolean needOld = config.batch().reusesBatch();
        double beta = config.loss().beta();
        int maxPrompt = 0;
        for (Prompt p : prompts) maxPrompt = Math.max(maxPrompt, p.ids().length);
        int maxLen = maxPrompt + config.sampling().maxCompletionLength();
        MemoryPlan plan = MemoryPlan.training(policy, bs, maxLen, config.sampling().maxCompletionLength(), beta != 0);
        plan.requireFits(MemoryPlan.availableHeap());

        AdamW opt = config.training().optimizer(policy);
        LearningRateSchedule schedule = config.training().schedule(total);
        // with LoRA the reference is the policy with its adapters off (TRL's disable_adapter()): no second model
        if (beta != 0 && policy.lora() == null) {
            reference = Transformer.create(policy.config(), policy.backend());
            reference.copyFrom(policy);
        }
        Path out = Path.of(config.training().outputDir());
        TrainerState state = TrainerState.start(config.training().seed());
        Path resume = Checkpoints.resolveResume(config.training().resumeFromCheckpoint(), out);
        if (resume != null) {
            state = Checkpoints.restore(resume, policy, opt);
            if (reference != null) {
                Path ref = resume.resolve("reference");
                if (java.nio.file.Files.isDirectory(ref)) {
                    try (SafetensorsModel w = SafetensorsModel.open(ref)) {
                        reference.loadWeights(w);
                    }
                }
            }
            say("resumed from " + resume + " at step " + state.globalStep());
        }
        policy.setTraining(true); // LoRA dropout in the policy's forwards, as TRL's model.train()
        Generator generator = new Generator(policy, decoder);
        int keep = config.training().checkpointsKept();
        int saveEvery = config.training().saveSteps(), logEvery = config.training().loggingSteps();
        Integer evalEvery = config.training().evalSteps();
        Map<String, Double> last = Map.of();
        Evaluation.Result evaluation = null;
        Path lastCheckpoint = resume;
        int nextSave = (state.globalStep() / saveEvery + 1) * saveEvery;
        long tokensSeen = state.tokensSeen();
        boolean stopped = false;

        try (MetricsLog metrics = new MetricsLog(out, total, state.globalStep(), console)) {
            log = metrics;
            int step = state.globalStep(), epoch = state.epoch(), pos = state.position();
            List<Prompt> order = epochOrder(epoch);
            Map<String, List<Double>> window = new LinkedHashMap<>();
            while (step < total && !stop.requested()) {
                long tGen = System.nanoTime();
                // ---------------------------------------------------------------- a generation batch
                int round = step / stepsPerGenerationBatch();
                List<Prompt> batchPrompts = new ArrayList<>();
                while (batchPrompts.size() < config.promptsPerGeneration()) {
                    if (pos >= order.size()) {
                        epoch++;
                        pos = 0;
                        order = epochOrder(epoch);
                    }
                    batchPrompts.add(order.get(pos++));
                }
                Scored scored;
                try {
                    scored = generateAndScore(generator, batchPrompts, mix(config.training().seed(), round, 0));
                } catch (java.util.concurrent.CancellationException e) {
                    if (stop.requested()) break; // interrupted while rewards were scoring: stop with the last finished step
                    throw e;
                }
                int resampleRounds = 0;
                if (config.rollouts().dynamicSampling()) {
                    // DAPO: keep only groups with a learning signal; draw more prompts until the batch is full
                    List<Scored> pool = new ArrayList<>(List.of(scored));
                    while (countSignal(pool) < config.promptsPerGeneration() && resampleRounds < config.rollouts().maxResampleRounds()) {
                        resampleRounds++;
                        List<Prompt> more = new ArrayList<>();
                        while (more.size() < config.promptsPerGeneration()) {
                            if (pos >= order.size()) {
                                epoch++;
                                pos = 0;
                                order = epochOrder(epoch);
                            }
                            more.add(order.get(pos++));
                        }
                        pool.add(generateAndScore(generator, more, mix(config.training().seed(), round, resampleRounds)));
                    }
                    scored = Scored.select(pool, config.promptsPerGeneration(), G, weights);
                }
                AdvantageResult advantages = scored.advantages(config, weights);
                List<Rollout> rollouts = scored.rollouts(config, weights, G, advantages);
                double genSeconds = (System.nanoTime() - tGen) * 1e-9;
                // log-probs of the policy that generated the batch (only when it is reused) and of the reference
                boolean hasRef = reference != null || (beta != 0 && policy.lora() != null);
                // LoRA dropout masks follow (seed, round, step), not a running count, so a resumed run draws the same ones
                if (policy.lora() != null) policy.lora().setDropoutSeed(mix(config.training().seed(), round, 0xD0));
                if (needOld || hasRef) rollouts = withLogps(rollouts, needOld ? policy : null, hasRef, bs);
                double activeTokens = 0;
                for (Rollout r : rollouts) activeTokens += r.mask() * r.completion().length();
                Map<String, Double> batchMetrics = batchMetrics(scored, advantages, rollouts, resampleRounds);
                LossScale scale = new LossScale(ga, config.sampling().maxCompletionLength(), activeTokens);

                // ---------------------------------------------------------------- updates on this batch
                for (int it = 0; it < mu && !stop.requested(); it++) {
                    List<Rollout> shuffled = new ArrayList<>(rollouts);
                    Collections.shuffle(shuffled, new java.util.Random(mix(config.training().seed(), round, 1000 + it)));
                    for (int s0 = 0; s0 < shuffled.size() && step < total && !stop.requested(); s0 += bs * ga) {
                        long t0 = System.nanoTime();
                        policy.zeroGrad();
                        if (policy.lora() != null) policy.lora().setDropoutSeed(mix(config.training().seed(), step, 0xD1));
                        Map<String, Double> stepMetrics = new LinkedHashMap<>();
                        double stepLoss = 0;
                        int micro = 0;
                        for (int m0 = s0; m0 < Math.min(shuffled.size(), s0 + bs * ga); m0 += bs) {
                            List<Rollout> mb = shuffled.subList(m0, Math.min(shuffled.size(), m0 + bs));
                            LossResult r = trainMicroBatch(mb, scale);
                            stepLoss += r.loss();
                            accumulate(stepMetrics, r.metrics());
                            for (Rollout ro : mb) tokensSeen += ro.prompt().ids().length + ro.completion().length();
                            micro++;
                        }
                        double norm = AdamW.clipGradNorm(policy.trainable(), config.training().maxGradNorm());
                        double lr = schedule.at(step);
                        opt.step(lr);
                        step++;
                        if (reference != null && config.reference().syncAfter(step)) syncReference();
                        Map<String, Double> m = new LinkedHashMap<>();
                        m.put("loss", stepLoss);
                        m.put("grad_norm", norm);
                        m.put("learning_rate", lr);
                        m.put("num_tokens", (double) tokensSeen);
                        for (var e : stepMetrics.entrySet()) m.put(e.getKey(), e.getValue() / micro);
                        m.putAll(batchMetrics);
                        m.put("step_time", (System.nanoTime() - t0) * 1e-9 + genSeconds);
                        genSeconds = 0;
                        m.put("epoch", epoch + pos / (double) prompts.size());
                        for (var e : m.entrySet()) window.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
                        boolean evalNow = evalEvery != null && step % evalEvery == 0 && !evalPrompts.isEmpty();
                        if (step % logEvery == 0 || step == total || evalNow) {
                            last = averaged(window);
                            window.clear();
                            if (evalNow) {
                                evaluation = evaluate(generator);
                                last.putAll(evaluation.metrics());
                            }
                            metrics.log(step, last);
                            if (config.completionLog().logCompletions()) metrics.completions(step, table(rollouts));
                        }
                    }
                }
                state = new TrainerState(step, epoch, pos, state.seed(), tokensSeen);
                if (step >= nextSave && step < total && !stop.requested()) {
                    lastCheckpoint = save(out, opt, state, keep);
                    nextSave = (step / saveEvery + 1) * saveEvery;
                }
            }
            stopped = stop.requested();
            if (!evalPrompts.isEmpty() && !stopped) {
                evaluation = evaluate(generator);
                Map<String, Double> m = new LinkedHashMap<>(evaluation.metrics());
                metrics.log(state.globalStep(), m);
                last = new LinkedHashMap<>(last);
                last.putAll(m);
            }
            lastCheckpoint = save(out, opt, state, keep);
            if (stopped) say("stopped (" + stop.reason() + ") at step " + state.globalStep() + "; checkpoint " + lastCheckpoint);
        }
        return new Result(state.globalStep(), last, evaluation, stopped, lastCheckpoint);
    }

    private Path save(Path out, AdamW opt, TrainerState state, int keep) throws IOException {
        Path p = Checkpoints.save(out, policy, opt, state, tokenizerDir, keep);
        if (reference != null) reference.save(p.resolve("reference"), org.grpo4j.safetensors.DType.F32);
        return p;
    }

    private void say(String s) {
        if (console != null) console.println(s);
    }

    /** One generation round: completions and their per-function rewards. */
    private Scored generateAndScore(Generator generator, List<Prompt> batch, long seed) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : batch) ids.add(p.ids());
        List<Completion> completions = generator.generate(ids, sampling(seed));
        int G = config.numGenerations();
        List<Sample> samples = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            Prompt p = batch.get(i / G);
            Completion c = completions.get(i);
            String text = c.text() != null ? c.text() : decoder != null ? decoder.apply(c.tokenIds()) : "";
            samples.add(new Sample(p.text(), text, c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        RewardScores scores = scoring.score(samples);
        for (RewardFailure f : scores.failures())
            say("warning: reward '" + f.name() + "' failed on " + f.count() + " sample(s) (scored as NaN): " + f.firstMessage());
        scores.requireAnyFinite();
        return new Scored(batch, completions, samples, scores);
    }

    private int countSignal(List<Scored> pool) {
        int n = 0;
        for (Scored s : pool) n += s.signalGroups(config, weights);
        return n;
    }

    /** Adds old (policy) and reference log-probs to every rollout, in micro-batches. */
    private List<Rollout> withLogps(List<Rollout> rollouts, Transformer old, boolean withRef, int bs) {
        List<Rollout> out = new ArrayList<>(rollouts.size());
        float temperature = (float) config.sampling().temperature();
        for (int i = 0; i < rollouts.size(); i += bs) {
            List<Rollout> mb = rollouts.subList(i, Math.min(rollouts.size(), i + bs));
            TokenBatch batch = batchOf(mb);
            float[] o = old == null ? null : old.forward(batch, temperature).logp();
            float[] r = withRef ? referenceLogps(batch, temperature) : null;
            for (int k = 0; k < mb.size(); k++) {
                int a = batch.targetStart()[k], b = batch.targetStart()[k + 1];
                out.add(mb.get(k).withLogps(o == null ? null : java.util.Arrays.copyOfRange(o, a, b), r == null ? null : java.util.Arrays.copyOfRange(r, a, b)));
            }
        }
        return out;
    }

    /** The reference model's log-probs: a frozen copy, or with LoRA the policy's own base with the adapters off. */
    private float[] referenceLogps(TokenBatch batch, float temperature) {
        if (reference != null) return reference.forward(batch, temperature).logp();
        policy.lora().setEnabled(false);
        try {
            return policy.forward(batch, temperature).logp();
        } finally {
            policy.lora().setEnabled(true);
        }
    }

    static TokenBatch batchOf(List<Rollout> mb) {
        List<int[]> seqs = new ArrayList<>(mb.size());
        int[] first = new int[mb.size()];
        for (int k = 0; k < mb.size(); k++) {
            seqs.add(mb.get(k).sequence());
            first[k] = mb.get(k).prompt().ids().length;
        }
        return TokenBatch.of(seqs, first);
    }

    /** Forward, loss and backward of one micro-batch; gradients accumulate in the policy. */
    private LossResult trainMicroBatch(List<Rollout> mb, LossScale scale) {
        TokenBatch batch = batchOf(mb);
        Transformer.Scores s = policy.forward(batch, (float) config.sampling().temperature());
        int n = batch.targets();
        float[] mask = new float[n], old = null, ref = null;
        double[] adv = new double[mb.size()];
        boolean hasOld = mb.get(0).oldLogp() != null, hasRef = mb.get(0).refLogp() != null;
        if (hasOld) old = new float[n];
        if (hasRef) ref = new float[n];
        for (int k = 0; k < mb.size(); k++) {
            Rollout r = mb.get(k);
            int a = batch.targetStart()[k], b = batch.targetStart()[k + 1];
            java.util.Arrays.fill(mask, a, b, r.mask());
            adv[k] = r.advantage();
            if (hasOld) System.arraycopy(r.oldLogp(), 0, old, a, b - a);
            if (hasRef) System.arraycopy(r.refLogp(), 0, ref, a, b - a);
        }
        float[] grad = new float[n];
        // entropies always go in: the loss reports their masked mean (TRL's `entropy`) and filters on them when ρ < 1
        LossResult result = loss.compute(config.loss(), scale, batch.targetStart(), s.logp(), old, ref, mask, adv, s.entropy(), grad, null);
        policy.backward(grad);
        return result;
    }

    private void accumulate(Map<String, Double> into, Map<String, Double> m) {
        for (var e : m.entrySet()) if (e.getValue() != null && !e.getValue().isNaN()) into.merge(e.getKey(), e.getValue(), Double::sum);
    }

    private static Map<String, Double> averaged(Map<String, List<Double>> window) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : window.entrySet()) {
            double s = 0;
            int n = 0;
            for (double v : e.getValue())
                if (!Double.isNaN(v)) {
                    s += v;
                    n++;
                }
            out.put(e.getKey(), n == 0 ? Double.NaN : s / n);
        }
        return out;
    }

    private Map<String, Double> batchMetrics(Scored scored, AdvantageResult advantages, List<Rollout> rollouts, int resampleRounds) {
        Map<String, Double> m = new LinkedHashMap<>(advantages.metrics());
        m.putAll(RewardAggregation.functionMetrics(scored.scores.names(), scored.scores.values()));
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

    /** TRL's completions table: a few rows of prompt, completion, reward per function and advantage. */
    private List<Map<String, Object>> table(List<Rollout> rollouts) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int n = Math.min(config.completionLog().numCompletionsToPrint(), rollouts.size());
        for (int i = 0; i < n; i++) {
            Rollout r = rollouts.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", r.prompt().text());
            row.put("completion", r.completion().text() != null ? r.completion().text() : decoder != null ? decoder.apply(r.completion().tokenIds()) : "");
            row.put("finish_reason", r.completion().finishReason().toString());
            row.put("reward", Double.isFinite(r.reward()) ? r.reward() : null);
            row.put("advantage", r.advantage());
            rows.add(row);
        }
        return rows;
    }

    /** ref = α·policy + (1 − α)·ref (TRL's SyncRefModelCallback). */
    private void syncReference() {
        double a = config.reference().refModelMixupAlpha();
        var be = policy.backend();
        float[] p = be.read(policy.params()), r = be.read(reference.params());
        for (int i = 0; i < r.length; i++) r[i] = (float) (a * p[i] + (1 - a) * r[i]);
        be.write(reference.params(), r);
    }

    /** Greedy accuracy, mean reward per function and pass@G on the held-out prompts. */
    public Evaluation.Result evaluate() {
        return evaluate(new Generator(policy, decoder));
    }

    private Evaluation.Result evaluate(Generator generator) {
        return new Evaluation(config, rewards, decoder, stopTokenIds).run(generator, evalPrompts);
    }

    /** A generation round with its rewards, before advantages. */
    private record Scored(List<Prompt> prompts, List<Completion> completions, List<Sample> samples, RewardScores scores) {
        AdvantageResult advantages(GrpoConfig c, double[] w) {
            return RewardAggregation.advantages(scores.values(), w, c.numGenerations(), c.rollouts().scaleRewards(),
                    c.rollouts().multiObjectiveAggregation());
        }

        int signalGroups(GrpoConfig c, double[] w) {
            int n = 0;
            for (boolean zero : advantages(c, w).zeroStdGroups()) if (!zero) n++;
            return n;
        }

        List<Rollout> rollouts(GrpoConfig c, double[] w, int G, AdvantageResult adv) {
            double[] summed = RewardAggregation.weightedSum(scores.values(), w);
            boolean maskTruncated = c.rollouts().maskTruncatedCompletions();
            List<Rollout> out = new ArrayList<>(completions.size());
            for (int i = 0; i < completions.size(); i++) {
                Completion comp = completions.get(i);
                float mask = maskTruncated && comp.finishReason() == Completion.FinishReason.LENGTH ? 0f : 1f;
                out.add(new Rollout(prompts.get(i / G), comp, mask, summed[i], adv.advantages()[i], null, null));
            }
            return out;
        }

        /** The first {@code groups} groups with a learning signal from all rounds, topped up with signal-free ones. */
        static Scored select(List<Scored> pool, int groups, int G, double[] w) {
            List<Prompt> ps = new ArrayList<>();
            List<Completion> cs = new ArrayList<>();
            List<Sample> ss = new ArrayList<>();
            List<double[]> values = new ArrayList<>();
            List<String> names = pool.get(0).scores.names();
            List<RewardFailure> failures = new ArrayList<>();
            for (int pass = 0; pass < 2; pass++)
                for (Scored s : pool) {
                    if (pass == 0) failures.addAll(s.scores.failures());
                    boolean[] zero = zeroStd(s, G, w);
                    for (int g = 0; g < s.prompts.size() && ps.size() < groups; g++) {
                        if (zero[g] != (pass == 1)) continue;
                        ps.add(s.prompts.get(g));
                        for (int k = 0; k < G; k++) {
                            int i = g * G + k;
                            cs.add(s.completions.get(i));
                            ss.add(s.samples.get(i));
                            double[] v = new double[names.size()];
                            for (int f = 0; f < v.length; f++) v[f] = s.scores.values()[f][i];
                            values.add(v);
                        }
                    }
                }
            double[][] byFunction = new double[names.size()][values.size()];
            for (int i = 0; i < values.size(); i++) for (int f = 0; f < names.size(); f++) byFunction[f][i] = values.get(i)[f];
            return new Scored(ps, cs, ss, new RewardScores(names, byFunction, failures));
        }

        private static boolean[] zeroStd(Scored s, int G, double[] w) {
            double[] summed = RewardAggregation.weightedSum(s.scores.values(), w);
            boolean[] z = new boolean[s.prompts.size()];
            for (int g = 0; g < z.length; g++) {
                double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < G; k++) {
                    double v = summed[g * G + k];
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
                z[g] = !(hi - lo > Advantages.ZERO_STD);
            }
            return z;
        }
    }

}
