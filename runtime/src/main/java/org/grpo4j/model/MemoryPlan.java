package org.grpo4j.model;

/**
 * Memory a training run needs, computed before any work starts: parameters, gradients, AdamW moments, a frozen
 * reference copy when {@code beta ≠ 0} (with the activations of its scoring pass), the activations of one
 * micro-batch, and PPO's critic ({@code adv_estimator = gae}: {@link #critic}, everything it holds together). A plan
 * that does not fit says which setting to lower instead of failing halfway through a run.
 */
public record MemoryPlan(long parameterBytes, long gradientBytes, long optimizerBytes, long referenceBytes, long activationBytes, long criticBytes) {

    public MemoryPlan(long parameterBytes, long gradientBytes, long optimizerBytes, long referenceBytes, long activationBytes) {
        this(parameterBytes, gradientBytes, optimizerBytes, referenceBytes, activationBytes, 0);
    }

    /** This plan with {@code critic}'s whole total beside it. */
    public MemoryPlan withCritic(MemoryPlan critic) {
        return new MemoryPlan(parameterBytes, gradientBytes, optimizerBytes, referenceBytes, activationBytes, criticBytes + critic.totalBytes());
    }

    /**
     * PPO's value model beside {@code policy} ({@code grpo/critic/Critic}): a full copy's weights, gradients, AdamW
     * moments; for a LoRA policy only its own adapters' (the frozen base is the policy's, shared); the decoder's
     * activations without head rows; the scalar value head with its gradient and moments.
     */
    public static MemoryPlan critic(Transformer policy, int microBatchSequences, int sequenceLength) {
        ModelConfig c = policy.config();
        long head = 4L * c.hiddenSize();
        long acts = Activations.floatsForBatch(c, microBatchSequences, sequenceLength, 0, policy.gradientCheckpointing()) * 4;
        if (policy.lora() == null) return critic(c, microBatchSequences, sequenceLength, policy.gradientCheckpointing());
        long adapters = policy.lora().parameterBytes();
        return new MemoryPlan(adapters + head, adapters + head, 2 * (adapters + head), 0, acts + policy.lora().activationBytes(microBatchSequences * sequenceLength));
    }

    /** A full critic of config {@code c} (before any model is loaded: the recipe's check). */
    public static MemoryPlan critic(ModelConfig c, int microBatchSequences, int sequenceLength, boolean checkpointing) {
        long params = new ParameterLayout(c).size() * 4 + 4L * c.hiddenSize();
        long acts = Activations.floatsForBatch(c, microBatchSequences, sequenceLength, 0, checkpointing) * 4;
        return new MemoryPlan(params, params, 2 * params, 0, acts);
    }

    /**
     * The plan for training {@code model} as it is set up: a LoRA model counts its frozen base (fp32 or packed), the
     * adapters' gradients and moments, no reference copy (the adapters switch off instead) and the adapters' saved
     * activations; gradient checkpointing keeps every layer's narrow activations and one set of the wide ones.
     */
    public static MemoryPlan training(Transformer model, int microBatchSequences, int sequenceLength, int targetsPerSequence, boolean reference) {
        ModelConfig c = model.config();
        // a reference model's weights are fixed: its projections read copies laid out once (Transformer.fixWeights)
        long fixed = reference && model.lora() == null ? model.fixedCopyBytes() : 0;
        if (!model.frozen() && !model.gradientCheckpointing())
            return training(c, microBatchSequences, sequenceLength, targetsPerSequence, reference).plusReference(fixed);
        long base = model.frozenBase() != null ? model.frozenBase().bytes() : new ParameterLayout(c).size() * 4;
        long trained = model.frozen() ? model.trainable().params().size() * 4 : base;
        boolean copy = reference && model.lora() == null, parts = !model.frozen(); // SequenceParts: fp32 weights without adapters only
        long acts = parts ? SequenceParts.trainingActivationBytes(c, microBatchSequences, sequenceLength, targetsPerSequence, model.gradientCheckpointing())
                : Activations.floatsForBatch(c, microBatchSequences, sequenceLength, targetsPerSequence, model.gradientCheckpointing()) * 4;
        if (model.lora() != null) acts += model.lora().activationBytes(microBatchSequences * sequenceLength);
        long grads = trained + (parts ? SequenceParts.extraGradientBytes(c, microBatchSequences) : 0);
        return new MemoryPlan(base, grads, 2 * trained, copy ? base + fixed + scoring(c, microBatchSequences, sequenceLength, targetsPerSequence) : 0, acts);
    }

