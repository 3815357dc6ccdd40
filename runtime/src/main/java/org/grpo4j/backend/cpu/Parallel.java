package org.grpo4j.backend.cpu;

import java.util.concurrent.CountDownLatch;
import org.grpo4j.distributed.Launch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fixed thread pool every CPU kernel shares. The width comes from {@code -Dgrpo4j.threads} (default: the
 * machine's processors, shared evenly among the MPI ranks on this machine), so benchmarks can pin 1 or 2 threads and the choice is visible in one place.
 *
 * <p>Work is split into contiguous ranges, one per thread: kernels are written as {@code body(from, to)} so
 * the inner loops stay allocation-free and the JIT sees plain counted loops.
 */
public final class Parallel {
    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private static volatile int threads = Integer.getInteger("grpo4j.threads",
            Launch.threadsPerRank(Runtime.getRuntime().availableProcessors(), System.getenv()));
    private static final ExecutorService POOL = Executors.newFixedThreadPool(64, r -> {
        Thread t = new Thread(r, "grpo4j-worker");
        t.setDaemon(true);
        return t;
    });
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Sets the number of threads kernels use (benchmarks compare 1 and 2 threads). */
    public static void setThreads(int n) {
        if (n < 1 || n > 64) throw new IllegalArgumentException("threads must be in 1..64, got " + n);
        threads = n;
    }

    /** Runs {@code body} over {@code [0, n)} in at most {@link #threads()} contiguous chunks. */
    public static void forRange(int n, Range body) {
        forRange(n, 1, body);
    }

    /**
     * Like {@link #forRange(int, Range)} but never splits below {@code grain} items per chunk, so tiny loops stay
     * on the calling thread. Nested calls from a worker run sequentially (no deadlock, no oversubscription).
     */
    public static void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        Future<?>[] futures = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            final int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            futures[c - 1] = POOL.submit(() -> {
                INSIDE.set(true);
                try {
                    body.run(from, to);
                } finally {
                    INSIDE.set(false);
                }
            });
        }
        Throwable failure = null;
        try {
            INSIDE.set(true);
            body.run(0, (int) ((long) n / chunks));
        } catch (Throwable t) {
            failure = t;
        } finally {
            INSIDE.set(false);
        }
        // an interrupt (Ctrl-C in the REPL, :stop) must not abandon workers that still write into our arrays: wait
        // for every chunk, then leave the interrupt set for the caller (a trainer checks it between steps)
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (failure == null) failure = e.getCause();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new RuntimeException(failure);
    }
}
