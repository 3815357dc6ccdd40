package org.grpo4j.dsl.reward.polyglot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;
import org.grpo4j.dsl.reward.ComposedReward.RewardException;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.reward.Sample;

/**
 * A reward function written in Python or JavaScript with TRL's calling convention,
 * {@code f(completions, **kwargs) -> list[float | None]}, run by GraalVM Polyglot inside the JVM in a context
 * that can compute and nothing else (see {@link GuestLanguage}). {@code None}/{@code null} becomes NaN ("does not
 * apply"); an exception names the function and the first sample it fails on; a wrong number of values is an
 * error; a call that runs past its time limit is interrupted.
 *
 * <p>The function sees the whole batch, as in TRL. A function that scores each completion on its own can be
 * {@linkplain #inParallel(int) split} across warm contexts.
 *
 * <pre>{@code
 * Reward fmt = Rewards.python("rewards.py", "format_reward");
 * Reward inline = Rewards.pythonInline("""
 *     def short(completions, **kwargs):
 *         return [1.0 if len(c) < 200 else 0.0 for c in completions]
 *     """, "short");
 * inline.score("hello");   // 1.0
 * }</pre>
 */
public final class PolyglotReward implements Reward {
    /** Default wall-clock limit of one call (TRL has none; a stuck reward must not stall training). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_BISECT = 256;
    private static final ExecutorService SPLITS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "grpo4j-polyglot-split");
        t.setDaemon(true);
        return t;
    });

    private final PolyglotSource source;
    private final ContextPool pool;
    private final String name;
    private final double weight;
    private final String goldColumn;
    private final Duration timeout;
    private final int parallel;

    private PolyglotReward(PolyglotSource source, String name, double weight, String goldColumn, Duration timeout, int parallel) {
        this.source = source;
        this.pool = ContextPool.of(source);
        this.name = name;
        this.weight = weight;
        this.goldColumn = goldColumn;
        this.timeout = timeout;
        this.parallel = parallel;
    }

    /**
     * Loads the source into a first warm context now, so a missing function or a syntax error is reported here
     * and not at the first training step. The metrics name is the function's own name, as in TRL.
     */
    public static PolyglotReward of(PolyglotSource source) {
        ContextPool pool = ContextPool.of(source);
        ContextPool.Warm w;
        try {
            w = pool.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while loading " + source.fileName());
        }
        String fn;
        try {
            fn = ContextPool.functionName(w.function(source));
        } finally {
            pool.release(w, true);
        }
        String name = fn == null || fn.startsWith("<") ? source.defaultName() : fn;
        return new PolyglotReward(source, name, 1.0, null, DEFAULT_TIMEOUT, 1);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double weight() {
        return weight;
    }

    @Override
    public String goldColumn() {
        return goldColumn;
    }

    public PolyglotSource source() {
        return source;
    }

    /** The same function under another metrics name. */
    @Override
    public PolyglotReward named(String newName) {
        return new PolyglotReward(source, newName, weight, goldColumn, timeout, parallel);
    }

    @Override
    public PolyglotReward weighted(double w) {
        if (!Double.isFinite(w)) throw new IllegalArgumentException("reward '" + name + "': weight must be finite, got " + w);
        return new PolyglotReward(source, name, w, goldColumn, timeout, parallel);
    }

    /** {@link #score(String, String)} puts the gold answer in this column too (the function reads it as a keyword argument). */
    public PolyglotReward goldColumn(String column) {
        return new PolyglotReward(source, name, weight, column, timeout, parallel);
    }

    /** The wall-clock limit of one call; past it the call is interrupted and fails. */
    public PolyglotReward timeout(Duration limit) {
        if (limit.isZero() || limit.isNegative()) throw new IllegalArgumentException("reward '" + name + "': timeout must be positive, got " + limit);
        return new PolyglotReward(source, name, weight, goldColumn, limit, parallel);
    }

    /**
     * Splits each batch into {@code contexts} parts scored at the same time in separate warm contexts. Only for
     * functions that score every completion on its own: one that compares completions (a length reward) would
     * see part of the batch.
     */
    public PolyglotReward inParallel(int contexts) {
        if (contexts < 1 || contexts > ContextPool.MAX)
            throw new IllegalArgumentException("reward '" + name + "': inParallel(" + contexts + ") must be between 1 and " + ContextPool.MAX);
        return new PolyglotReward(source, name, weight, goldColumn, timeout, contexts);
    }

    @Override
    public double[] score(List<Sample> samples) {
        int n = samples.size();
        if (n == 0) return new double[0];
        int parts = Math.min(parallel, n);
        if (parts == 1) return scorePart(samples, 0);
        List<Future<double[]>> futures = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            int from = p * n / parts, to = (p + 1) * n / parts;
            futures.add(SPLITS.submit(() -> scorePart(samples.subList(from, to), from)));
        }
        double[] out = new double[n];
        try {
            for (int p = 0; p < parts; p++) {
                double[] v = futures.get(p).get();
                System.arraycopy(v, 0, out, p * n / parts, v.length);
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while reward '" + name + "' was scoring");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new RewardException("reward '" + name + "' failed: " + e.getCause(), e.getCause());
        }
        return out;
    }

    /** Scores samples[offset..] in one call; {@code offset} only numbers the samples in messages. */
    private double[] scorePart(List<Sample> part, int offset) {
        ContextPool.Warm w;
        try {
            w = pool.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while reward '" + name + "' waited for a context");
        }
        boolean usable = true;
        try (Watchdog.Guard guard = Watchdog.guard(w.context(), timeout)) {
            try {
                Value result = w.caller().execute(w.function(source), TrlBatch.json(part));
                return values(result, part.size(), offset);
            } catch (PolyglotException e) {
                usable = !guard.killed() && !e.isExit() && !e.isCancelled();
                if (guard.fired() || e.isInterrupted() || e.isCancelled())
                    throw new RewardException(what() + " timed out after " + timeout.toMillis() / 1000.0 + " s on a batch of " + part.size()
                            + " samples (stopped; a statement limit would miss a one-line loop, the wall clock does not)");
                if (e.isExit()) throw new RewardException(what() + " called exit(" + e.getExitStatus() + ") instead of returning a list");
                throw new RewardException(failure(w, part, offset, e), e);
            }
        } finally {
            pool.release(w, usable);
        }
    }

    private String what() {
        return "reward '" + name + "' (" + source.fileName() + ": " + source.callable() + ")";
    }

    /** The guest's list as doubles: None/null → NaN, booleans → 1/0. */
    private double[] values(Value result, int n, int offset) {
        if (result == null || !result.hasArrayElements())
            throw new RewardException(what() + " returned " + result + " instead of a list of " + n + " numbers (one per completion)");
        long len = result.getArraySize();
        if (len != n) throw new RewardException(what() + " returned " + len + " values for a batch of " + n + " samples");
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            Value v = result.getArrayElement(i);
            if (v.isNull()) out[i] = Double.NaN;
            else if (v.isBoolean()) out[i] = v.asBoolean() ? 1.0 : 0.0;
            else if (v.isNumber() && v.fitsInDouble()) out[i] = v.asDouble();
            else throw new RewardException(what() + " returned " + v + " for sample " + (offset + i) + ", not a number or None");
        }
        return out;
    }

