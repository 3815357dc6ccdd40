package org.grpo4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * How many untimed repetitions a benchmark runs first, and a check that they were enough. A Vector API kernel runs
 * interpreted until C2 compiles it, ~20× slower, and a kernel called once per step (AdamW, the gradient norm, parts
 * of the head) needs many steps to get there; a real run of hundreds of steps is warm, so the timed steps must be too.
 * The check is the JIT's own clock: compilation time spent during the timed part, which a warm benchmark keeps near 0.
 */
final class Warmup {
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private final long startMillis;

    private Warmup() {
        startMillis = jitMillis();
    }

    /**
     * Default untimed steps for a model shape: enough calls of every once-per-step kernel for C2 on the small shapes.
     * bench-s takes 80: after 30 steps its timed ones still spent 45–108 ms of ~1.6 s in the JIT (up to 15 ms a step on
     * a 2-core machine, where the compiler threads share the cores), after 80 steps 16 ms.
     */
    static int defaultSteps(String config) {
        return switch (config) {
            case "bench-s" -> 80;
            case "bench-m" -> 3;
            default -> 1;
        };
    }

    /** Starts watching the JIT (call after the warm-up, before the timed part). */
    static Warmup watch() {
        return new Warmup();
    }

    /**
     * The printout line: the warm-up done and what the JIT still compiled while {@code timedSeconds} were timed (the
     * compiler threads share the two cores with the benchmark, so more than a few percent of it means "not warm").
     */
    String line(int steps, double seconds, String what, double timedSeconds) {
        long during = jitMillis() - startMillis;
        return String.format("# warm-up: %d untimed %s (%.1f s) so that C2 has compiled every kernel they use (a run of hundreds of steps is warm); "
                        + "JIT compilation during the timed ones: %d ms of %.1f s%s", steps, what, seconds, during, timedSeconds,
                during > 0.05 * timedSeconds * 1e3 ? " (not warm yet: raise --warmup)" : "");
    }

    private static long jitMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }
}
