package org.grpo4j.dsl.reward.polyglot;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.graalvm.polyglot.Context;

/**
 * Stops guest code that runs too long. GraalPy's statement limits miss one-line loops ({@code while True: pass}),
 * so a wall clock is the only reliable limit: at the deadline, or as soon as the calling thread is interrupted
 * (the trainer interrupts a reward call it gives up on), the context is interrupted, which keeps it usable; if
 * the interrupt does not take within two seconds the context is closed for good.
 *
 * <pre>{@code try (Watchdog.Guard g = Watchdog.guard(context, Duration.ofSeconds(5))) { fn.execute(args); }
 * if (g.fired()) ...}</pre>
 */
public final class Watchdog {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "grpo4j-polyglot-watchdog");
        t.setDaemon(true);
        return t;
    });
    private static final long TICK_MS = 50;

    private Watchdog() {}

    /** Watches {@code context} while the current thread runs guest code in it, until the guard is closed. */
    public static Guard guard(Context context, Duration limit) {
        return new Guard(context, Thread.currentThread(), System.nanoTime() + limit.toNanos());
    }

    public static final class Guard implements AutoCloseable {
        private final Context context;
        private final Thread caller;
        private final long deadline;
        private final ScheduledFuture<?> tick;
        private volatile boolean fired, killed, closed;

        private Guard(Context context, Thread caller, long deadline) {
            this.context = context;
            this.caller = caller;
            this.deadline = deadline;
            this.tick = TIMER.scheduleAtFixedRate(this::check, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        }

        private void check() {
            if (fired || closed || (System.nanoTime() < deadline && !caller.isInterrupted())) return;
            fired = true;
            Thread.ofPlatform().daemon(true).name("grpo4j-polyglot-interrupt").start(() -> {
                try {
                    context.interrupt(Duration.ofSeconds(2));
                } catch (TimeoutException | RuntimeException e) {
                    killed = true;
                    try {
                        context.close(true);
                    } catch (RuntimeException ignored) { // already closing: nothing more to stop
                    }
                }
            });
        }

        /** Whether the limit (or an interrupt of the caller) stopped the guest code. */
        public boolean fired() {
            return fired;
        }

        /** Whether the context had to be closed: it cannot be used again. */
        public boolean killed() {
            return killed;
        }

        @Override
        public void close() {
            closed = true;
            tick.cancel(false);
        }
    }
}
