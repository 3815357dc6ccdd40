package org.grpo4j.sft;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.model.MemoryPlan;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.optim.LearningRateSchedule;
import org.grpo4j.train.Checkpoints;
import org.grpo4j.train.DataParallel;
import org.grpo4j.train.MetricsLog;
import org.grpo4j.train.StopSignal;
import org.grpo4j.train.TrainerState;

/**
 * Supervised fine-tuning (TRL's SFTTrainer semantics): the mean negative log-likelihood over the completion
 * tokens of each optimiser step's whole batch (every micro-batch of the accumulation divides by the same token
 * count, as TRL's {@code num_items_in_batch}), AdamW with a schedule, clipping, metrics and resumable checkpoints.
 *
 * <p>Under MPI every rank draws the same micro-batches and trains on every N-th of them, so a step of N ranks with
 * {@code gradient_accumulation_steps} k is the step one process takes with N·k: the token count is the whole step's,
 * the ranks' gradients are summed, and rank 0 alone writes metrics and checkpoints.
 */
public final class SftTrainer {
    /** What a run did: steps, last training loss, last held-out loss (NaN without evaluation data). */
    public record Result(int steps, double trainLoss, double evalLoss, boolean stopped, Path lastCheckpoint) {}

    private final Transformer model;
    private final SftConfig config;
    private final List<SftExample> train, eval;
    private final Path tokenizerDir;
    private final PrintStream console;
    private final StopSignal stop;
    private final Communicator comm = Communicator.fromEnvironment();
    private volatile MetricsLog log;

    public SftTrainer(Transformer model, SftConfig config, List<SftExample> train, List<SftExample> eval, Path tokenizerDir,
                      PrintStream console, StopSignal stop) {
        if (train.isEmpty()) throw new IllegalArgumentException("the SFT training set is empty");
        this.model = config.peft().apply(model, config.training().seed());
        this.config = config;
        this.train = List.copyOf(train);
        this.eval = eval == null ? List.of() : List.copyOf(eval);
        this.tokenizerDir = tokenizerDir;
        this.console = comm.isRoot() ? console : null;
        this.stop = stop == null ? new StopSignal() : stop;
    }

