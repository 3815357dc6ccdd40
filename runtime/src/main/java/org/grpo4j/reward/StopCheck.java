package org.grpo4j.reward;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stops reward code that ignores interrupts, which Java cannot do to a thread from outside: classes compiled by the
 * REPL and the {@code .grpo} script runner call {@link #check} at every method start and before every backward
 * branch (the way JShell's own stop works, but for one thread), and {@link #stop} makes that check throw
 * {@link Stopped} on the given thread, so a reward lambda spinning in a loop ends at its next iteration. Classes
 * compiled elsewhere (a Java project's own reward classes, library code) have no checks: a call of theirs that never
 * returns keeps its thread, one per reward function (see {@code org.grpo4j.grpo.RewardScoring}).
 */
public final class StopCheck {
    private static final Set<Thread> STOPPED = ConcurrentHashMap.newKeySet();
    private static volatile boolean any; // the fast path of check(): one volatile read while nothing is stopped

    private StopCheck() {}

    /** Called by instrumented code: throws {@link Stopped} when the current thread was told to stop. */
    public static void check() {
        if (any && STOPPED.contains(Thread.currentThread())) throw new Stopped();
    }

    /** Makes instrumented code on {@code thread} throw {@link Stopped} from its next check on, until {@link #forget}. */
    public static void stop(Thread thread) {
        STOPPED.add(thread);
        any = true;
    }

    /** Ends {@link #stop} for {@code thread} (when its call has returned or thrown). */
    public static void forget(Thread thread) {
        STOPPED.remove(thread);
        any = !STOPPED.isEmpty();
    }

    /** Thrown into stopped code; an Error so that reward code catching Exception does not swallow it. */
    public static final class Stopped extends Error {
        public Stopped() {
            super("stopped: the reward call ran past reward_timeout_seconds", null, false, false);
        }
    }
}
