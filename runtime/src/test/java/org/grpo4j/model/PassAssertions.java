package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The comparisons of two passes that differ only in the order of their sums (whole against parts, shared prompts
 * against unshared, a tail against all rows, a scoring pass against the forward), shared by the model's tests.
 */
final class PassAssertions {
    private PassAssertions() {}

    /** Each value within {@code tol · max(1, |expected|)}. */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": count");
        for (int i = 0; i < expected.length; i++) {
            int at = i;
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), () -> what + " [" + at + "]");
        }
    }

    /** Each parameter tensor's gradient within {@code tol} of its largest entry (of 1e-6 where all are smaller). */
    static void assertGradientsClose(ParameterLayout layout, float[] expected, float[] actual, double tol, String what) {
        for (ParameterLayout.Param p : layout.params()) {
            int o = (int) p.offset(), n = (int) p.size();
            double max = 0;
            for (int i = o; i < o + n; i++) max = Math.max(max, Math.abs(expected[i]));
            for (int i = o; i < o + n; i++) {
                int at = i - o;
                assertEquals(expected[i], actual[i], tol * Math.max(max, 1e-6), () -> what + ": " + p.name() + "[" + at + "]");
            }
        }
    }
}
