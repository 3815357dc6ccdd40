package org.grpo4j.grpo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Function;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.generate.Generator;
import org.grpo4j.grpo.critic.Critic;
import org.grpo4j.model.MemoryPlan;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.optim.LearningRateSchedule;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.train.Checkpoints;
import org.grpo4j.train.DataParallel;
import org.grpo4j.train.MetricsLog;
import org.grpo4j.train.StopSignal;
import org.grpo4j.train.TrainingArguments;
import org.grpo4j.train.TrainerState;

/**
 * The GRPO loop with TRL's semantics ({@code docs/grpo-semantics.md}). Each generation batch goes through three
 * phases, one class each: {@link Rollouts} (draw prompts, sample G completions per prompt, score them,
 * group-normalised advantages), {@link PolicyUpdate} (for {@code num_iterations} passes, the shuffled batch is
 * cut into windows of {@code gradient_accumulation_steps} micro-batches of {@code per_device_train_batch_size}
 * completions; each window is one AdamW step of the clipped, KL-regularised {@link GrpoLoss}) and
 * {@link Bookkeeping} (metrics, evaluation, sample completions); checkpoints are written here, between batches.
 * With {@code adv_estimator = gae} (PPO) a {@link CriticPhase} values each batch after scoring and takes one step of
 * the critic after each policy step; its model and optimisers go into {@code critic/} of every checkpoint.
 *
 * <p>Every random choice is a function of (seed, step): prompt order per epoch and sampling per generation round,
 * so a run resumed from a checkpoint continues exactly as the uninterrupted one. Checkpoints are written at the
 * end of a generation batch (the first one at or after each {@code save_steps} multiple), so nothing in flight
 * has to be saved; a stop request (Ctrl-C, a time limit, {@code :stop}) lets the current batch finish first. A run
 * holds its output folder ({@link Checkpoints#openRun}) and ends by putting the final model at its root.
 *
 * <p>Under MPI ({@code mpirun -np N}) every rank runs this loop on its share of each generation batch
 * ({@code per_device_train_batch_size} is per rank), gradients are averaged before every optimiser step, and rank 0
 * alone writes metrics, completions and checkpoints; see {@code docs/scaling.md}.
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
    private final Communicator comm = Communicator.fromEnvironment();
    private Transformer reference;
    private CriticPhase critic; // adv_estimator = gae: PPO's value model
    private RewardKlPenalty klPenalty; // use_kl_in_reward: β·KL folded into the token rewards
    private volatile MetricsLog log;
    private long tokensSeen;
    private int stepReached; // the last optimiser step taken, for a checkpoint after an OutOfMemoryError inside a batch

    public GrpoTrainer(Transformer policy, GrpoConfig config, GrpoTask task, PrintStream console, StopSignal stop) {
        this.policy = config.peft().apply(policy, config.training().seed());
        this.config = config;
        this.prompts = task.train();
        this.evalPrompts = task.eval();
        this.rewards = List.copyOf(task.rewards());
        this.weights = config.rollouts().weights(rewards.size());
        this.decoder = task.decoder();
        this.stopTokenIds = task.stopTokenIds();
        this.tokenizerDir = task.tokenizerDir();
        this.console = comm.isRoot() ? console : null;
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

    /** Generation batches per epoch; a batch is every rank's share together. */
    int generationsPerEpoch() {
        int perBatch = config.promptsPerGeneration() * comm.size();
        return (prompts.size() + perBatch - 1) / perBatch;
    }

    /** Optimiser steps per generation batch: {@code steps_per_generation × num_iterations / gradient_accumulation_steps}. */
    int stepsPerGenerationBatch() {
        return Math.max(1, config.stepsPerGeneration() * config.batch().numIterations() / config.batch().gradientAccumulationSteps());
    }

    public int totalSteps() {
        if (config.training().maxSteps() > 0) return config.training().maxSteps();
        return (int) Math.ceil(config.training().numTrainEpochs() * generationsPerEpoch()) * stepsPerGenerationBatch();
    }

    static long mix(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + c;
        return h ^ (h >>> 29);
    }

    /** What a run of {@code config} on these prompts needs, known before the model is loaded (the recipe checks it then). */
    public static MemoryPlan memoryPlan(ModelConfig model, GrpoConfig config, List<Prompt> prompts) {
        int maxPrompt = 0;
        for (Prompt p : prompts) maxPrompt = Math.max(maxPrompt, p.ids().length);
        int completion = config.sampling().maxCompletionLength(), mb = config.batch().perDeviceTrainBatchSize();
        MemoryPlan plan = MemoryPlan.training(model, mb, maxPrompt + completion, completion, config.needsReference());
        if (!config.rollouts().advEstimator().needsCritic()) return plan;
        ModelConfig critic = model;
        if (config.critic().criticModelNameOrPath() != null) {
            try {
                critic = ModelConfig.load(Path.of(config.critic().criticModelNameOrPath()));
            } catch (IOException e) {
                // an earlier run's critic/ or an unreadable folder: the policy's shape, and the critic's loading names the problem
            }
        }
        return plan.withCritic(MemoryPlan.critic(critic, mb, maxPrompt + completion, config.peft().gradientCheckpointing()));
    }

    public Result train() throws IOException {
        int total = totalSteps();
        // the loaded model's own plan: it knows a packed LoRA base and gradient checkpointing
        int maxPrompt = 0;
        for (Prompt p : prompts) maxPrompt = Math.max(maxPrompt, p.ids().length);
        int completion = config.sampling().maxCompletionLength();
        MemoryPlan plan = MemoryPlan.training(policy, config.batch().perDeviceTrainBatchSize(), maxPrompt + completion, completion,
                config.needsReference());
        MemoryPlan criticPlan = config.rollouts().advEstimator().needsCritic()
                ? MemoryPlan.critic(policy, config.batch().perDeviceTrainBatchSize(), maxPrompt + completion) : null;
        if (criticPlan != null) plan = plan.withCritic(criticPlan);
        plan.requireFits(MemoryPlan.availableHeap());
        policy.reserveActivations(config.batch().perDeviceTrainBatchSize(), maxPrompt + completion, completion);
        say("memory: " + plan.report());
        AdamW opt = config.training().optimizer(policy);
        LearningRateSchedule schedule = config.training().schedule(total);
        // with LoRA the reference is the policy itself with its adapters off (TRL's disable_adapter()): no second model
        if (config.needsReference() && policy.lora() == null) {
            reference = Transformer.create(policy.config(), policy.backend());
            reference.copyFrom(policy);
            reference.fixWeights(true); // its products read weights laid out once, until a sync or a resume writes them
        }
        if (config.rollouts().advEstimator().needsCritic()) {
            TrainingArguments t = config.training();
            AdamW.Settings adam = new AdamW.Settings(config.critic().criticLearningRate(), t.adamBeta1(), t.adamBeta2(), t.adamEpsilon(), t.weightDecay());
            String from = config.critic().criticModelNameOrPath();
            Critic c = from == null ? Critic.fromPolicy(policy, adam, mix(t.seed(), 0xC, 0)) : Critic.fromFolder(Path.of(from), policy, adam, mix(t.seed(), 0xC, 0));
            // its weights, gradients, moments and activations are in the plan checked above
            c.model().reserveActivations(config.batch().perDeviceTrainBatchSize(), maxPrompt + completion, 0);
            say("memory (critic): " + criticPlan);
            critic = new CriticPhase(c, config, comm);
        }
        if (config.klReward().useKlInReward()) klPenalty = new RewardKlPenalty(config, comm);
        Path out = Path.of(config.training().outputDir());
        Path resume = Checkpoints.resolveResume(config.training().resumeFromCheckpoint(), out);
        // the run owns its output folder (rank 0 holds the lock for the job)
        try (Checkpoints.RunLock lock = comm.isRoot() ? Checkpoints.openRun(out, resume != null, config.training().overwriteOutputDir(), console) : null) {
            return train(out, resume, opt, schedule, total);
        }
    }

    private Result train(Path out, Path resume, AdamW opt, LearningRateSchedule schedule, int total) throws IOException {
        TrainerState state = resume == null ? TrainerState.start(config.training().seed()) : resume(resume, opt);
        policy.setTraining(true); // LoRA dropout in the policy's forwards, as TRL's model.train()
        Generator generator = new Generator(policy, decoder);
        int keep = config.training().checkpointsKept(), saveEvery = config.training().saveSteps();
        Path lastCheckpoint = resume;
        int nextSave = (state.globalStep() / saveEvery + 1) * saveEvery;
        tokensSeen = state.tokensSeen();

        // under data parallelism rank 0 alone writes files; the others keep no books
        try (MetricsLog metrics = comm.isRoot() ? new MetricsLog(out, total, state.globalStep(), console) : null) {
            log = metrics;
            if (metrics != null) metrics.limitEta(stop::secondsLeft);
            Rollouts rollouts = new Rollouts(config, generator, scoring, weights, decoder, stopTokenIds, this::say, comm, critic, klPenalty);
            PolicyUpdate update = new PolicyUpdate(policy, opt, config, comm);
            Bookkeeping books = new Bookkeeping(config, metrics, () -> evaluate(generator), !evalPrompts.isEmpty(), rollouts::text);
            PromptOrder order = new PromptOrder(prompts, config.training().seed(), state.epoch(), state.position());
            int step = state.globalStep();
            stepReached = step;
            OutOfMemoryError oom = null;
            try { // an OutOfMemoryError stops the run with a checkpoint of where it stood and names the setting to lower
            while (step < total && !stopAgreed()) {
                int round = step / stepsPerGenerationBatch();
                Rollouts.Batch batch;
                try {
                    batch = rollouts.next(round, order, config.keepsOldLogps() ? policy : null,
                            reference != null ? reference : config.needsReference() ? policy : null);
                } catch (CancellationException e) {
                    if (stop.requested()) break; // interrupted while rewards were scoring: stop with the last finished step
                    throw e;
                }
                step = learn(batch, round, step, total, update, schedule, books, order);
                state = state(step, state.seed(), order, metrics, total);
                if (step >= nextSave && step < total && !stopAgreed()) {
                    lastCheckpoint = save(out, opt, state, keep);
                    nextSave = (step / saveEvery + 1) * saveEvery;
                }
            }
            } catch (OutOfMemoryError e) {
                oom = e; // the step's rollouts and activations are unreachable now, so saving has room
                state = state(stepReached, state.seed(), order, metrics, total);
            }
            if (oom != null) {
                lastCheckpoint = save(out, opt, state, keep);
                throw new IllegalStateException("out of memory at step " + state.globalStep() + " (" + MemoryPlan.heapReport() + "); checkpoint saved to "
                        + lastCheckpoint + " (resume_from_checkpoint = true continues from it, not bit-exactly: the batch was cut short). " + MemoryPlan.LOWER, oom);
            }
            boolean stopped = stopAgreed();
            if (!stopped) {
                // training is over: its activations make room for the final evaluation's KV cache, collected now, as the
                // parallel collector would grow the heap beside the dead block before collecting it (issue 15)
                policy.releaseActivations();
                if (critic != null) critic.releaseActivations();
                System.gc();
                books.finalEvaluation(state.globalStep());
            }
            lastCheckpoint = save(out, opt, state(state.globalStep(), state.seed(), order, metrics, total), keep);
            if (comm.isRoot()) Checkpoints.saveFinalModel(lastCheckpoint, out);
            if (stopped) say("stopped (" + stop.reason() + ") at step " + state.globalStep() + "; checkpoint " + lastCheckpoint);
            return new Result(state.globalStep(), books.last(), books.evaluation(), stopped, lastCheckpoint);
        }
    }

    /** The optimiser steps on one generation batch, from global step {@code step}; returns the step reached. */
    private int learn(Rollouts.Batch batch, int round, int step, int total, PolicyUpdate update, LearningRateSchedule schedule, Bookkeeping books,
                      PromptOrder order) throws IOException {
        int window = config.batch().perDeviceTrainBatchSize() * config.batch().gradientAccumulationSteps();
        LossScale scale = new LossScale(config.batch().gradientAccumulationSteps(), config.sampling().maxCompletionLength(), batch.activeTokens());
        double genSeconds = batch.seconds(), logpSeconds = batch.logpSeconds();
        // a stop request lets the batch's updates finish, so the checkpoint sits on a batch boundary and a resume
        // continues exactly as the uninterrupted run would (the rollouts of a half-used batch are not saved)
        for (int it = 0; it < config.batch().numIterations(); it++) {
            List<Rollout> shuffled = new ArrayList<>(batch.rollouts());
            Collections.shuffle(shuffled, new Random(mix(config.training().seed(), round, 1000 + it)));
            for (int s0 = 0; s0 < shuffled.size() && step < total; s0 += window) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                // LoRA dropout masks follow the step, not a running count, so a resumed run draws the same ones
                if (policy.lora() != null) policy.lora().setDropoutSeed(mix(config.training().seed(), step, 0xD1));
                List<Rollout> part = shuffled.subList(s0, Math.min(shuffled.size(), s0 + window));
                // critic_warmup (verl's): the first steps move only the critic, the policy learns from a critic that has seen returns
                boolean warmup = step < config.critic().criticWarmup();
                PolicyUpdate.Step r = warmup ? null : update.step(part, scale, lr);
                Map<String, Double> criticMetrics = critic == null ? Map.of() : critic.step(part);
                tokensSeen += r != null ? r.tokens() : PolicyUpdate.tokens(part, comm);
                step++;
                stepReached = step;
                if (reference != null && config.reference().syncAfter(step)) syncReference();
                Map<String, Double> m = new LinkedHashMap<>();
                if (r != null) {
                    m.put("loss", r.loss());
                    m.put("grad_norm", r.gradNorm());
                }
                m.put("learning_rate", lr);
                m.put("num_tokens", (double) tokensSeen);
                if (r != null) m.putAll(r.metrics());
                if (warmup) m.put("critic/warmup", 1.0);
                m.putAll(criticMetrics);
                m.putAll(batch.metrics());
                m.put("step_time", (System.nanoTime() - t0) * 1e-9 + genSeconds);
                // the phases of a step, for the report's chart: a batch's generation and log-prob passes count in its
                // first step, so their means over a logging window are the per-step cost
                m.put("timing/generation", genSeconds);
                m.put("timing/logps", logpSeconds);
                m.put("timing/update", (System.nanoTime() - t0) * 1e-9);
                genSeconds = 0;
                logpSeconds = 0;
                m.put("epoch", order.progress());
                books.afterStep(step, total, m, batch.rollouts(), batch.scores());
            }
        }
        return step;
    }

    /** Where the run stands after {@code step}, with TRL's trainer_state fields (the log history is rank 0's). */
    private TrainerState state(int step, long seed, PromptOrder order, MetricsLog metrics, int total) {
        TrainingArguments t = config.training();
        return new TrainerState(step, order.epoch(), order.position(), seed, tokensSeen).with(new TrainerState.Progress(order.progress(),
                total, t.loggingSteps(), t.saveSteps(), config.batch().perDeviceTrainBatchSize(), metrics == null ? List.of() : metrics.history()));
    }

    private TrainerState resume(Path checkpoint, AdamW opt) throws IOException {
        TrainerState state = Checkpoints.restore(checkpoint, policy, opt);
        if (reference != null) {
            Path ref = checkpoint.resolve("reference");
            if (Files.isDirectory(ref)) {
                try (SafetensorsModel w = SafetensorsModel.open(ref)) {
                    reference.loadWeights(w);
                }
            }
        }
        if (critic != null) critic.load(checkpoint.resolve("critic"));
        if (klPenalty != null) klPenalty.load(checkpoint);
        say("resumed from " + checkpoint + " at step " + state.globalStep());
        return state;
    }

    private boolean stopAgreed() {
        return DataParallel.stopAgreed(stop, comm);
    }

    /** Rank 0 writes the checkpoint; every rank returns its folder once it is complete. */
    private Path save(Path out, AdamW opt, TrainerState state, int keep) throws IOException {
        Path p = out.resolve("checkpoint-" + state.globalStep());
        if (comm.isRoot())
            p = Checkpoints.save(out, policy, opt, state, tokenizerDir, keep, dir -> {
                if (reference != null) reference.save(dir.resolve("reference"));
                if (critic != null) critic.save(dir.resolve("critic"));
                if (klPenalty != null) klPenalty.save(dir);
            });
        comm.barrier();
        return p;
    }

    private void say(String s) {
        if (console != null) console.println(s);
    }

    /** ref = α·policy + (1 − α)·ref (TRL's SyncRefModelCallback). */
    private void syncReference() {
        double a = config.reference().refModelMixupAlpha();
        var be = policy.backend();
        float[] p = be.read(policy.params()), r = be.read(reference.params());
        for (int i = 0; i < r.length; i++) r[i] = (float) (a * p[i] + (1 - a) * r[i]);
        be.write(reference.params(), r);
        reference.weightsChanged();
    }

    /** Greedy accuracy, mean reward per function and pass@G on the held-out prompts. */
    public Evaluation.Result evaluate() {
        return evaluate(new Generator(policy, decoder));
    }

    private Evaluation.Result evaluate(Generator generator) {
        return new Evaluation(config, rewards, decoder, stopTokenIds).run(generator, evalPrompts);
    }
}
