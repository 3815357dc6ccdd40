package org.grpo4j.grpo.critic;

import java.util.List;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.model.ScoreHead;
import org.grpo4j.optim.Trainable;

/**
 * The critic's scalar head as an optimiser's parameter block: Hugging Face's {@code score} layer ({@code 1 × hidden},
 * no bias, {@code …ForTokenClassification} with one label), applied through {@link ScoreHead}. Its weights live in the
 * backend beside their gradient, so AdamW steps them like any other block.
 */
public final class ValueHead implements Trainable {
    private final Backend backend;
    private final int hidden;
    private final Tensor params, grads;

    ValueHead(Backend backend, int hidden) {
        this.backend = backend;
        this.hidden = hidden;
        this.params = backend.allocate(hidden);
        this.grads = backend.allocate(hidden);
    }

    /** HF's initialisation of a new head: normal(0, std), here drawn from {@code seed} so a run is repeatable. */
    void initialise(long seed, double std) {
        java.util.Random r = new java.util.Random(seed);
        float[] w = new float[hidden];
        for (int i = 0; i < hidden; i++) w[i] = (float) (r.nextGaussian() * std);
        backend.write(params, w);
    }

    /** The head with the current weights (a copy: the optimiser may step the block meanwhile). */
    ScoreHead head() {
        return new ScoreHead(backend.read(params), 1, hidden);
    }

    /** Adds {@code g} to the gradient block. */
    void addGradient(float[] g) {
        float[] acc = backend.read(grads);
        for (int i = 0; i < hidden; i++) acc[i] += g[i];
        backend.write(grads, acc);
    }

    float[] weights() {
        return backend.read(params);
    }

    void setWeights(float[] w) {
        if (w.length != hidden) throw new IllegalArgumentException("value head: " + w.length + " weights for hidden size " + hidden);
        backend.write(params, w);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Tensor params() {
        return params;
    }

    @Override
    public Tensor grads() {
        return grads;
    }

    /** One run, decayed: it is a linear layer's weight (HF's Trainer decays those). */
    @Override
    public List<long[]> decayGroups() {
        return List.of(new long[] {0, hidden, 1});
    }
}
