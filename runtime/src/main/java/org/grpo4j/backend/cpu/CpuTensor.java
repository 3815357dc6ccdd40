package org.grpo4j.backend.cpu;

import org.grpo4j.backend.Tensor;

/** A view of a Java float array: the CPU backend's tensor. */
public final class CpuTensor extends Tensor {
    final float[] data;
    final int offset;

    CpuTensor(float[] data, int offset, int size) {
        super(size);
        this.data = data;
        this.offset = offset;
    }

    @Override
    public CpuTensor slice(long offset, long length) {
        checkSlice(offset, length);
        return new CpuTensor(data, Math.toIntExact(this.offset + offset), Math.toIntExact(length));
    }

    /** The backing array (shared with every view of the same allocation). */
    public float[] array() {
        return data;
    }

    /** Where this view starts in {@link #array()}. */
    public int offset() {
        return offset;
    }

    public int length() {
        return (int) size();
    }
}
