package org.grpo4j.grpo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Where a run is in its training prompts: each epoch is a seeded shuffle, and prompts are drawn in that order,
 * rolling into the next epoch when one runs out. The one place prompts are drawn, so a generation batch and a
 * dynamic-sampling top-up take them the same way, and (epoch, position) is all a checkpoint needs to continue.
 */
final class PromptOrder {
    private final List<Prompt> prompts;
    private final long seed;
    private int epoch, position;
    private List<Prompt> order;

    PromptOrder(List<Prompt> prompts, long seed, int epoch, int position) {
        this.prompts = prompts;
        this.seed = seed;
        this.epoch = epoch;
        this.position = position;
        this.order = shuffled(epoch);
    }

    /** The next {@code n} prompts. */
    List<Prompt> draw(int n) {
        List<Prompt> out = new ArrayList<>(n);
        while (out.size() < n) {
            if (position >= order.size()) {
                epoch++;
                position = 0;
                order = shuffled(epoch);
            }
            out.add(order.get(position++));
        }
        return out;
    }

    int epoch() {
        return epoch;
    }

    int position() {
        return position;
    }

    /** Epochs done, with the current one's fraction (TRL's {@code epoch} metric). */
    double progress() {
        return epoch + position / (double) prompts.size();
    }

    /** The prompt order of an epoch: a seeded shuffle. */
    List<Prompt> shuffled(int epoch) {
        List<Prompt> o = new ArrayList<>(prompts);
        Collections.shuffle(o, new Random(GrpoTrainer.mix(seed, 0x5EED, epoch)));
        return o;
    }
}
