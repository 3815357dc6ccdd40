package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * h18a's forward ({@code -Dgrpo4j.attention.registerTranspose}: the query tile transposed in registers, the values read
 * from a contiguous copy) against the one before it (the gathered tile, the values in place): pure moves and the same
 * products, so the same bits, for every length T = 1…200, saving and no-grad, whole sequences and a shared prompt's
 * later queries ({@code q0}, {@code first}); and the tile itself (the backward's dO tile goes through it too).
 */
class RegisterTransposeTest {
    @ParameterizedTest
    @CsvSource({"64", "32", "128"})
    void registerTransposeGivesTheGatheredForwardsBits(int hd) {
        int heads = 2, width = (heads + 2) * hd, outWidth = heads * hd, kCol = heads * hd, vCol = kCol + hd, QB = AttentionByQueryLanes.QB;
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int T = 1; T <= 200; T++) {
            SplittableRandom r = new SplittableRandom(31L * hd + T);
            float[] qkv = new float[T * width];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
            int q0 = (T / 2) / QB * QB, first = T / 2;
            for (int[] part : new int[][] {{0, 0}, {q0, first}})
                for (boolean save : new boolean[] {true, false}) {
                    float[][] outs = new float[2][T * outWidth], probs = new float[2][heads * T * T];
                    for (int m = 0; m < 2; m++)
                        for (int h = 0; h < heads; h++)
                            AttentionByQueryLanes.forward(outs[m], h * hd, outWidth, save ? probs[m] : null, h * T * T, qkv, 0, width, h * hd,
                                    kCol, vCol, T, part[0], part[1], hd, scale, m == 1);
                    String at = "hd " + hd + ", T = " + T + ", q0 " + part[0] + ", first " + part[1] + (save ? ", saving" : ", no-grad");
                    assertArrayEquals(outs[0], outs[1], "outputs, " + at);
                    assertArrayEquals(probs[0], probs[1], "probabilities, " + at);
                }
        }
    }

    @ParameterizedTest
    @CsvSource({"64, 1", "64, 0.125", "32, 1", "128, 0.0883883"})
    void registerTileIsTheGatheredTile(int hd, float a) {
        int stride = 3 * hd + 16, QB = AttentionByQueryLanes.QB;
        for (int T = 1; T <= 100; T++) {
            int Tp = (T + QB - 1) / QB * QB;
            SplittableRandom r = new SplittableRandom(T);
            float[] src = new float[5 + T * stride];
            for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
            float[] gathered = new float[hd * Tp], registers = new float[hd * Tp];
            java.util.Arrays.fill(registers, Float.NaN); // every entry, padding included, is written
            AttentionByQueryLanes.transposed(gathered, Tp, src, 5, stride, T, hd, a);
            AttentionByQueryLanes.queryTile(registers, Tp, src, 5, stride, T, hd, a);
            assertArrayEquals(gathered, registers, "hd " + hd + ", T = " + T);
        }
    }
}
