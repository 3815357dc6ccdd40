package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Central finite differences of the double loss against its hand-written gradient, on random ragged packed
 * batches with clipping active (inputs redrawn until no ratio is within 1e-3 of a clip bound or delta, where
 * the loss has a kink), plus packing, the top-entropy filter and argument checks.
 */
class GrpoLossGradientCheckTest {

    record Batch(int[] start, double[] logp, double[] old, double[] ref, double[] mask, double[] adv, double[] entropy) {}

    /** Four ragged sequences packed after a 2-token prefix that belongs to nobody (start[0] = 2). */
    static Batch randomBatch(Random rnd, LossSettings s) {
        int[] lengths = {5, 1, 7, 3};
        int B = lengths.length;
        int[] start = new int[B + 1];
        start[0] = 2;
        for (int b = 0; b < B; b++) start[b + 1] = start[b] + lengths[b];
        int n = start[B];
        for (int attempt = 0; attempt < 10_000; attempt++) {
            double[] logp = new double[n], old = new double[n], ref = new double[n], mask = new double[n], ent = new double[n];
            double[] adv = {0.8, -1.1, 0.4, -0.3};
            for (int i = 0; i < n; i++) {
                logp[i] = -(0.05 + 3 * rnd.nextDouble());
                old[i] = logp[i] + 0.5 * (rnd.nextDouble() - 0.5) + (rnd.nextDouble() - 0.5) * 0.4;
                ref[i] = logp[i] + 0.6 * (rnd.nextDouble() - 0.5);
                mask[i] = rnd.nextDouble() < 0.8 ? 1 : 0;
                ent[i] = 3 * rnd.nextDouble();
            }
            mask[start[1]] = 1; // the one-token sequence is active
            if (farFromKinks(s, start, logp, old, mask, adv) && clipsSomething(s, start, logp, old, mask, adv)) return new Batch(start, logp, old, ref, mask, adv, ent);
        }
        throw new AssertionError("no draw away from the clip bounds");
    }

    static boolean farFromKinks(LossSettings s, int[] start, double[] logp, double[] old, double[] mask, double[] adv) {
        double[] bounds = {1 - s.epsilon(), 1 + s.epsilonHigh(), s.delta() == null ? Double.NaN : s.delta(), s.epsilonHigh()};
        for (int b = 0; b + 1 < start.length; b++) {
            double sum = 0, m = 0;
            for (int i = start[b]; i < start[b + 1]; i++) {
                sum += mask[i] * (logp[i] - old[i]);
                m += mask[i];
                if (!far(Math.exp(logp[i] - old[i]), bounds)) return false;
            }
            if (!far(Math.exp(sum / Math.max(1, m)), bounds)) return false;
        }
        return true;
    }

    /** At least one active token whose (delta-capped, as TRL's metric) ratio is clipped where it matters. */
    static boolean clipsSomething(LossSettings s, int[] start, double[] logp, double[] old, double[] mask, double[] adv) {
        for (int b = 0; b + 1 < start.length; b++)
            for (int i = start[b]; i < start[b + 1]; i++) {
                double w = Math.min(Math.exp(logp[i] - old[i]), s.delta() == null ? Double.POSITIVE_INFINITY : s.delta());
                if (mask[i] != 0 && ((w < 1 - s.epsilon() && adv[b] < 0) || (w > 1 + s.epsilonHigh() && adv[b] > 0))) return true;
            }
        return false;
    }

    static boolean far(double w, double[] bounds) {
        for (double x : bounds) if (Math.abs(w - x) < 1e-3) return false;
        return true;
    }

    static double loss(LossSettings s, Batch x, double[] logp, double[] old) {
        return GrpoLoss.compute(s, SCALE, x.start, logp, old, x.ref, x.mask, x.adv, x.entropy, new double[logp.length], null).loss();
    }

