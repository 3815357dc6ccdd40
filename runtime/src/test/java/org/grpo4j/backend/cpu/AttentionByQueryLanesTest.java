package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The query-lane attention's fast paths against the paths they replace, bit for bit (the finite-difference checks of
 * {@code LayerGradientCheckTest} cover the values; these pin the summation order). Heads of {@link
 * AttentionByQueryLanes#QB} (hd 32 with AVX-512), two query heads sharing one kv head, as in bench-s.
 */
class AttentionByQueryLanesTest {
    private static final int HD = AttentionByQueryLanes.QB, HEADS = 2;

    /** Lengths with a last query block narrower than QB, a last key group narrower than 8, and whole blocks. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 6, 21, 32, 40, 70, 96, 192})
    void backwardByKeyGroupsGivesTheKeyRowsGradients(int T) {
        assertKeyGroupsGiveTheKeyRowsGradients(T, HD, T);
    }

    /**
     * The same at hd 64 (bench-m, qwen05b), where dK/dV and dQ run {@link AttentionWideRows}' four-vector blocks: the
     * key-row backward's dK/dV (four keys, two vectors of the head per block) give the same bits.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 6, 21, 32, 40, 70, 96, 192})
    void wideHeadsKeyGroupsGiveTheKeyRowsGradients(int T) {
        assertKeyGroupsGiveTheKeyRowsGradients(T, 2 * AttentionByQueryLanes.QB, T + 64);
    }

    private static void assertKeyGroupsGiveTheKeyRowsGradients(int T, int hd, long seed) {
        int width = (HEADS + 2) * hd;
        SplittableRandom r = new SplittableRandom(seed);
        float[] qkv = new float[T * width], dOut = new float[T * HEADS * hd], probs = new float[HEADS * T * T];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        for (int i = 0; i < dOut.length; i++) dOut[i] = (float) r.nextGaussian();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int kCol = HEADS * hd, vCol = kCol + hd;
        float[] out = new float[T * HEADS * hd];
        for (int h = 0; h < HEADS; h++)
            AttentionByQueryLanes.forward(out, h * hd, HEADS * hd, probs, h * T * T, qkv, 0, width, h * hd, kCol, vCol, T, hd, scale);
        float[] byRows = new float[T * width], byGroups = new float[T * width];
        for (int h = 0; h < HEADS; h++) {
            AttentionByQueryLanes.backwardByKeyRows(byRows, h * hd, kCol, vCol, dOut, h * hd, HEADS * hd, qkv, 0, width, h * hd, kCol, vCol,
                    probs, h * T * T, T, hd, scale);
            AttentionByQueryLanes.backwardByKeyGroups(byGroups, h * hd, kCol, vCol, dOut, h * hd, HEADS * hd, qkv, 0, width, h * hd, kCol,
                    vCol, probs, h * T * T, T, hd, scale);
        }
        assertArrayEquals(byRows, byGroups, "dQ, dK, dV of T = " + T + " at hd " + hd);
    }
}
