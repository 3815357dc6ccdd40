package org.grpo4j.optim;

import java.util.List;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;

/**
 * What an optimiser updates: one flat parameter block and its gradient block in the same layout, cut into runs
 * that share a weight-decay setting. A full fine-tune trains the model's own block; a LoRA run trains only the
 * adapters' block, so only adapter parameters get gradients and AdamW moments.
 */
public interface Trainable {
    Backend backend();

    Tensor params();

    Tensor grads();

    /** Runs of adjacent parameters as {offset, size, decay (0/1)}. */
    List<long[]> decayGroups();
}
