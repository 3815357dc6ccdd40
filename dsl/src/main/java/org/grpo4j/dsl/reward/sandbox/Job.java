package org.grpo4j.dsl.reward.sandbox;

import java.util.List;

/**
 * One program to run against its test inputs in the sandbox: every input is fed to a fresh run on stdin.
 *
 * <pre>{@code new Job("python", "print(int(input()) * 2)", List.of("3\n", "10\n"), 5000, 1 << 20)}</pre>
 *
 * @param timeoutMs      wall-clock limit of one run
 * @param maxOutputBytes what one run may write to stdout and stderr together; more stops the run
 */
public record Job(String language, String code, List<String> inputs, long timeoutMs, int maxOutputBytes) {
    public Job {
        inputs = List.copyOf(inputs);
        if (timeoutMs <= 0) throw new IllegalArgumentException("timeout must be positive, got " + timeoutMs + " ms");
        if (maxOutputBytes <= 0) throw new IllegalArgumentException("the output limit must be positive, got " + maxOutputBytes);
    }

    /** How one run ended. */
    public enum Status {
        /** Finished; {@link Outcome#exitCode()} says with which code. */
        EXITED,
        /** Ran past the wall-clock limit and was stopped. */
        TIMEOUT,
        /** Wrote more than the output limit and was stopped. */
        OUTPUT_LIMIT,
        /** The worker JVM died (its heap limit, or killed by the watchdog) and was replaced. */
        WORKER_DIED,
        /** The sandbox refused or could not run it (unsupported language, no code). */
        NOT_RUN
    }

    /** One run's result: exit code 0 and the right stdout pass a test. */
    public record Outcome(Status status, int exitCode, String stdout, String detail) {
        public boolean ok() {
            return status == Status.EXITED && exitCode == 0;
        }
    }
}