    /** The micro-batches of one epoch, in the seeded order of that epoch. */
    List<List<SftExample>> epochBatches(int epoch) {
        List<SftExample> order = new ArrayList<>(train);
        SplittableRandom rng = new SplittableRandom(config.training().seed() * 1_000_003L + epoch);
        for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, rng.nextInt(i + 1));
        List<List<SftExample>> batches = new ArrayList<>();
        int bs = config.sft().perDeviceTrainBatchSize(), maxLen = config.sft().maxLength();
        long budget = (long) bs * maxLen;
        List<SftExample> cur = new ArrayList<>();
        long tokens = 0;
        for (SftExample e : order) {
            int len = Math.min(maxLen, e.length());
            boolean full = config.sft().packing() ? tokens + len > budget && !cur.isEmpty() : cur.size() == bs;
            if (full) {
                batches.add(cur);
                cur = new ArrayList<>();
                tokens = 0;
            }
            cur.add(e);
            tokens += len;
        }
        if (!cur.isEmpty()) batches.add(cur);
        return batches;
    }

    /** Packs examples into a token batch, truncated to {@code max_length}; targets are the completion (or everything). */
    TokenBatch pack(List<SftExample> examples) {
        int maxLen = config.sft().maxLength();
        boolean completionOnly = config.sft().completionOnlyLoss();
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            SftExample e = examples.get(i);
            int[] ids = new int[Math.min(maxLen, e.length())];
            int p = Math.min(e.prompt().length, ids.length);
            System.arraycopy(e.prompt(), 0, ids, 0, p);
            System.arraycopy(e.completion(), 0, ids, p, ids.length - p);
            seqs.add(ids);
            // a prompt that fills max_length leaves nothing to learn: score its last token so the batch stays well formed
            first[i] = completionOnly ? Math.max(1, Math.min(p, ids.length - 1)) : 1;
        }
        return TokenBatch.of(seqs, first);
    }

    public Result train() throws IOException {
        int ga = config.sft().gradientAccumulationSteps();
        int perStep = ga * comm.size(), perEpoch = (epochBatches(0).size() + perStep - 1) / perStep;
        int total = config.training().maxSteps() > 0 ? config.training().maxSteps() : (int) Math.ceil(perEpoch * config.training().numTrainEpochs());
        int maxLen = 0;
        for (SftExample e : train) maxLen = Math.max(maxLen, Math.min(config.sft().maxLength(), e.length()));
        MemoryPlan.training(model, config.sft().perDeviceTrainBatchSize(), maxLen, maxLen, false).requireFits(MemoryPlan.availableHeap());
        model.setTraining(true);

        AdamW opt = config.training().optimizer(model);
        LearningRateSchedule schedule = config.training().schedule(total);
        Path out = Path.of(config.training().outputDir());
        TrainerState state = TrainerState.start(config.training().seed());
        Path resume = Checkpoints.resolveResume(config.training().resumeFromCheckpoint(), out);
        if (resume != null) {
            state = Checkpoints.restore(resume, model, opt);
            if (console != null) console.println("resumed from " + resume + " at step " + state.globalStep());
        }
        int keep = config.training().checkpointsKept();
        double lastLoss = Double.NaN, evalLoss = Double.NaN;
        Path lastCheckpoint = resume;
        try (Checkpoints.RunLock lock = comm.isRoot() ? Checkpoints.openRun(out, resume != null, config.training().overwriteOutputDir(), console) : null;
             MetricsLog log = comm.isRoot() ? new MetricsLog(out, total, state.globalStep(), console) : null) {
            this.log = log;
            List<List<SftExample>> batches = epochBatches(state.epoch());
            int epoch = state.epoch(), pos = state.position();
            long tokensSeen = state.tokensSeen();
            double lossSum = 0, normSum = 0;
            int logged = 0;
            long t0 = System.nanoTime();
            for (int step = state.globalStep(); step < total && !DataParallel.stopAgreed(stop, comm); ) {
                List<TokenBatch> micro = new ArrayList<>();
                for (int k = 0; k < perStep; k++) {
                    if (pos >= batches.size()) {
                        epoch++;
                        pos = 0;
                        batches = epochBatches(epoch);
                    }
                    List<SftExample> next = batches.get(pos++);
                    if (k % comm.size() == comm.rank()) micro.add(pack(next));
                }
                double[] targets = {0};
                for (TokenBatch b : micro) targets[0] += b.targets();
                comm.sumInPlace(targets);
                model.zeroGrad();
                // LoRA dropout masks keyed by the step, so a resumed run draws the same ones
                if (model.lora() != null) model.lora().setDropoutSeed(config.training().seed() * 0x9E3779B97F4A7C15L + state.globalStep());
                double[] lossAndRows = {0, 0};
                for (TokenBatch b : micro) {
                    float[] logp = model.forward(b, 1f).logp();
                    float[] d = new float[logp.length];
                    java.util.Arrays.fill(d, -1f / (float) targets[0]);
                    for (float lp : logp) lossAndRows[0] -= lp;
                    model.backward(d);
                    lossAndRows[1] += b.sequenceTokens();
                }
                DataParallel.combineGradients(model.trainable(), comm, 1f);
                comm.sumInPlace(lossAndRows);
                tokensSeen += (long) lossAndRows[1];
                double loss = lossAndRows[0] / targets[0];
                double lr = schedule.at(step);
                double norm = opt.clipAndStep(lr, config.training().maxGradNorm());
                step++;
                lossSum += loss;
                normSum += norm;
                logged++;
                lastLoss = loss;
                state = new TrainerState(step, epoch, pos, state.seed(), tokensSeen).with(new TrainerState.Progress(epoch + pos / (double) batches.size(),
                        total, config.training().loggingSteps(), config.training().saveSteps(), config.sft().perDeviceTrainBatchSize(), List.of()));
                boolean evalNow = log != null && !eval.isEmpty() && config.training().evalSteps() != null && step % config.training().evalSteps() == 0;
                if (evalNow) evalLoss = evaluate();
                if (log != null && (step % config.training().loggingSteps() == 0 || step == total || evalNow)) {
                    Map<String, Double> m = new LinkedHashMap<>();
                    m.put("loss", lossSum / logged);
                    m.put("grad_norm", normSum / logged);
                    m.put("learning_rate", lr);
                    m.put("num_tokens", (double) tokensSeen);
                    m.put("epoch", epoch + pos / (double) batches.size());
                    m.put("step_time", (System.nanoTime() - t0) * 1e-9 / logged);
                    if (evalNow) m.put("eval_loss", evalLoss);
                    log.log(step, m);
                    lossSum = normSum = 0;
                    logged = 0;
                    t0 = System.nanoTime();
                }
                if (step % config.training().saveSteps() == 0 && step < total) lastCheckpoint = save(out, opt, state, keep, log);
            }
            if (!eval.isEmpty()) evalLoss = evaluate();
            lastCheckpoint = save(out, opt, state, keep, log);
            if (log != null) Checkpoints.saveFinalModel(lastCheckpoint, out);
            if (stop.requested() && console != null) console.println("stopped (" + stop.reason() + ") at step " + state.globalStep() + "; checkpoint " + lastCheckpoint);
        }
        return new Result(state.globalStep(), lastLoss, evalLoss, stop.requested(), lastCheckpoint);
    }

    /** Rank 0 writes the checkpoint (with the metrics history); every rank returns its folder once it is complete. */
    private Path save(Path out, AdamW opt, TrainerState state, int keep, MetricsLog log) throws IOException {
        Path p = out.resolve("checkpoint-" + state.globalStep());
        if (log != null) p = Checkpoints.save(out, model, opt, withHistory(state, log), tokenizerDir, keep);
        comm.barrier();
        return p;
    }

    private static TrainerState withHistory(TrainerState s, MetricsLog log) {
        TrainerState.Progress p = s.progress();
        return s.with(new TrainerState.Progress(p.epochs(), p.maxSteps(), p.loggingSteps(), p.saveSteps(), p.trainBatchSize(), log.history()));
    }

    /** The live metrics log (for the REPL's status line); null outside {@link #train()}. */
    public MetricsLog metricsLog() {
        return log;
    }

    /** Mean NLL per completion token of the held-out examples. */
    public double evaluate() {
        double nll = 0;
        long n = 0;
        int bs = config.sft().perDeviceTrainBatchSize();
        for (int i = 0; i < eval.size(); i += bs) {
            float[] logp = model.score(pack(eval.subList(i, Math.min(eval.size(), i + bs))), 1f).logp();
            for (float lp : logp) nll -= lp;
            n += logp.length;
        }
        return nll / Math.max(1, n);
    }
}
