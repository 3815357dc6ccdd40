package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: element {@code i} of a head pairs with
 * element {@code i + hd/2}, rotated by the angle {@code position · theta^(−2i/hd)} (tables built by the model
 * from its {@code rope_theta}).
 */
final class Rope {
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorMath.F;
    private static final int W = VectorMath.W;

    private Rope() {}

    /** {@code sign = +1}: forward rotation; {@code sign = −1}: the inverse (the backward of a rotation). */
    static void rotate(float[] qkv, int io, int[] positions, float[] cos, int co, float[] sin, int so,
                       int rows, int heads, int kvHeads, int hd, float sign) {
        int width = (heads + 2 * kvHeads) * hd, half = hd / 2, rotated = heads + kvHeads;
        Parallel.forRange(rows, Parallel.grain((long) rotated * hd), (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = positions[r] * half, i0 = 0;
                // whole vectors along the half head: each angle's cos/sin loaded once for every head of the row; the
                // same products and sums as the scalar loop below, so the same bits
                for (int upper = S.loopBound(half); i0 < upper; i0 += W) {
                    FloatVector c = FloatVector.fromArray(S, cos, co + t + i0), sn = FloatVector.fromArray(S, sin, so + t + i0).mul(sign);
                    for (int h = 0; h < rotated; h++) {
                        int x = io + r * width + h * hd + i0;
                        FloatVector x0 = FloatVector.fromArray(S, qkv, x), x1 = FloatVector.fromArray(S, qkv, x + half);
                        x0.mul(c).sub(x1.mul(sn)).intoArray(qkv, x);
                        x1.mul(c).add(x0.mul(sn)).intoArray(qkv, x + half);
                    }
                }
                if (i0 == half) continue;
                for (int h = 0; h < rotated; h++) {
                    int x = io + r * width + h * hd;
                    for (int i = i0; i < half; i++) {
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
