package org.grpo4j.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How a run is asked to stop cleanly: the trainer checks it between steps, saves a checkpoint and returns.
 * Ctrl-C and SIGTERM set it (the first time; a second Ctrl-C is left to the JVM, so a stuck run can still be
 * killed), and the REPL's {@code :stop} sets it directly.
 */
public class StopSignal {
    private final AtomicBoolean requested = new AtomicBoolean();
    private volatile String reason = "";

    public void request(String why) {
        reason = why;
        requested.set(true);
    }

    public boolean requested() {
        return requested.get();
    }

    public String reason() {
        return reason;
    }

    /** Seconds until this signal stops the run by itself (a time limit), or infinity. */
    public double secondsLeft() {
        return Double.POSITIVE_INFINITY;
    }

    /** Routes SIGINT and SIGTERM of this process to this signal (command-line runs). */
    @SuppressWarnings("restriction")
    public StopSignal onProcessSignals() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (requested.get()) System.exit(130);
                    request("SIG" + name);
                    System.err.println("\nstopping after this step (SIG" + name + "); a checkpoint will be saved. Press Ctrl-C again to abort.");
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // the signal is not available on this platform: the run can still be stopped from the REPL
            }
        }
        return this;
    }
}
