package org.grpo4j.backend.opencl;

import org.grpo4j.opencl.Buffer;

/** Argument checks shared by the kernel wrappers: kernels index with 32-bit ints, so every range is checked here. */
final class Ops {
    private Ops() {}

    /** An element offset or count as the kernels' {@code int}, failing loudly beyond 2³¹. */
    static int i(long v) {
        if (v < 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException("offset/size " + v + " does not fit the kernels' 32-bit indices");
        return (int) v;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Fails unless {@code [offset, offset+n)} lies inside {@code b} and within 32-bit element indices. */
    static void checkMatrix(Buffer b, long offset, long n, String what) {
        if (b == null) throw new IllegalArgumentException(what + " is null");
        if (offset < 0 || n < 0 || (offset + n) * 4 > b.bytes())
            throw new IndexOutOfBoundsException(what + ": elements [" + offset + ", " + (offset + n) + ") outside a buffer of " + b.bytes() / 4);
        if (offset + n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": " + (offset + n) + " elements exceed the kernels' 32-bit indices");
    }
}
