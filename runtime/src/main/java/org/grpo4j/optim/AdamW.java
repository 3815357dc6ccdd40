package org.grpo4j.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsWriter;

/**
 * AdamW (decoupled weight decay, bias correction; torch.optim.AdamW) over the model's flat parameter block.
 * Weight decay skips biases and norm weights, as Hugging Face's Trainer does. The moments live in the
 * model's backend, in the parameters' layout, so one step is one kernel call per decay group.
 */
public final class AdamW {
    /** The optimiser settings under TRL/transformers names; defaults are TRL's. */
    public record Settings(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
        public static Settings defaults() {
            return new Settings(1e-6, 0.9, 0.999, 1e-8, 0.0);
        }

        public Settings {
            if (!(learningRate >= 0)) throw new IllegalArgumentException("learning_rate must be >= 0, got " + learningRate);
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("adam_beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("adam_beta2 must be in [0, 1), got " + beta2);
            if (!(epsilon > 0)) throw new IllegalArgumentException("adam_epsilon must be > 0, got " + epsilon);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
        }
    }

    private final Trainable model;
    private final Settings settings;
    private final Tensor m, v;
    private final List<long[]> groups;
    private int step;

    /** An optimiser over {@code model}'s parameters: a Transformer (full fine-tune) or its LoRA adapters. */
    public AdamW(Trainable model, Settings settings) {
        this.model = model;
        this.settings = settings;
        Backend be = model.backend();
        this.m = be.allocate(model.params().size());
        this.v = be.allocate(model.params().size());
        this.groups = model.decayGroups();
    }

    public Settings settings() {
        return settings;
    }

    /** Optimiser steps taken so far. */
    public int stepCount() {
        return step;
    }

    /** One update with learning rate {@code lr} (from the schedule) using the model's accumulated gradients. */
    public void step(double lr) {
        step(lr, 1f);
    }

    /**
     * {@link #clipGradNorm} and {@link #step(double)} in one pass over the parameters: the gradients are scaled by
     * the clipping coefficient inside the update (and left scaled, as clipping leaves them). Returns the norm before
     * clipping.
     */
    public double clipAndStep(double lr, double maxNorm) {
        double norm = Math.sqrt(model.backend().sumOfSquares(model.grads()));
        step(lr, clipCoefficient(norm, maxNorm));
        return norm;
    }

    private void step(double lr, float gradScale) {
        step++;
        model.backend().adamw(model.params(), model.grads(), m, v, groups, gradScale, (float) lr, (float) settings.beta1(),
                (float) settings.beta2(), (float) settings.epsilon(), (float) settings.weightDecay(), step);
    }

    /**
     * Scales the gradients so their global L2 norm is at most {@code maxNorm} (torch's clip_grad_norm_, with its
     * 1e-6) and returns the norm before clipping; {@code maxNorm <= 0} only measures.
     */
    public static double clipGradNorm(Trainable model, double maxNorm) {
        Backend be = model.backend();
        double norm = Math.sqrt(be.sumOfSquares(model.grads()));
        float coef = clipCoefficient(norm, maxNorm);
        if (coef != 1f) be.scale(model.grads(), coef);
        return norm;
    }

    /** The factor torch's clip_grad_norm_ scales by: {@code maxNorm / (norm + 1e-6)} when below 1, else 1 (also when only measuring). */
    private static float clipCoefficient(double norm, double maxNorm) {
        if (!(maxNorm > 0) || !Double.isFinite(norm)) return 1f;
        double coef = maxNorm / (norm + 1e-6);
        return coef < 1 ? (float) coef : 1f;
    }

    /**
     * Writes the moments and the step count (a checkpoint's {@code optimizer.safetensors}), streamed to the file.
     * When the model is saved in a narrower dtype than it trains in (BF16 weights), the F32 master weights go here
     * too, so a resume continues from the exact weights and not from their rounding.
     */
    public void save(Path file) throws IOException {
        Backend be = model.backend();
        long n = model.params().size();
        SafetensorsWriter w = new SafetensorsWriter(Map.of("step", Integer.toString(step), "format", "grpo4j-adamw"))
                .add("exp_avg", DType.F32, new long[] {n}, be, m)
                .add("exp_avg_sq", DType.F32, new long[] {n}, be, v);
        // a model kept in BF16 on disk: its F32 weights travel here, so a resume continues exactly
        if (model instanceof org.grpo4j.model.Transformer t && t.weightsDtype() != DType.F32) w.add(MASTER_WEIGHTS, DType.F32, new long[] {n}, be, model.params());
        w.write(file);
    }

    private static final String MASTER_WEIGHTS = "master_weights";

    /** Restores what {@link #save} wrote; the model must have the same parameter layout. */
    public void load(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            long n = model.params().size();
            for (String name : new String[] {"exp_avg", "exp_avg_sq"})
                if (f.info(name).elements() != n)
                    throw new IOException(file + ": tensor '" + name + "' has " + f.info(name).elements() + " values, the model has " + n + " parameters");
            String s = f.metadata().get("step");
            if (s == null) throw new IOException(file + ": no 'step' in the metadata");
            Backend be = model.backend();
            be.write(m, f.readFloats("exp_avg"));
            be.write(v, f.readFloats("exp_avg_sq"));
            if (f.tensors().containsKey(MASTER_WEIGHTS)) {
                if (f.info(MASTER_WEIGHTS).elements() != n)
                    throw new IOException(file + ": tensor '" + MASTER_WEIGHTS + "' has " + f.info(MASTER_WEIGHTS).elements() + " values, the model has " + n + " parameters");
                be.write(model.params(), f.readFloats(MASTER_WEIGHTS));
            }
            step = Integer.parseInt(s);
        }
    }
}
