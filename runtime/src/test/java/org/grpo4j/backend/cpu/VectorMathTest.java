package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    @Test
    void expIsWithinOneUlpAndVectorEqualsScalarBitForBit() {
        SplittableRandom rng = new SplittableRandom(1);
        float[] x = new float[VectorMath.W * 4096], v = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextDouble() * 180 - 90);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 88.5f;
        x[3] = -87f;
        x[4] = 1e-8f;
        x[5] = 88.37f;
        x[6] = -87.3f;
        x[7] = 1000f;
        for (int i = 0; i < x.length; i += VectorMath.W) VectorMath.exp(FloatVector.fromArray(VectorMath.F, x, i)).intoArray(v, i);
        for (int i = 0; i < x.length; i++) {
            float s = VectorMath.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[i]), "vector and scalar differ at x = " + x[i]);
            if (x[i] < -87.3f) continue; // flushed towards 0 below the normal range
            double exact = Math.exp(Math.min(x[i], 88.37f));
            assertTrue(Math.abs(s - exact) <= 1.02 * Math.ulp((float) exact), "exp(" + x[i] + ") = " + s + ", exact " + exact);
        }
        assertEquals(1f, VectorMath.exp(0f));
    }

    @Test
    void laneSumIsTheSameInEveryTier() {
        float[] a = new float[VectorMath.W];
        for (int i = 0; i < a.length; i++) a[i] = 1f / (i + 3);
        float s = VectorMath.sum(FloatVector.fromArray(VectorMath.F, a, 0));
        double exact = 0;
        for (float f : a) exact += f;
        assertEquals(exact, s, 1e-6);
    }
}
