package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;

class RewardScoringTest {
    static final double NaN = Double.NaN;
    static final List<Sample> SAMPLES = List.of(Sample.of("a", Map.of()), Sample.of("bb", Map.of()), Sample.of("ccc", Map.of()));

    static RewardFunction fn(String name, Function<List<Sample>, double[]> body) {
        return new RewardFunction() {
            public String name() {
                return name;
            }

            public double[] score(List<Sample> samples) {
                return body.apply(samples);
            }
        };
    }

    static final RewardFunction LENGTH = fn("length", s -> s.stream().mapToDouble(x -> x.completion().length()).toArray());

    @Test
    void scoresEveryFunctionOnADaemonThread() {
        AtomicBoolean daemon = new AtomicBoolean();
        RewardFunction probe = fn("probe", s -> {
            daemon.set(Thread.currentThread().isDaemon());
            return new double[] {NaN, 1, NaN};
        });
        RewardScores r = new RewardScoring(List.of(LENGTH, probe)).score(SAMPLES);
        assertEquals(List.of("length", "probe"), r.names());
        assertArrayEquals(new double[] {1, 2, 3}, r.values()[0], 0);
        assertArrayEquals(new double[] {NaN, 1, NaN}, r.values()[1], 0);
        assertEquals(List.of("probe"), r.failures().stream().map(RewardFailure::name).toList(), "a returned NaN is reported");
        assertTrue(daemon.get());
        assertEquals(2.0, r.metrics().get("rewards/length/mean"));
        r.requireAnyFinite();
    }

    /** Explains each value: "long" or "short"; throws on "bb" (so the batch call fails and each sample is retried alone). */
    static final org.grpo4j.reward.ExplainedReward EXPLAINED = new org.grpo4j.reward.ExplainedReward() {
        public String name() {
            return "explained";
        }

        public Explained scoreExplained(List<Sample> samples) {
            double[] v = new double[samples.size()];
            String[] why = new String[samples.size()];
            for (int i = 0; i < v.length; i++) {
                String c = samples.get(i).completion();
                if (c.equals("bb")) throw new IllegalArgumentException("bb is not allowed");
                v[i] = c.length();
                why[i] = c.length() > 2 ? "long" : "short";
            }
            return new Explained(v, why);
        }
    };

    @Test
    void anExplainedRewardsReasonsComeWithItsValuesAlsoWhenOneSampleThrows() {
        RewardScores r = new RewardScoring(List.of(EXPLAINED, LENGTH)).score(List.of(SAMPLES.get(0), SAMPLES.get(2)));
        assertArrayEquals(new double[] {1, 3}, r.values()[0], 0);
        assertEquals("short", r.reason(0, 0));
        assertEquals("long", r.reason(0, 1));
        assertEquals(null, r.reasons()[1], "a plain function gives no reasons");
        RewardScores withBad = new RewardScoring(List.of(EXPLAINED)).score(SAMPLES);
        assertArrayEquals(new double[] {1, NaN, 3}, withBad.values()[0], 0);
        assertEquals(List.of("short", "threw IllegalArgumentException: bb is not allowed", "long"),
                List.of(withBad.reason(0, 0), withBad.reason(0, 1), withBad.reason(0, 2)));
    }

    @Test
    void aThrowingFunctionGivesNaNAndIsReported() {
        RewardFunction boom = fn("boom", s -> {
            throw new IllegalStateException("no answer column");
        });
        RewardScores r = new RewardScoring(List.of(boom, LENGTH)).score(SAMPLES);
        assertArrayEquals(new double[] {NaN, NaN, NaN}, r.values()[0], 0);
        assertArrayEquals(new double[] {1, 2, 3}, r.values()[1], 0);
        assertEquals(List.of(new RewardFailure("boom", 3, "reward 'boom' threw java.lang.IllegalStateException: no answer column")), r.failures());
    }

