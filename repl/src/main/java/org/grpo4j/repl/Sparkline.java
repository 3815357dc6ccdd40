package org.grpo4j.repl;

import java.util.List;

/** A one-line chart of a series ({@code ▁▂▄▆█}), downsampled to a width; ASCII levels where Unicode cannot be shown. */
final class Sparkline {
    private static final String BLOCKS = "▁▂▃▄▅▆▇█";
    private static final String ASCII = "_.-:=+*#";

    private Sparkline() {}

    static String of(List<Double> values, int width, boolean unicode) {
        String levels = unicode ? BLOCKS : ASCII;
        int n = values.size();
        if (n == 0) return "";
        int m = Math.min(width, n);
        double[] pts = new double[m];
        // bucket means keep a spike visible, unlike picking every k-th point
        for (int j = 0; j < m; j++) {
            int a = (int) ((long) j * n / m), b = (int) ((long) (j + 1) * n / m);
            double s = 0;
            int c = 0;
            for (int i = a; i < Math.max(b, a + 1); i++) {
                double v = values.get(i);
                if (!Double.isNaN(v)) { s += v; c++; }
            }
            pts[j] = c == 0 ? Double.NaN : s / c;
        }
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double p : pts) if (!Double.isNaN(p)) { lo = Math.min(lo, p); hi = Math.max(hi, p); }
        StringBuilder b = new StringBuilder(m);
        for (double p : pts) {
            if (Double.isNaN(p)) { b.append(' '); continue; }
            int k = hi > lo ? (int) Math.round((p - lo) / (hi - lo) * (levels.length() - 1)) : levels.length() / 2;
            b.append(levels.charAt(k));
        }
        return b.toString();
    }
}
