package org.grpo4j.backend.cpu;

/**
 * Per-thread scratch arrays for kernels that need a row or a transposed tile: grown on first use and kept, so
 * the steady state allocates nothing. A kernel names its slots so two buffers of one kernel never alias.
 */
final class Scratch {
    private static final ThreadLocal<float[][]> SLOTS = ThreadLocal.withInitial(() -> new float[4][0]);

    private Scratch() {}

    static float[] floats(int slot, int n) {
        float[][] s = SLOTS.get();
        if (s[slot].length < n) s[slot] = new float[Math.max(n, s[slot].length * 3 / 2)];
        return s[slot];
    }
}
