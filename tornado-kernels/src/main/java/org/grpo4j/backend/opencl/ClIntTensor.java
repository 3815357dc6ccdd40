package org.grpo4j.backend.opencl;

import org.grpo4j.backend.IntTensor;
import org.grpo4j.opencl.Buffer;

/**
 * The OpenCL backend's int tensor: token ids, positions or offsets on the device, with the host copy they were
 * made from (ids are checked on the host, and the embedding backward groups rows by token there).
 */
public final class ClIntTensor extends IntTensor {
    final Buffer buffer;
    final int[] host;
    /** The rows-by-token grouping of the first {@code groupedRows} ids, made on first use by the embedding backward. */
    Buffer groups;
    int groupedRows = -1, distinct;

    ClIntTensor(Buffer buffer, int[] host) {
        super(host.length);
        this.buffer = buffer;
        this.host = host;
    }

    public Buffer buffer() {
        return buffer;
    }
}
