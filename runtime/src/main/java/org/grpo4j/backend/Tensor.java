package org.grpo4j.backend;

/**
 * A handle to {@code size} floats owned by a {@link Backend}: host memory for the CPU backend, device memory for
 * OpenCL. Views ({@link #slice}) share storage, so a model keeps one allocation per family (parameters,
 * gradients, optimiser moments, activations) and hands named views of it to the ops, as llm.c does.
 */
public abstract class Tensor {
    private final long size;

    protected Tensor(long size) {
        if (size < 0) throw new IllegalArgumentException("negative tensor size " + size);
        this.size = size;
    }

    /** Number of floats in this view. */
    public final long size() {
        return size;
    }

    /** A view of {@code length} floats starting {@code offset} floats into this one. */
    public abstract Tensor slice(long offset, long length);

    protected final void checkSlice(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size)
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + length) + ") of a tensor of " + size);
    }
}
