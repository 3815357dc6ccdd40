package org.grpo4j.backend.cpu;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: element {@code i} of a head pairs with
 * element {@code i + hd/2}, rotated by the angle {@code position · theta^(−2i/hd)} (tables built by the model
 * from its {@code rope_theta}).
 */
final class Rope {
    private Rope() {}

    /** {@code sign = +1}: forward rotation; {@code sign = −1}: the inverse (the backward of a rotation). */
    static void rotate(float[] qkv, int io, int[] positions, float[] cos, int co, float[] sin, int so,
                       int rows, int heads, int kvHeads, int hd, float sign) {
        int width = (heads + 2 * kvHeads) * hd, half = hd / 2, rotated = heads + kvHeads;
        Parallel.forRange(rows, Parallel.grain((long) rotated * hd), (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = positions[r] * half;
                for (int h = 0; h < rotated; h++) {
                    int x = io + r * width + h * hd;
                    for (int i = 0; i < half; i++) {
                        float c = cos[co + t + i], s = sign * sin[so + t + i];
                        float x0 = qkv[x + i], x1 = qkv[x + i + half];
                        qkv[x + i] = x0 * c - x1 * s;
                        qkv[x + i + half] = x1 * c + x0 * s;
                    }
                }
            }
        });
    }
}
