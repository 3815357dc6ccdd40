package org.grpo4j.backend;

/** A backend-owned array of ints: token ids, positions and sequence offsets the kernels read. */
public abstract class IntTensor {
    private final int size;

    protected IntTensor(int size) {
        this.size = size;
    }

    public final int size() {
        return size;
    }
}
