package org.grpo4j.model;

/**
 * Memory a training run needs, computed before any work starts: parameters, gradients, AdamW moments, a frozen
 * reference copy when {@code beta ≠ 0}, and the activations of one micro-batch. A plan that does not fit says
 * which setting to lower instead of failing halfway through a run.
 */
public record MemoryPlan(long parameterBytes, long gradientBytes, long optimizerBytes, long referenceBytes, long activationBytes) {

    /**
     * The plan for training {@code model} as it is set up: a LoRA model counts its frozen base (fp32 or packed), the
     * adapters' gradients and moments, no reference copy (the adapters switch off instead) and the adapters' saved
     * activations; gradient checkpointing keeps one layer's activations plus every layer's input.
     */
    public static MemoryPlan training(Transformer model, int microBatchSequences, int sequenceLength, int targetsPerSequence, boolean reference) {
        ModelConfig c = model.config();
        if (!model.frozen() && !model.gradientCheckpointing()) return training(c, microBatchSequences, sequenceLength, targetsPerSequence, reference);
        long base = model.frozenBase() != null ? model.frozenBase().bytes() : new ParameterLayout(c).size() * 4;
        long trained = model.frozen() ? model.trainable().params().size() * 4 : base;
        int rows = microBatchSequences * sequenceLength;
        long probs = (long) microBatchSequences * c.numHeads() * sequenceLength * sequenceLength;
        int targets = microBatchSequences * targetsPerSequence;
        long acts = Activations.floatsFor(c, rows, probs, targets, Activations.headChunkRows(c, targets), model.gradientCheckpointing()) * 4;
        if (model.lora() != null) acts += model.lora().activationBytes(rows);
        boolean copy = reference && model.lora() == null;
        return new MemoryPlan(base, trained, 2 * trained, copy ? base : 0, acts);
    }

    public static MemoryPlan training(ModelConfig c, int microBatchSequences, int sequenceLength, int targetsPerSequence, boolean reference) {
        long params = new ParameterLayout(c).size() * 4;
        int rows = microBatchSequences * sequenceLength;
        long probs = (long) microBatchSequences * c.numHeads() * sequenceLength * sequenceLength;
        int targets = microBatchSequences * targetsPerSequence;
        int chunk = Activations.headChunkRows(c, targets);
        long acts = Activations.floatsFor(c, rows, probs, targets, chunk) * 4;
        return new MemoryPlan(params, params, 2 * params, reference ? params : 0, acts);
    }

    public long totalBytes() {
        return parameterBytes + gradientBytes + optimizerBytes + referenceBytes + activationBytes;
    }

    /** Throws when the plan exceeds {@code availableBytes}, naming the settings that shrink it. */
    public void requireFits(long availableBytes) {
        if (totalBytes() > availableBytes)
            throw new IllegalStateException("training needs " + gib(totalBytes()) + " (" + this + ") but only " + gib(availableBytes)
                    + " is available; lower per_device_train_batch_size (raise gradient_accumulation_steps to keep the batch), "
                    + "max_completion_length, or set beta = 0 to drop the reference model; set gradient_checkpointing = true; train LoRA adapters "
                    + "(use_peft, with load_in_4bit for an NF4 base); or raise the JVM heap (GRPO_MAX_RAM_PERCENT)");
    }

    /** The heap this JVM may still use. */
    public static long availableHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    @Override
    public String toString() {
        return "parameters " + gib(parameterBytes) + ", gradients " + gib(gradientBytes) + ", AdamW " + gib(optimizerBytes)
                + (referenceBytes > 0 ? ", reference " + gib(referenceBytes) : "") + ", activations " + gib(activationBytes);
    }
}
