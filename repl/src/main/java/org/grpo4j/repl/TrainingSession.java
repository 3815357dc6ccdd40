package org.grpo4j.repl;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A training run going on in the background of the REPL ({@code :train}); the trainer implements it. */
public interface TrainingSession {
    /** The latest status, or {@code null} before the first step has finished. */
    TrainingStatus status();

    /** One status per finished step, oldest first (for {@code :metrics} sparklines). */
    List<TrainingStatus> history();

    boolean isRunning();

    /**
     * Asks the trainer to save a checkpoint and stop, waits until it has, and returns the checkpoint's directory
     * ({@code null} when none was written, e.g. before the first step).
     */
    Path stop() throws Exception;

    /** Why the run ended early, if it failed. */
    Optional<Throwable> failure();

    /** The run's output folder (metrics, checkpoints, report.html), or null when unknown. */
    default Path outputDir() {
        return null;
    }
}
