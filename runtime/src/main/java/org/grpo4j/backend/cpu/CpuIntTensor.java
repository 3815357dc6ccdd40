package org.grpo4j.backend.cpu;

import org.grpo4j.backend.IntTensor;

/** The CPU backend's int tensor: the host array itself. */
public final class CpuIntTensor extends IntTensor {
    final int[] data;

    CpuIntTensor(int[] data) {
        super(data.length);
        this.data = data;
    }

    public int[] array() {
        return data;
    }
}
