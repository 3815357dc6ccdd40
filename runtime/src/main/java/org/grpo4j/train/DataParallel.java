package org.grpo4j.train;

import org.grpo4j.distributed.Communicator;
import org.grpo4j.optim.Trainable;

/** The two things every data-parallel trainer does the same way: combine gradients, and stop together. */
public final class DataParallel {
    private DataParallel() {}

    /**
     * Replaces the trainable parameters' gradients (the adapters' under LoRA) by their sum over the ranks times {@code scale} (1/ranks for DDP's mean), so
     * every rank takes the same optimiser step. One process: nothing is touched, not even multiplied by 1.
     */
    public static void combineGradients(Trainable model, Communicator comm, float scale) {
        if (comm.size() == 1) return;
        var be = model.backend();
        float[] g = be.read(model.grads());
        comm.sumInPlace(g);
        if (scale != 1f) for (int i = 0; i < g.length; i++) g[i] *= scale;
        be.write(model.grads(), g);
    }

    /**
     * Whether to stop, agreed by every rank at the same point of the loop: a time limit or Ctrl-C reaches one rank
     * first, and the others must stop after the same step instead of waiting forever for its gradients.
     */
    public static boolean stopAgreed(StopSignal stop, Communicator comm) {
        if (comm.size() == 1) return stop.requested();
        double[] any = {stop.requested() ? 1 : 0};
        comm.maxInPlace(any);
        if (any[0] != 0 && !stop.requested()) stop.request("another rank stopped");
        return any[0] != 0;
    }
}
