package org.grpo4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.Dropout;
import org.junit.jupiter.api.Test;

/**
 * One LoRA adapter writing into a column block of a fused output: forward against the formula, backward against
 * finite differences (the loss {@code Σ c ⊙ out} is linear in A, in B and in x separately, so central
 * differences are exact up to float rounding), with and without dropout.
 */
class LoraLinearTest {
    private final CpuBackend be = new CpuBackend();
    static final int N = 5, IN = 12, OUT = 7, R = 3, LD = 20, COL = 9;

    static float[] random(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (2 * rng.nextDouble() - 1);
        return v;
    }

    private LoraLinear.Scratch scratch() {
        return new LoraLinear.Scratch(be.allocate(N * IN), be.allocate(N * OUT), be.allocate(N * R));
    }

    /** Σ c ⊙ out after the adapter's forward, in double. */
    private double loss(float[] a, float[] b, float[] x, float[] c, float scale, float p, long seed) {
        Tensor out = be.allocate(N * LD);
        LoraLinear.forward(be, CpuBackend.wrap(a), CpuBackend.wrap(b), be.allocate(N * R), CpuBackend.wrap(x), out, LD, COL, N, IN, OUT, R, scale, p, seed, scratch());
        float[] o = be.read(out);
        double s = 0;
        for (int i = 0; i < o.length; i++) s += (double) c[i] * o[i];
        return s;
    }

    @Test
    void forwardIsScaleTimesBAxInItsColumns() {
        float[] a = random(R * IN, 1), b = random(OUT * R, 2), x = random(N * IN, 3);
        Tensor out = CpuBackend.wrap(random(N * LD, 4));
        float[] before = be.read(out);
        LoraLinear.forward(be, CpuBackend.wrap(a), CpuBackend.wrap(b), be.allocate(N * R), CpuBackend.wrap(x), out, LD, COL, N, IN, OUT, R, 0.75f, 0f, 0, scratch());
        float[] after = be.read(out);
        for (int n = 0; n < N; n++)
            for (int j = 0; j < LD; j++) {
                double want = before[n * LD + j];
                if (j >= COL && j < COL + OUT)
                    for (int k = 0; k < R; k++)
                        for (int i = 0; i < IN; i++) want += 0.75 * b[(j - COL) * R + k] * a[k * IN + i] * x[n * IN + i];
                assertEquals(want, after[n * LD + j], 1e-5, "row " + n + " col " + j);
            }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (float p : new float[] {0f, 0.3f}) {
            float[] a = random(R * IN, 5), b = random(OUT * R, 6), x = random(N * IN, 7), c = random(N * LD, 8);
            float scale = 1.5f;
            long seed = 42;
            Tensor u = be.allocate(N * R), dA = be.allocate(R * IN), dB = be.allocate(OUT * R);
            float[] dx0 = random(N * IN, 9); // the frozen layer's own input gradient, which LoRA adds to
            Tensor dX = CpuBackend.wrap(dx0.clone());
            LoraLinear.Scratch s = scratch();
            LoraLinear.forward(be, CpuBackend.wrap(a), CpuBackend.wrap(b), u, CpuBackend.wrap(x), be.allocate(N * LD), LD, COL, N, IN, OUT, R, scale, p, seed, s);
            LoraLinear.backward(be, CpuBackend.wrap(a), CpuBackend.wrap(b), dA, dB, u, CpuBackend.wrap(x), dX, CpuBackend.wrap(c), LD, COL, N, IN, OUT, R, scale, p, seed, s);
            float[] gA = be.read(dA), gB = be.read(dB), gX = be.read(dX);
            for (int i = 0; i < gX.length; i++) gX[i] -= dx0[i];
            check(gA, a, i -> loss(a, b, x, c, scale, p, seed), "dA p=" + p);
            check(gB, b, i -> loss(a, b, x, c, scale, p, seed), "dB p=" + p);
            check(gX, x, i -> loss(a, b, x, c, scale, p, seed), "dX p=" + p);
        }
    }

    private interface Loss {
        double at(int i);
    }

    private static void check(float[] grad, float[] param, Loss loss, String what) {
        float h = 0.25f;
        for (int i = 0; i < param.length; i++) {
            float keep = param[i];
            param[i] = keep + h;
            double up = loss.at(i);
            param[i] = keep - h;
            double down = loss.at(i);
            param[i] = keep;
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grad[i], 2e-4 * Math.max(1, Math.abs(fd)), what + " at " + i);
        }
    }

    @Test
    void dropoutMaskIsReproducibleAndKeepsOneMinusP() {
        int n = 200_000, threshold = (int) Math.ceil(0.1 * (1 << 24));
        int kept = 0;
        for (int i = 0; i < n; i++) if (Dropout.kept(7, i, threshold)) kept++;
        assertEquals(0.9, kept / (double) n, 0.004);
        float[] x = random(1000, 1);
        Tensor o1 = be.allocate(1000), o2 = be.allocate(1000);
        be.dropout(o1, CpuBackend.wrap(x), 99, 0.1f, 1000, false);
        be.dropout(o2, CpuBackend.wrap(x), 99, 0.1f, 1000, false);
        assertEquals(java.util.Arrays.toString(be.read(o1)), java.util.Arrays.toString(be.read(o2)));
        float[] v = be.read(o1);
        for (int i = 0; i < 1000; i++) assertTrue(v[i] == 0f || Math.abs(v[i] - x[i] / 0.9f) < 1e-6);
    }

    @Test
    void configScalesTargetsAndValidates() {
        assertEquals(2f, LoraConfig.of(16, 32).scale());
        assertEquals(8f, new LoraConfig(16, 32, 0, EnumSet.of(LoraModule.Q), true).scale());
        assertEquals(EnumSet.allOf(LoraModule.class), LoraConfig.parseTargets("all-linear"));
        assertEquals(EnumSet.of(LoraModule.Q, LoraModule.V), LoraConfig.parseTargets("q_proj, v_proj"));
        assertEquals(EnumSet.of(LoraModule.DOWN, LoraModule.O), LoraConfig.parseTargets(List.of("mlp.down_proj", "o_proj")));
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), LoraConfig.of(8, 8).targetNames());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.parseTargets("q_proj,lm_head"));
        assertTrue(e.getMessage().contains("lm_head"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(0, 8));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 8, 1.0, EnumSet.of(LoraModule.Q), false));
    }
}
