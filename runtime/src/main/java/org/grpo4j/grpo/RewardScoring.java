package org.grpo4j.grpo;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.grpo4j.reward.ExplainedReward;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.grpo4j.reward.StopCheck;

/**
 * Calls each reward function once on a batch of samples, so that one broken function costs its own rewards and
 * not the run: a function that throws on the batch is called again on each sample alone, so only the samples it
 * throws on get NaN; a call that does not return within the time limit gives NaN for every sample of the call;
 * a ±Infinity becomes NaN for that sample; a NaN the function returns itself (TRL's None: no reward for that
 * sample) is kept; each is reported as a {@link RewardFailure} with its count, and every NaN is left out of the
 * function's mean ({@code rewards/<name>/nan_count} counts them). A function that returns the wrong number of
 * values is a programming error and throws.
 *
 * <p>Each call runs on its own daemon thread so that it can be abandoned on timeout: the thread is interrupted and
 * told to stop ({@link StopCheck}), which ends a reward written in the REPL or a {@code .grpo} script at its next loop
 * iteration even when it ignores interrupts. Java cannot stop other code that ignores interrupts (a reward class
 * compiled elsewhere): such a function is not called again while its abandoned call still runs (its samples get
 * NaN, reported as a failure), so a reward that never returns costs at most one thread for the rest of the run, not
 * one more per step. Functions run one after another, as in TRL, so a function never has to be safe against another
 * one running at the same time.
 */
public final class RewardScoring {
    /** Default wall-clock limit of one reward function call. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final List<RewardFunction> functions;
    private final List<String> names;
    private final Duration timeout;
    private final Thread[] abandoned; // per function: its call that timed out, while that thread still runs

    public RewardScoring(List<? extends RewardFunction> functions) {
        this(functions, DEFAULT_TIMEOUT);
    }

    public RewardScoring(List<? extends RewardFunction> functions, Duration timeout) {
        if (functions.isEmpty()) throw new IllegalArgumentException("at least one reward function is needed");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("reward timeout must be positive, got " + timeout);
        this.functions = List.copyOf(functions);
        this.timeout = timeout;
        this.abandoned = new Thread[this.functions.size()];
        List<String> ns = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < this.functions.size(); k++) {
            String name = this.functions.get(k).name();
            if (name == null || name.isBlank()) throw new IllegalArgumentException("reward function " + k + " has no name");
            if (!seen.add(name)) throw new IllegalArgumentException("two reward functions are named '" + name + "': their metrics would collide");
            ns.add(name);
        }
        this.names = List.copyOf(ns);
    }

    /** The functions' names, in order. */
    public List<String> names() {
        return names;
    }

    /**
     * Scores {@code samples} with every function.
     *
     * @throws IllegalStateException if a function returns null or a number of values other than {@code samples.size()}
     * @throws CancellationException if the calling thread is interrupted (its interrupt flag is kept)
     */
    public RewardScores score(List<Sample> samples) {
        List<Sample> batch = List.copyOf(samples);
        int n = batch.size();
        double[][] values = new double[functions.size()][];
        String[][] reasons = new String[functions.size()][];
        List<RewardFailure> failures = new ArrayList<>();
        for (int k = 0; k < functions.size(); k++) {
            double[] v = new double[n];
            Arrays.fill(v, Double.NaN);
            values[k] = v;
            if (functions.get(k) instanceof ExplainedReward) reasons[k] = new String[n];
            RewardFailure f = scoreOne(k, batch, v, reasons[k]);
            if (f != null) failures.add(f);
        }
        return new RewardScores(names, values, failures, reasons);
    }