    private MemoryPlan plusReference(long bytes) {
        return new MemoryPlan(parameterBytes, gradientBytes, optimizerBytes, referenceBytes + bytes, activationBytes, criticBytes);
    }

    public static MemoryPlan training(ModelConfig c, int microBatchSequences, int sequenceLength, int targetsPerSequence, boolean reference) {
        long params = new ParameterLayout(c).size() * 4;
        long acts = SequenceParts.trainingActivationBytes(c, microBatchSequences, sequenceLength, targetsPerSequence, false);
        long ref = params + scoring(c, microBatchSequences, sequenceLength, targetsPerSequence);
        return new MemoryPlan(params, params + SequenceParts.extraGradientBytes(c, microBatchSequences), 2 * params, reference ? ref : 0, acts);
    }

    /** A scoring pass's activations, all its parts' where it runs in whole sequences per core ({@link SequenceParts}). */
    private static long scoring(ModelConfig c, int sequences, int length, int targetsPerSequence) {
        return SequenceParts.scoringActivationBytes(c, sequences, length, targetsPerSequence);
    }

    public long totalBytes() {
        return parameterBytes + gradientBytes + optimizerBytes + referenceBytes + activationBytes + criticBytes;
    }

    /** The settings that shrink a run, for every "does not fit" message. */
    public static final String LOWER = "Lower per_device_train_batch_size (raise gradient_accumulation_steps to keep the batch), max_completion_length, "
            + "or set beta = 0 to drop the reference model; set gradient_checkpointing = true; train LoRA adapters (use_peft, with load_in_4bit for "
            + "an NF4 base); or give the JVM more memory (GRPO_MAX_RAM_PERCENT, default 75, of what the machine has free)";

    /** Throws when the plan exceeds {@code availableBytes}, naming the settings that shrink it. */
    public void requireFits(long availableBytes) {
        if (totalBytes() > availableBytes)
            throw new IllegalStateException("training needs " + gib(totalBytes()) + " (" + this + ") but only " + gib(availableBytes)
                    + " of the heap is free (" + heapReport() + "). " + (parameterBytes > availableBytes
                    ? "The model's parameters alone do not fit: a smaller model, or a machine with more memory. " : "") + LOWER);
    }

    /** The line a run prints at its start: what it needs and what it has. */
    public String report() {
        return "the run needs " + gib(totalBytes()) + " (" + this + "); " + heapReport();
    }

    /** The heap limit (sized by ./grpo from the memory the machine has free), what is in use, and the machine's free memory. */
    public static String heapReport() {
        Runtime rt = Runtime.getRuntime();
        long free = machineAvailable();
        return "heap limit " + gib(rt.maxMemory()) + ", in use " + gib(rt.totalMemory() - rt.freeMemory())
                + (free > 0 ? ", machine memory available " + gib(free) : "");
    }

    /** The heap this JVM may still use, after a collection so that garbage does not count as used. */
    public static long availableHeap() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** {@code MemAvailable} of /proc/meminfo in bytes, or 0 where there is no such file. */
    static long machineAvailable() {
        try {
            for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo")))
                if (l.startsWith("MemAvailable:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: the heap limit alone bounds the run
        }
        return 0;
    }

    static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    @Override
    public String toString() {
        return "parameters " + gib(parameterBytes) + ", gradients " + gib(gradientBytes) + ", AdamW " + gib(optimizerBytes)
                + (referenceBytes > 0 ? ", reference " + gib(referenceBytes) : "") + ", activations " + gib(activationBytes)
                + (criticBytes > 0 ? ", critic " + gib(criticBytes) : "");
    }
}
