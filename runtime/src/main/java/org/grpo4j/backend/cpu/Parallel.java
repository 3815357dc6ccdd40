package org.grpo4j.backend.cpu;

import java.util.concurrent.locks.LockSupport;
import org.grpo4j.distributed.Launch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fixed thread pool every CPU kernel shares. The width comes from {@code -Dgrpo4j.threads} (default: the
 * machine's processors, shared evenly among the MPI ranks on this machine), so benchmarks can pin 1 or 2 threads and the choice is visible in one place.
 *
 * <p>Work is split into contiguous ranges, one per thread: kernels are written as {@code body(from, to)} so
 * the inner loops stay allocation-free and the JIT sees plain counted loops.
 *
 * <p>Hand-off. A model step issues hundreds of ops, many of them a few microseconds long, so a hand-off must cost
 * far less than an executor's submit and future. The workers are persistent: the caller publishes the loop body and
 * bumps an epoch, each worker runs its chunk and counts down, and the caller runs chunk 0 meanwhile. Workers spin
 * for {@value #SPIN_NANOS} ns after their last chunk (back-to-back ops find them awake) and then park. The calling
 * thread waits the same way. Nothing is allocated per call but the job record.
 *
 * <p>Chunks are claimed, not assigned: the caller and the workers take chunk indices from one counter, so a worker
 * the operating system has not scheduled yet (a loaded machine, more runnable threads than cores) does not stall the
 * op — the caller runs its chunk instead. Chunk boundaries depend only on {@code n} and the chunk count, so results
 * do not depend on which thread ran which chunk.
 */
public final class Parallel {
    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** How long an idle worker (or a waiting caller) spins before it parks. */
    private static final long SPIN_NANOS = Long.getLong("grpo4j.spinNanos", 50_000);

    private static volatile int threads = Integer.getInteger("grpo4j.threads",
            Launch.threadsPerRank(Runtime.getRuntime().availableProcessors(), System.getenv()));
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    /** One fork at a time: a second caller (another Java thread) runs its loop on its own thread instead of waiting. */
    private static final ReentrantLock FORK = new ReentrantLock();

    /** One fork: immutable, so a worker that reads it sees one consistent job (the only allocation per fork). */
    private record Job(long epoch, Range body, int n, int chunks, java.util.concurrent.atomic.AtomicInteger claimed) {
        /** Runs unclaimed chunks until none is left; a failure is recorded before its chunk counts as done. */
        void runChunks() {
            for (int c; (c = claimed.getAndIncrement()) < chunks; ) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger NONE = new java.util.concurrent.atomic.AtomicInteger();
    private static volatile Job current = new Job(0, null, 0, 0, NONE);
    private static final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private static volatile Throwable failure;
    private static volatile Thread caller;
    private static Worker[] workers = new Worker[0];

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /**
     * The threads a loop started here can use: {@link #threads()}, or 1 inside a loop body (nested loops run on the
     * calling thread), so a kernel that shapes its work by thread count (the GEMM's slabs, its depth parts) does not
     * cut a loop that will run whole into pieces that each repeat the packing.
     */
    public static int width() {
        return NESTED_WIDTH_ONE && INSIDE.get() ? 1 : threads;
    }

    /** {@code -Dgrpo4j.nestedWidth=false}: {@link #width()} is {@link #threads()} inside a loop body too (benchmarks compare). */
    private static final boolean NESTED_WIDTH_ONE = !"false".equals(System.getProperty("grpo4j.nestedWidth"));

    /** Sets the number of threads kernels use (benchmarks compare 1 and 2 threads). */
    public static void setThreads(int n) {
        if (n < 1 || n > 64) throw new IllegalArgumentException("threads must be in 1..64, got " + n);
        threads = n;
    }

    /** Element operations below which a loop is not worth a hand-off (a few microseconds of vector work). */
    static final long MIN_PARALLEL_WORK = Long.getLong("grpo4j.minParallelWork", 1 << 15);

    /** The grain for items of {@code workPerItem} element operations each: small work stays on the calling thread. */
    public static int grain(long workPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_PARALLEL_WORK / Math.max(1, workPerItem)));
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
        if (chunks <= 1 || INSIDE.get() || !FORK.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            fork(n, chunks, body);
        } finally {
            FORK.unlock();
        }
    }

    private static void fork(int n, int chunks, Range body) {
        ensureWorkers(chunks - 1);
        failure = null;
        caller = Thread.currentThread();
        pending.set(chunks);
        Job job = new Job(current.epoch() + 1, body, n, chunks, new java.util.concurrent.atomic.AtomicInteger());
        current = job; // publishes the job
        for (int w = 0; w < chunks - 1; w++) workers[w].wake();
        INSIDE.set(true);
        try {
            job.runChunks();
        } finally {
            INSIDE.set(false);
        }
        // an interrupt (Ctrl-C in the REPL, :stop) must not abandon workers that still write into our arrays: wait
        // for every chunk, then leave the interrupt set for the caller (a trainer checks it between steps)
        boolean interrupted = false;
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (pending.get() > 0) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else {
                LockSupport.parkNanos(Parallel.class, 100_000);
                if (Thread.interrupted()) interrupted = true;
            }
        }
        current = new Job(job.epoch(), null, 0, 0, NONE); // the job's arrays must not outlive it
        if (interrupted) Thread.currentThread().interrupt();
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error err) throw err;
        if (f != null) throw new RuntimeException(f);
    }

    private static void ensureWorkers(int count) {
        if (workers.length >= count) return;
        Worker[] more = java.util.Arrays.copyOf(workers, count);
        for (int w = workers.length; w < count; w++) {
            more[w] = new Worker(w + 1);
            more[w].start();
        }
        workers = more;
    }

    /** Claims and runs chunks of every job whose epoch it has not seen yet (jobs of fewer chunks than its index skip it). */
    private static final class Worker extends Thread {
        private final int index;
        private long seen;
        private volatile boolean parked;

        Worker(int index) {
            super("grpo4j-worker-" + index);
            this.index = index;
            this.seen = current.epoch();
            setDaemon(true);
        }

        void wake() {
            if (parked) LockSupport.unpark(this);
        }

        @Override
        public void run() {
            INSIDE.set(true);
            while (true) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                Job job;
                while ((job = current).epoch() == seen) {
                    if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                    else {
                        parked = true;
                        if (current.epoch() == seen) LockSupport.park(Parallel.class);
                        parked = false;
                        spinUntil = System.nanoTime() + SPIN_NANOS;
                    }
                }
                seen = job.epoch();
                if (index >= job.chunks()) continue; // this job uses fewer threads
                job.runChunks();
                if (pending.get() == 0) LockSupport.unpark(caller);
            }
        }
    }
}
