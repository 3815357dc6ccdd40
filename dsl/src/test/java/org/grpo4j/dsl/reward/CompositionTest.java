package org.grpo4j.dsl.reward;

import static org.grpo4j.dsl.reward.Rewards.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Weights, gates, scale, clip and sums behave as documented, checked on seeded random batches. */
class CompositionTest {
    /** A deterministic reward: a value in [-2, 2] from the completion, NaN for about one sample in five. */
    static Reward noisy(String name, long salt) {
        return Rewards.of(name, (c, row) -> {
            SplittableRandom r = new SplittableRandom(c.hashCode() * 31L + salt);
            return r.nextInt(5) == 0 ? null : -2 + 4 * r.nextDouble();
        });
    }

    static List<Sample> randomBatch(SplittableRandom rnd) {
        int n = 1 + rnd.nextInt(24);
        List<Sample> b = new ArrayList<>();
        for (int i = 0; i < n; i++) b.add(Sample.of("completion " + rnd.nextLong(), Map.of()));
        return b;
    }

    @RepeatedTest(20)
    void weightsAndNamesDoNotChangeScores(RepetitionInfo info) {
        SplittableRandom rnd = new SplittableRandom(info.getCurrentRepetition());
        List<Sample> batch = randomBatch(rnd);
        Reward r = noisy("r", 1);
        double w = -3 + 6 * rnd.nextDouble();
        Reward rw = r.weighted(w).named("renamed");
        assertEquals(w, rw.weight());
        assertEquals("renamed", rw.name());
        assertEquals(1.0, r.weight());
        assertArrayEquals(r.score(batch), rw.score(batch), "score() is unweighted: the weight is for the sum");
    }

    @RepeatedTest(20)
    void sumIsTheWeightedSumIgnoringNaN(RepetitionInfo info) {
        SplittableRandom rnd = new SplittableRandom(100 + info.getCurrentRepetition());
        List<Sample> batch = randomBatch(rnd);
        Reward a = noisy("a", 1).weighted(-1 + 3 * rnd.nextDouble());
        Reward b = noisy("b", 2).weighted(-1 + 3 * rnd.nextDouble());
        Reward c = noisy("c", 3);
        double[] va = a.score(batch), vb = b.score(batch), vc = c.score(batch);
        double[] s = Rewards.sum(a, b, c).score(batch);
        for (int i = 0; i < batch.size(); i++) {
            double want = 0;
            boolean any = false;
            double[][] parts = {{va[i], a.weight()}, {vb[i], b.weight()}, {vc[i], c.weight()}};
            for (double[] p : parts) {
                if (Double.isNaN(p[0])) continue;
                want += p[1] * p[0];
                any = true;
            }
            if (any) assertEquals(want, s[i], 1e-12);
            else assertTrue(Double.isNaN(s[i]), "all parts NaN → NaN");
        }
        assertEquals("a+b+c", Rewards.sum(a, b, c).name());
    }

    @RepeatedTest(20)
    void gateKeepsTheValueOnlyWhereTheGatePasses(RepetitionInfo info) {
        SplittableRandom rnd = new SplittableRandom(200 + info.getCurrentRepetition());
        List<Sample> batch = randomBatch(rnd);
        Reward r = noisy("r", 1).weighted(2.5);
        Reward gate = noisy("g", 9);
        double t = -1 + 2 * rnd.nextDouble();
        Reward gated = r.gatedBy(gate, t);
        double[] v = r.score(batch), g = gate.score(batch), out = gated.score(batch);
        for (int i = 0; i < v.length; i++) {
            if (g[i] >= t) assertEquals(Double.doubleToLongBits(v[i]), Double.doubleToLongBits(out[i]), "passes: value kept, NaN too");
            else assertEquals(0.0, out[i], 0.0, "fails or NaN gate: 0");
        }
        assertEquals("r", gated.name());
        assertEquals(2.5, gated.weight(), "a gate keeps the name and weight");
    }

    @RepeatedTest(20)
    void scaleAndClip(RepetitionInfo info) {
        SplittableRandom rnd = new SplittableRandom(300 + info.getCurrentRepetition());
        List<Sample> batch = randomBatch(rnd);
        Reward r = noisy("r", 4);
        double k = -2 + 4 * rnd.nextDouble(), lo = -1.5 * rnd.nextDouble(), hi = 1.5 * rnd.nextDouble();
        double[] v = r.score(batch), sv = r.scaled(k).score(batch), cv = r.clipped(lo, hi).score(batch);
        for (int i = 0; i < v.length; i++) {
            if (Double.isNaN(v[i])) {
                assertTrue(Double.isNaN(sv[i]) && Double.isNaN(cv[i]), "NaN stays NaN");
                continue;
            }
            assertEquals(k * v[i], sv[i], 0.0);
            assertTrue(cv[i] >= lo && cv[i] <= hi);
            if (v[i] >= lo && v[i] <= hi) assertEquals(v[i], cv[i], 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> r.clipped(1, 0));
        assertThrows(IllegalArgumentException.class, () -> r.weighted(Double.NaN));
    }

    @Test
    void accuracyGatedByFormatAsInTheJavadoc() {
        Reward r = accuracy().gatedBy(format()).weighted(2.0);
        assertEquals(1.0, r.score("<think>\n6*7\n</think>\n<answer>\n\\boxed{42}\n</answer>", "42"));
        assertEquals(0.0, r.score("\\boxed{42}", "42"), "format failed");
        assertEquals(0.0, r.score("<think>\n6*7\n</think>\n<answer>\n\\boxed{41}\n</answer>", "42"), "wrong");
        assertTrue(Double.isNaN(r.score("<think>\nx\n</think>\n<answer>\n1\n</answer>", "see figure")), "gold unreadable");
        Reward total = sum(accuracy().gatedBy(format()).weighted(2), tagCount().weighted(0.5));
        assertEquals(2 * 1.0 + 0.5 * 1.0, total.score("<think>\n6*7\n</think>\n<answer>\n\\boxed{42}\n</answer>", "42"));
    }

    @Test
    void lambdasAndErrors() {
        Reward shortish = Rewards.of("shortish", (c, row) -> c.length() < 20 ? 1.0 : 0.0);
        assertArrayEquals(new double[] {1, 0}, shortish.scoreAll(List.of("short", "x".repeat(30)), null));
        Reward fromRow = Rewards.of("difficulty", (c, row) -> ((Number) row.get("level")).doubleValue() / 5);
        assertEquals(0.6, fromRow.score("anything", Map.of("level", 3)), 1e-15);
        Reward ids = Rewards.ofSample("tokens", s -> (double) s.completionIds().length);
        assertEquals(3.0, ids.score(List.of(new Sample("p", "c", new int[3], "eos", Map.of())))[0]);

        Reward bad = Rewards.batch("bad", samples -> new double[1]);
        var e = assertThrows(ComposedReward.RewardException.class, () -> bad.scoreAll(List.of("a", "b"), null));
        assertTrue(e.getMessage().contains("'bad'") && e.getMessage().contains("1 values") && e.getMessage().contains("2 samples"), e.getMessage());
        Reward boom = Rewards.of("boom", (c, row) -> {
            throw new IllegalStateException("no " + c);
        });
        var e2 = assertThrows(ComposedReward.RewardException.class, () -> boom.scoreAll(List.of("a", "b"), null));
        assertTrue(e2.getMessage().contains("'boom'") && e2.getMessage().contains("sample 0") && e2.getMessage().contains("no a"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rewards.of(" ", (c, row) -> 0.0));
        assertThrows(IllegalArgumentException.class, () -> Rewards.sum("empty"));
    }
}