    static void checkGradient(LossSettings s, long seed) {
        Batch x = randomBatch(new Random(seed), s);
        int n = x.logp.length;
        double[] grad = new double[n];
        LossResult r = GrpoLoss.compute(s, SCALE, x.start, x.logp, x.old, x.ref, x.mask, x.adv, x.entropy, grad, null);
        if (s.importanceSamplingLevel() == ImportanceSamplingLevel.TOKEN && !Double.isNaN(r.clipRegionMean()))
            assertTrue(r.clipRegionMean() > 0, "the draw should clip some tokens");
        // CISPO's ratio is detached: move old with logp so that w stays fixed and only the explicit logp moves.
        boolean detachedRatio = s.lossType() == LossType.CISPO;
        double h = 1e-6, maxErr = 0, scale = 1e-6;
        for (int i = x.start[0]; i < n; i++) {
            double[] lp = x.logp.clone(), od = x.old.clone();
            lp[i] += h;
            if (detachedRatio) od[i] += h;
            double up = loss(s, x, lp, od);
            lp[i] -= 2 * h;
            if (detachedRatio) od[i] -= 2 * h;
            double down = loss(s, x, lp, od);
            double fd = (up - down) / (2 * h);
            maxErr = Math.max(maxErr, Math.abs(fd - grad[i]));
            scale = Math.max(scale, Math.abs(grad[i]));
            if (x.mask[i] == 0) assertEquals(0.0, grad[i], 0.0, "masked token " + i + " has a gradient");
        }
        assertTrue(maxErr / scale < 1e-7, s.lossType() + "/" + s.importanceSamplingLevel() + " beta=" + s.beta()
                + ": finite-difference error " + maxErr / scale + " relative to " + scale);
    }

    /** The divisors every {@link #settings} case uses: 2 accumulation steps, L = 9, 29 active tokens in the generation batch. */
    static final LossScale SCALE = new LossScale(2, 9, 29);

    static LossSettings settings(LossType t, ImportanceSamplingLevel level, double beta) {
        LossSettings s = LossSettings.defaults().with("loss_type", t).with("importance_sampling_level", level).with("beta", beta);
        return s.with("epsilon", 0.2).with("epsilon_high", t == LossType.CISPO ? 1.1 : 0.28);
    }