    @Test
    void aFunctionThatThrowsOnOneSampleLosesThatSampleOnly() {
        RewardFunction picky = fn("picky", s -> s.stream().mapToDouble(x -> {
            if (x.completion().equals("bb")) throw new NumberFormatException("not a number: bb");
            return x.completion().length();
        }).toArray());
        RewardScores r = new RewardScoring(List.of(picky)).score(SAMPLES);
        assertArrayEquals(new double[] {1, NaN, 3}, r.values()[0], 0);
        assertEquals(List.of(new RewardFailure("picky", 1, "reward 'picky' threw java.lang.NumberFormatException: not a number: bb")), r.failures());
        assertEquals(2.0, r.metrics().get("rewards/picky/mean"), "the mean is over the samples that have a reward");
    }

    @Test
    void aRewardThatNeverReturnsCostsOneThreadForTheRunNotOneMorePerStep() throws InterruptedException {
        AtomicBoolean release = new AtomicBoolean();
        RewardFunction spin = fn("spin", s -> {
            while (!release.get()) Thread.onSpinWait(); // ignores interrupts, as a runaway loop does
            return new double[s.size()];
        });
        RewardScoring scoring = new RewardScoring(List.of(spin, LENGTH), Duration.ofMillis(100));
        try {
            for (int step = 0; step < 4; step++) {
                RewardScores r = scoring.score(SAMPLES);
                assertArrayEquals(new double[] {NaN, NaN, NaN}, r.values()[0], 0);
                assertArrayEquals(new double[] {1, 2, 3}, r.values()[1], 0);
                assertEquals(3, r.failures().getFirst().count());
                if (step > 0) assertTrue(r.failures().getFirst().firstMessage().contains("is not called"), r.failures().toString());
            }
            long spinning = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("reward-spin") && t.isAlive()).count();
            assertEquals(1, spinning, "threads left running by the timed-out reward");
        } finally {
            release.set(true);
        }
        // once the stuck call has ended, the function is called again
        Thread.sleep(50);
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals("reward-spin")) t.join(5000);
        assertTrue(scoring.score(SAMPLES).failures().isEmpty());
    }

    @Test
    void aRewardThatReturnsNaNIsCountedAndReportedAndItsMeanIgnoresTheNaNs() {
        // half the samples get a deliberate NaN (TRL's None); the old mean over all samples read 1.0 here
        RewardFunction half = fn("half", s -> new double[] {1, NaN, 0, NaN});
        List<Sample> four = List.of(Sample.of("a", Map.of()), Sample.of("b", Map.of()), Sample.of("c", Map.of()), Sample.of("d", Map.of()));
        RewardScores r = new RewardScoring(List.of(half, LENGTH)).score(four);
        assertArrayEquals(new double[] {1, NaN, 0, NaN}, r.values()[0], 0);
        assertEquals(List.of(new RewardFailure("half", 2, "reward 'half' returned NaN for sample 1 (no reward for it: left out of the function's mean)")),
                r.failures());
        assertEquals(0.5, r.metrics().get("rewards/half/mean"));
        assertEquals(2.0, r.metrics().get("rewards/half/nan_count"));
        assertEquals(0.0, r.metrics().get("rewards/length/nan_count"));

        // the same when the batch call threw and the samples were scored one by one: a thrown sample and a NaN sample
        RewardFunction mixed = fn("mixed", s -> {
            if (s.size() > 1) throw new IllegalStateException("batch too large");
            return switch (s.getFirst().completion()) {
                case "a" -> throw new IllegalArgumentException("cannot score a");
                case "b" -> new double[] {NaN};
                default -> new double[] {2};
            };
        });
        r = new RewardScoring(List.of(mixed)).score(four);
        assertArrayEquals(new double[] {NaN, NaN, 2, 2}, r.values()[0], 0);
        assertEquals(List.of(new RewardFailure("mixed", 2, "reward 'mixed' threw java.lang.IllegalStateException: batch too large")), r.failures());
        assertEquals(2.0, r.metrics().get("rewards/mixed/mean"));
        assertEquals(2.0, r.metrics().get("rewards/mixed/nan_count"));
    }

    @Test
    void infinitiesBecomeNaNAndAreCounted() {
        RewardFunction inf = fn("inf", s -> new double[] {Double.NEGATIVE_INFINITY, 0.5, Double.POSITIVE_INFINITY});
        RewardScores r = new RewardScoring(List.of(inf)).score(SAMPLES);
        assertArrayEquals(new double[] {NaN, 0.5, NaN}, r.values()[0], 0);
        assertEquals(List.of(new RewardFailure("inf", 2, "reward 'inf' returned -Infinity for sample 0")), r.failures());
    }

    @Test
    void theWrongNumberOfValuesIsAnErrorNamingTheFunction() {
        RewardFunction shortFn = fn("short", s -> new double[] {1});
        var e = assertThrows(IllegalStateException.class, () -> new RewardScoring(List.of(LENGTH, shortFn)).score(SAMPLES));
        assertEquals("reward 'short' returned 1 values for 3 samples", e.getMessage());
        RewardFunction nullFn = fn("null", s -> null);
        e = assertThrows(IllegalStateException.class, () -> new RewardScoring(List.of(nullFn)).score(SAMPLES));
        assertTrue(e.getMessage().contains("reward 'null' returned null"), e.getMessage());
    }

    @Test
    void aFunctionThatHangsTimesOutIsInterruptedAndTheOthersStillRun() throws InterruptedException {
        CountDownLatch interrupted = new CountDownLatch(1);
        RewardFunction sleeper = fn("sleeper", s -> {
            try {
                Thread.sleep(Duration.ofMinutes(10));
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
            return new double[] {9, 9, 9};
        });
        // ignores interrupts: a loop that never ends on its own (it sleeps, so it does not burn a core)
        RewardFunction stubborn = fn("stubborn", s -> {
            while (true) {
                try {
                    Thread.sleep(Duration.ofMinutes(10));
                } catch (InterruptedException ignored) {
                    // a badly written reward swallows the interrupt
                }
            }
        });
        long t0 = System.nanoTime();
        RewardScores r = new RewardScoring(List.of(sleeper, stubborn, LENGTH), Duration.ofMillis(200)).score(SAMPLES);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 5_000, "took " + ms + " ms");
        assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the timed-out call was not interrupted");
        assertArrayEquals(new double[] {NaN, NaN, NaN}, r.values()[0], 0); // a late answer is discarded
        assertArrayEquals(new double[] {NaN, NaN, NaN}, r.values()[1], 0);
        assertArrayEquals(new double[] {1, 2, 3}, r.values()[2], 0);
        assertEquals(List.of(new RewardFailure("sleeper", 3, "reward 'sleeper' timed out after 0.2 s"),
                new RewardFailure("stubborn", 3, "reward 'stubborn' timed out after 0.2 s")), r.failures());
        assertEquals("60 s", RewardScoring.seconds(RewardScoring.DEFAULT_TIMEOUT));
    }

    @Test
    void requireAnyFiniteStopsAStepWithoutAnyReward() {
        RewardFunction boom = fn("boom", s -> {
            throw new RuntimeException("parser crashed");
        });
        RewardFunction na = fn("na", s -> new double[] {NaN, NaN, NaN});
        RewardScores r = new RewardScoring(List.of(boom, na)).score(SAMPLES);
        var e = assertThrows(IllegalStateException.class, r::requireAnyFinite);
        assertTrue(e.getMessage().startsWith("no reward function gave a finite reward for any of the 3 completions of this step (reward functions: boom, na)"), e.getMessage());
        assertTrue(e.getMessage().contains("reward 'boom' threw java.lang.RuntimeException: parser crashed (3 samples)"), e.getMessage());

        RewardScores allNa = new RewardScoring(List.of(na)).score(SAMPLES);
        e = assertThrows(IllegalStateException.class, allNa::requireAnyFinite);
        assertTrue(e.getMessage().contains("reward 'na' returned NaN for sample 0 (no reward for it: left out of the function's mean) (3 samples)"), e.getMessage());
    }

    @Test
    void constructorChecks() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RewardScoring(List.of(LENGTH, LENGTH)));
        assertTrue(e.getMessage().contains("two reward functions are named 'length'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RewardScoring(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new RewardScoring(List.of(LENGTH), Duration.ZERO));
    }
}
