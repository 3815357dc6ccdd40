package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The query-lane kernels on heads wider than a query block (hd 64: bench-m and qwen05b, {@code -Dgrpo4j.attention.hd64})
 * against the register-blocked key-lane loops they replace, every length T = 1…200, one or two query heads per kv head,
 * hd 32, 64 and 128. Forward (saving and no-grad): the same sums in the same order, so the same bits. Backward: dP·P's
 * row sum runs down the query lanes instead of across a key row, and dK/dV sum each head from zero (the key-lane loops
 * continue the group's previous head's sums in registers), so the gradients agree to a few float roundings: within
 * {@code 1e-5·max(1, |g|)}.
 */
class AttentionWideQueryLanesTest {
    private static final float TOLERANCE = 1e-5f;

    @ParameterizedTest
    @CsvSource({"64, 1", "64, 2", "32, 1", "32, 2", "128, 1", "128, 2"})
    void queryLanesGiveTheKeyLaneForwardsBitsAndItsGradientsToTolerance(int hd, int group) {
        int heads = group, width = (heads + 2) * hd, outWidth = heads * hd, kCol = heads * hd, vCol = kCol + hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int T = 1; T <= 200; T++) {
            SplittableRandom r = new SplittableRandom(1000L * hd + 10L * group + T);
            float[] qkv = new float[T * width], dOut = new float[T * outWidth];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
            for (int i = 0; i < dOut.length; i++) dOut[i] = (float) r.nextGaussian();
            String at = "hd " + hd + ", group " + group + ", T = " + T;

            float[] oldOut = new float[T * outWidth], oldFree = new float[T * outWidth], oldProbs = new float[heads * T * T];
            float[] oldGrad = keyLanes(oldOut, oldFree, oldProbs, qkv, dOut, T, heads, hd, scale);
            float[] newOut = new float[T * outWidth], newFree = new float[T * outWidth], newProbs = new float[heads * T * T];
            float[] newGrad = new float[T * width];
            for (int h = 0; h < heads; h++) {
                AttentionByQueryLanes.forward(newOut, h * hd, outWidth, newProbs, h * T * T, qkv, 0, width, h * hd, kCol, vCol, T, hd, scale);
                AttentionByQueryLanes.forward(newFree, h * hd, outWidth, null, 0, qkv, 0, width, h * hd, kCol, vCol, T, hd, scale);
            }
            for (int h = 0; h < heads; h++)
                AttentionByQueryLanes.backward(newGrad, h * hd, kCol, vCol, dOut, h * hd, outWidth, qkv, 0, width, h * hd, kCol, vCol,
                        newProbs, h * T * T, T, hd, scale);
            assertArrayEquals(oldOut, newOut, "outputs, " + at);
            assertArrayEquals(oldFree, newFree, "no-grad outputs, " + at);
            for (int i = 0; i < oldGrad.length; i++) {
                float a = oldGrad[i], b = newGrad[i];
                assertTrue(Math.abs(a - b) <= TOLERANCE * Math.max(1f, Math.abs(a)),
                        "gradient " + i + " (row " + i / width + ", column " + i % width + "), " + at + ": " + a + " vs " + b);
            }
        }
    }

    /** The key-lane loops as {@link Attention} runs them under {@code -Dgrpo4j.attention.hd64=false}: outputs, then dQ/dK/dV. */
    private static float[] keyLanes(float[] out, float[] free, float[] probs, float[] qkv, float[] dOut, int T, int heads, int hd, float scale) {
        int width = (heads + 2) * hd, outWidth = heads * hd, kCol = heads * hd, vCol = kCol + hd, W = VectorMath.W;
        int Tp = (T + W - 1) / W * W;
        float[] kt = new float[hd * Tp], sc = new float[Attention.R * Tp], qs = new float[Attention.R * hd];
        Attention.transpose(kt, Tp, qkv, kCol, width, T, hd);
        for (int h = 0; h < heads; h++) {
            Attention.blockedForward(out, h * hd, outWidth, probs, h * T * T, qkv, h * hd, vCol, width, kt, Tp, sc, qs, T, 0, hd, scale);
            Attention.blockedForward(free, h * hd, outWidth, null, 0, qkv, h * hd, vCol, width, kt, Tp, sc, qs, T, 0, hd, scale);
        }
        float[] grad = new float[T * width], vt = new float[hd * Tp], dp = new float[Attention.R * Tp], ds = new float[T * Tp];
        Attention.transpose(vt, Tp, qkv, vCol, width, T, hd);
        for (int h = 0; h < heads; h++)
            Attention.blockedBackward(grad, h * hd, width, grad, kCol, vCol, width, dOut, h * hd, outWidth, qkv, h * hd, kCol, width,
                    probs, h * T * T, vt, dp, ds, Tp, T, 0, hd, scale);
        return grad;
    }
}