    @ParameterizedTest
    @EnumSource(LossType.class)
    void finiteDifferencesEveryLevelAndBeta(LossType t) {
        long seed = 11;
        for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values())
            for (double beta : new double[] {0.0, 0.04}) checkGradient(settings(t, level, beta), seed++);
    }

    @Test
    void finiteDifferencesWithDeltaAndTopEntropyFilter() {
        for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
            checkGradient(settings(LossType.GRPO, level, 0.04).with("delta", 1.15), 3);
            checkGradient(settings(LossType.DAPO, level, 0.04).with("top_entropy_quantile", 0.4), 4);
            checkGradient(settings(LossType.SAPO, level, 0.0).with("top_entropy_quantile", 0.7), 5);
            checkGradient(settings(LossType.CISPO, level, 0.04).with("top_entropy_quantile", 0.5), 6);
        }
    }

    /**
     * use_bias_correction_kl: the KL term is β·w·k3 and its gradient flows through w too. CISPO is left out here only
     * because this check holds its (detached) policy ratio fixed by moving old with logp, which would also hold the
     * KL's w fixed.
     */
    @ParameterizedTest
    @EnumSource(value = LossType.class, names = "CISPO", mode = EnumSource.Mode.EXCLUDE)
    void finiteDifferencesWithBiasCorrectedKl(LossType t) {
        long seed = 31;
        for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values())
            checkGradient(settings(t, level, 0.04).with("use_bias_correction_kl", true), seed++);
    }

    /** Token level, DAPO (one α for every token): the corrected loss and kl metric weigh each token's k3 by its ratio. */
    @Test
    void biasCorrectedKlWeighsEachTokenByItsRatio() {
        LossSettings plain = settings(LossType.DAPO, ImportanceSamplingLevel.TOKEN, 0.04), corrected = plain.with("use_bias_correction_kl", true);
        Batch x = randomBatch(new Random(5), plain);
        LossResult a = GrpoLoss.compute(plain, SCALE, x.start, x.logp, x.old, x.ref, x.mask, x.adv, null, new double[x.logp.length], null);
        LossResult b = GrpoLoss.compute(corrected, SCALE, x.start, x.logp, x.old, x.ref, x.mask, x.adv, null, new double[x.logp.length], null);
        double extra = 0, klSum = 0, active = 0;
        for (int i = x.start[0]; i < x.logp.length; i++) {
            double d = x.ref[i] - x.logp[i], k3 = Math.exp(d) - d - 1, w = Math.exp(x.logp[i] - x.old[i]);
            extra += x.mask[i] * 0.04 * k3 * (w - 1) / SCALE.numItemsInBatch();
            klSum += x.mask[i] * k3 * w;
            active += x.mask[i];
        }
        assertEquals(a.loss() + extra, b.loss(), 1e-14);
        assertEquals(klSum / active, b.kl(), 1e-14);
    }

    /** Ratio exactly 1 (no old log-probs): the gradient is the plain policy gradient −α·A per active token. */
    @Test
    void withoutOldLogpsTheGradientIsMinusAlphaA() {
        Batch x = randomBatch(new Random(7), settings(LossType.GRPO, ImportanceSamplingLevel.TOKEN, 0));
        for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
            LossSettings s = settings(LossType.GRPO, level, 0.0);
            double[] grad = new double[x.logp.length];
            LossResult r = GrpoLoss.compute(s, SCALE, x.start, x.logp, null, null, x.mask, x.adv, null, grad, null);
            int B = x.adv.length;
            double expectedLoss = 0;
            for (int b = 0; b < B; b++) {
                double m = 0;
                for (int i = x.start[b]; i < x.start[b + 1]; i++) m += x.mask[i];
                double alpha = 1.0 / (B * Math.max(1, m) * 2);
                if (m > 0) expectedLoss += -x.adv[b] / (B * 2);
                for (int i = x.start[b]; i < x.start[b + 1]; i++)
                    assertEquals(-alpha * x.adv[b] * x.mask[i], grad[i], 1e-15, level + " token " + i);
            }
            assertEquals(expectedLoss, r.loss(), 1e-15);
            assertEquals(0.0, r.clipRegionMean());
        }
    }

    /**
     * Packing: an oracle case with every row cut after its last active token (the all-masked row becomes an
     * empty sequence) and packed behind a 3-token prefix gives the same loss and the same gradients.
     */
    @Test
    void raggedPackingMatchesPaddedLayout() throws IOException {
        for (GrpoLossOracleTest.Case c : GrpoLossOracleTest.cases()) {
            int B = c.adv().length, T = c.logp().length / B;
            int[] len = new int[B], start = new int[B + 1];
            start[0] = 3;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) if (c.mask()[b * T + t] != 0) len[b] = t + 1;
                start[b + 1] = start[b] + len[b];
            }
            int n = start[B];
            double[] lp = new double[n], old = new double[n], ref = new double[n], mask = new double[n];
            Arrays.fill(lp, Double.NaN); // the prefix belongs to nobody and must not be read
            for (int b = 0; b < B; b++)
                for (int t = 0; t < len[b]; t++) {
                    int i = start[b] + t, j = b * T + t;
                    lp[i] = c.logp()[j];
                    old[i] = c.old()[j];
                    ref[i] = c.ref() == null ? 0 : c.ref()[j];
                    mask[i] = c.mask()[j];
                }
            double[] grad = new double[n];
            LossResult r = GrpoLoss.compute(c.settings(), c.scale(), start, lp, old, c.ref() == null ? null : ref, mask, c.adv(), null, grad, null);
            assertEquals(c.loss(), r.loss(), 1e-12 * Math.max(1, Math.abs(c.loss())), c.name());
            for (int b = 0; b < B; b++)
                for (int t = 0; t < len[b]; t++)
                    assertEquals(c.grad()[b * T + t], grad[start[b] + t], 1e-13, c.name() + " row " + b + " token " + t);
        }
    }

    @Test
    void entropyThresholdIsTorchQuantile() {
        double[] h = {0.1, 0.5, 0.9, 0.3, 7.0};
        double[] m = {1, 1, 1, 1, 0};
        // torch.quantile(tensor([0.1, 0.5, 0.9, 0.3]), 0.5) = 0.4 (rank 1.5 between 0.3 and 0.5)
        assertEquals(0.4, GrpoLoss.entropyThreshold(h, m, 0, 5, 0.5), 1e-15);
        assertEquals(0.1, GrpoLoss.entropyThreshold(h, m, 0, 5, 1.0), 0.0);
        assertEquals(0.9, GrpoLoss.entropyThreshold(h, m, 0, 5, 0.0), 0.0);
        // ρ = 0.25: quantile 0.75, rank 2.25 between 0.5 and 0.9: 0.6
        assertEquals(0.6, GrpoLoss.entropyThreshold(h, m, 0, 5, 0.25), 1e-15);
        assertEquals(Double.POSITIVE_INFINITY, GrpoLoss.entropyThreshold(h, new double[5], 0, 5, 0.5));
    }

    /** ρ = 0.5 over 4 active tokens keeps the 2 highest-entropy ones for the policy term; the KL stays on all. */
    @Test
    void topEntropyFilterDropsThePolicyTermOfLowEntropyTokens() {
        LossSettings s = LossSettings.defaults().with("loss_type", "bnpo").with("beta", 0.1).with("top_entropy_quantile", 0.5);
        int[] start = {0, 4};
        double[] logp = {-1, -2, -0.5, -1.5}, ref = {-1.2, -1.8, -0.5, -1.0}, mask = {1, 1, 1, 1}, adv = {2.0};
        double[] ent = {0.1, 0.5, 0.9, 0.3};
        double[] grad = new double[4], ptl = new double[4];
        LossResult r = GrpoLoss.compute(s, LossScale.unknown(), start, logp, null, ref, mask, adv, ent, grad, ptl);
        double klSum = 0;
        for (int i = 0; i < 4; i++) {
            double d = ref[i] - logp[i], kl = Math.exp(d) - d - 1;
            klSum += kl;
            boolean kept = ent[i] >= 0.4;
            assertEquals((kept ? -2.0 : 0.0) + 0.1 * kl, ptl[i], 1e-15, "token " + i);
            assertEquals(((kept ? -2.0 : 0.0) + 0.1 * (1 - Math.exp(d))) / 4, grad[i], 1e-15, "token " + i);
        }
        assertEquals((2 * -2.0 + 0.1 * klSum) / 4, r.loss(), 1e-15);
        assertEquals(klSum / 4, r.kl(), 1e-15);
        assertEquals((0.1 + 0.5 + 0.9 + 0.3) / 4, r.entropy(), 1e-15);
    }

    @Test
    void floatEntryPointReusesItsScratchAcrossSizes() {
        GrpoLoss loss = new GrpoLoss();
        LossSettings s = settings(LossType.DAPO, ImportanceSamplingLevel.TOKEN, 0.04);
        for (long seed = 1; seed <= 3; seed++) {
            Batch x = randomBatch(new Random(seed), s);
            int n = x.logp.length;
            double[] gd = new double[n];
            double expected = GrpoLoss.compute(s, SCALE, x.start, x.logp, x.old, x.ref, x.mask, x.adv, null, gd, null).loss();
            float[] gf = new float[n];
            double got = loss.compute(s, SCALE, x.start, f(x.logp), f(x.old), f(x.ref), f(x.mask), x.adv, null, gf, null).loss();
            assertEquals(expected, got, 1e-5 * Math.abs(expected));
        }
    }

    static float[] f(double[] v) {
        return GrpoLossOracleTest.f(v);
    }

    @Test
    void badArgumentsAreReportedClearly() {
        LossSettings s = LossSettings.defaults();
        LossScale n = new LossScale(1, 256, 4);
        double[] v = new double[4], g = new double[4], m = {1, 1, 1, 1};
        var e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s, n, new int[] {0, 4}, v, null, null, m, new double[2], null, g, null));
        assertTrue(e.getMessage().contains("B + 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s.with("beta", 0.1), n, new int[] {0, 4}, v, null, null, m, new double[1], null, g, null));
        assertTrue(e.getMessage().contains("refLogp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s, LossScale.unknown(), new int[] {0, 4}, v, null, null, m, new double[1], null, g, null));
        assertTrue(e.getMessage().contains("num_items_in_batch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s, n, new int[] {0, 5}, v, null, null, m, new double[1], null, g, null));
        assertTrue(e.getMessage().contains("logp has 4 entries, the batch needs 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s, n, new int[] {0, 4}, v, null, null, m, new double[] {Double.NaN}, null, g, null));
        assertTrue(e.getMessage().contains("advantage of sequence 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(s.with("top_entropy_quantile", 0.2), n, new int[] {0, 4}, v, null, null, m, new double[1], null, g, null));
        assertTrue(e.getMessage().contains("entropies"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossType.parse("ppo"));
        assertEquals(LossType.DR_GRPO, LossType.parse("dr_grpo"));
    }
}