    /** Fills {@code out} (pre-filled with NaN) with function k's values, and {@code why} (when not null) with its reasons; returns the failure, or null. */
    private RewardFailure scoreOne(int k, List<Sample> batch, double[] out, String[] why) {
        RewardFunction fn = functions.get(k);
        String name = names.get(k);
        int n = batch.size();
        if (abandoned[k] != null) {
            if (abandoned[k].isAlive())
                return new RewardFailure(name, n, "reward '" + name + "' is not called: its call that timed out is still running (it ignores interrupts)");
            abandoned[k] = null;
        }
        Outcome o = new Outcome();
        Thread t = Thread.ofPlatform().daemon(true).name("reward-" + name).unstarted(() -> {
            try {
                call(fn, batch, o);
            } finally {
                StopCheck.forget(Thread.currentThread());
            }
        });
        t.start();
        boolean finished;
        try {
            finished = t.join(timeout);
        } catch (InterruptedException e) {
            abandon(k, t);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while reward '" + name + "' was scoring");
        }
        if (!finished) {
            abandon(k, t);
            return new RewardFailure(name, n, "reward '" + name + "' timed out after " + seconds(timeout));
        }
        double[] v = o.values;
        if (v == null) throw new IllegalStateException("reward '" + name + "' returned null instead of " + n + " values");
        if (why != null && o.reasons != null && o.reasons.length == n) System.arraycopy(o.reasons, 0, why, 0, n);
        if (v.length != n) throw new IllegalStateException("reward '" + name + "' returned " + v.length + " values for " + n + " samples");
        int bad = 0;
        String first = null;
        if (o.error != null) {
            Throwable e = o.error;
            first = "reward '" + name + "' threw " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            bad = o.thrown;
        }
        for (int i = 0; i < n; i++) {
            if (o.threw != null && o.threw[i]) continue;
            if (Double.isInfinite(v[i]) || Double.isNaN(v[i])) {
                if (first == null) first = "reward '" + name + "' returned " + v[i] + " for sample " + i
                        + (Double.isNaN(v[i]) ? " (no reward for it: left out of the function's mean)" : "");
                bad++;
            } else {
                out[i] = v[i];
            }
        }
        return bad == 0 ? null : new RewardFailure(name, bad, first);
    }

    /** Interrupts and stops function k's call on {@code t}; it is not called again while {@code t} still runs. */
    private void abandon(int k, Thread t) {
        t.interrupt();
        StopCheck.stop(t);
        if (!t.isAlive()) StopCheck.forget(t); // it ended just now, before its own forget could matter
        abandoned[k] = t;
    }

    /**
     * On the reward's thread: the batch call, and when it throws, one call per sample, so a sample the function
     * cannot handle costs that sample only (NaN) and {@code o.error} keeps the first exception.
     */
    private static void call(RewardFunction fn, List<Sample> batch, Outcome o) {
        try {
            if (fn instanceof ExplainedReward e) {
                ExplainedReward.Explained r = e.scoreExplained(batch);
                o.reasons = r.reasons();
                o.values = r.values();
            } else {
                o.values = fn.score(batch);
            }
            return;
        } catch (StopCheck.Stopped e) {
            return; // timed out: its samples are NaN already
        } catch (Throwable e) { // a reward's bug, whatever its kind, is reported, not fatal
            o.error = e;
        }
        double[] v = new double[batch.size()];
        boolean[] threw = new boolean[batch.size()];
        String[] reasons = fn instanceof ExplainedReward ? new String[batch.size()] : null;
        int thrown = 0;
        for (int i = 0; i < batch.size() && !Thread.currentThread().isInterrupted(); i++) {
            try {
                double[] one;
                if (fn instanceof ExplainedReward e) {
                    ExplainedReward.Explained r = e.scoreExplained(List.of(batch.get(i)));
                    one = r.values();
                    reasons[i] = r.reasons()[0];
                } else {
                    one = fn.score(List.of(batch.get(i)));
                }
                if (one == null || one.length != 1) throw new IllegalStateException("returned " + (one == null ? "null" : one.length + " values") + " for one sample");
                v[i] = one[0];
            } catch (StopCheck.Stopped e) {
                return;
            } catch (Throwable e) {
                v[i] = Double.NaN;
                threw[i] = true;
                if (reasons != null) reasons[i] = "threw " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                thrown++;
            }
        }
        o.thrown = thrown;
        o.threw = threw;
        o.reasons = reasons;
        o.values = v;
    }

    private static final class Outcome {
        volatile double[] values;
        volatile String[] reasons;
        volatile Throwable error;
        volatile int thrown;
        volatile boolean[] threw; // per sample, when the batch call threw and the samples were scored one by one
    }

    /** "60 s", "0.25 s". */
    static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString() + " s";
    }
}
