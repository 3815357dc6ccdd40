package org.grpo4j.backend.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;
import org.grpo4j.opencl.Buffer;
import org.grpo4j.opencl.Cl;
import org.grpo4j.opencl.ClDevice;
import org.grpo4j.opencl.ClSession;
import org.grpo4j.opencl.OpenCl;

/**
 * The device the kernel tests run on: the first OpenCL device (PoCL on CI machines). Never skips: without an
 * OpenCL runtime the tests fail and say how to get one.
 */
public final class TestDevice {
    private TestDevice() {}

    public static ClSession open() {
        String why = Cl.unavailableReason();
        if (why != null) fail(why + " -- the OpenCL kernel tests need PoCL; run ./grpo test, which installs it");
        List<ClDevice> devices = OpenCl.devices();
        if (devices.isEmpty()) fail("no OpenCL device found -- the OpenCL kernel tests need PoCL; run ./grpo test, which installs pocl-opencl-icd");
        return new ClSession(devices.get(0));
    }

    public static float[] random(Random rnd, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return x;
    }

    public static Buffer upload(ClSession s, float[] x) {
        Buffer b = s.allocate(x.length);
        b.write(s.queue(), 0, x, 0, x.length);
        return b;
    }

    public static Buffer upload(ClSession s, int[] x) {
        Buffer b = s.allocate(x.length);
        b.write(s.queue(), 0, x, 0, x.length);
        return b;
    }

    public static float[] download(ClSession s, Buffer b, long offset, int n) {
        float[] x = new float[n];
        b.read(s.queue(), offset, x, 0, n);
        return x;
    }

    /** Fails naming the first element where |a−b| > atol + rtol·|b|, with the largest error seen. */
    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        if (expected.length != actual.length) fail(what + ": lengths " + expected.length + " vs " + actual.length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(err <= allowed) && (worstAt < 0 || err > worst || Double.isNaN(err))) {
                worst = err;
                worstAt = i;
            }
        }
        if (worstAt >= 0)
            fail(String.format("%s: element %d is %s, expected %s (error %.3g > %.3g + %.3g*|expected|)", what, worstAt,
                    actual[worstAt], expected[worstAt], worst, atol, rtol));
    }
}
