package org.grpo4j.backend.opencl;

import org.grpo4j.backend.Tensor;
import org.grpo4j.opencl.Buffer;

/** The OpenCL backend's tensor: a view of {@code size} floats starting {@code offset} floats into a device buffer. */
public final class ClTensor extends Tensor {
    final Buffer buffer;
    final long offset;

    ClTensor(Buffer buffer, long offset, long size) {
        super(size);
        this.buffer = buffer;
        this.offset = offset;
    }

    @Override
    public ClTensor slice(long offset, long length) {
        checkSlice(offset, length);
        return new ClTensor(buffer, this.offset + offset, length);
    }

    public Buffer buffer() {
        return buffer;
    }

    public long offset() {
        return offset;
    }
}
