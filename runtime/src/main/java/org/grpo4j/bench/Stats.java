package org.grpo4j.bench;

import java.util.Arrays;

/** Timing helpers for benchmarks: medians over repeated runs after warm-up. */
public final class Stats {
    private Stats() {}

    public static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    /** Runs {@code body} {@code warmup} times, then {@code reps} timed times; returns the seconds of each timed run. */
    public static double[] time(int warmup, int reps, Runnable body) {
        for (int i = 0; i < warmup; i++) body.run();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        return t;
    }
}