    /** Names the first sample the function fails on alone, by calling it one sample at a time. */
    private String failure(ContextPool.Warm w, List<Sample> part, int offset, PolyglotException batchError) {
        String head = what() + " raised " + batchError.getMessage() + ContextPool.where(batchError);
        if (part.size() == 1) return head + " on sample " + offset + " " + preview(part.getFirst());
        for (int i = 0; i < Math.min(part.size(), MAX_BISECT); i++) {
            try (Watchdog.Guard guard = Watchdog.guard(w.context(), timeout)) {
                w.caller().execute(w.function(source), TrlBatch.json(part.subList(i, i + 1)));
            } catch (PolyglotException e) {
                if (e.isInterrupted() || e.isCancelled() || e.isExit()) break;
                return what() + " raised " + e.getMessage() + ContextPool.where(e) + " on sample " + (offset + i) + " of the batch "
                        + preview(part.get(i));
            }
        }
        return head + " on a batch of " + part.size() + " samples (no single sample fails alone)";
    }

    private static String preview(Sample s) {
        String c = s.completion();
        String shown = c.length() > 80 ? c.substring(0, 77) + "..." : c;
        return "(completion \"" + shown.replace("\n", "\\n") + "\")";
    }

    @Override
    public String toString() {
        return source.language().id() + " reward '" + name + "' from " + source.fileName() + ": " + source.callable();
    }
}
