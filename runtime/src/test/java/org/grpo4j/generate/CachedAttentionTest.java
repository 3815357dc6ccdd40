package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code kvStore} + {@code attentionCached} against the training attention, through the {@link Backend} interface. */
class CachedAttentionTest {

    @ParameterizedTest
    @CsvSource({"6, 2, 8", "8, 4, 64", "14, 2, 64", "4, 4, 32", "4, 1, 20"})
    void prefixPlusOwnSegmentsEqualCausalAttentionOverTheWholeSequence(int H, int KV, int hd) {
        Backend be = new CpuBackend();
        int width = (H + 2 * KV) * hd;
        int[] lengths = {7, 1, 40, 33};
        int rows = 0;
        for (int len : lengths) rows += len;
        SplittableRandom rng = new SplittableRandom(3);
        float[] qkv = new float[rows * width];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rng.nextGaussian();
        Tensor x = be.allocate(qkv.length);
        be.write(x, qkv);

        SequenceLayout layout = SequenceLayout.of(be, lengths, H);
        Tensor ref = be.allocate((long) rows * H * hd), probs = be.allocate(layout.probsSize());
        be.attention(ref, probs, x, layout, H, KV, hd);

        // sequence b's first `split` tokens form its prefix run, the rest its own run, placed apart and out of order in the cache
        int B = lengths.length, cursor = 0;
        int[] prefixAt = new int[B], ownAt = new int[B];
        for (int b = B - 1; b >= 0; b--) {
            prefixAt[b] = cursor;
            cursor += lengths[b] / 2 + 3;
        }
        for (int b = 0; b < B; b++) {
            ownAt[b] = cursor;
            cursor += lengths[b] - lengths[b] / 2 + 2;
        }
        int cacheRows = cursor + 5;
        Tensor k = be.allocate((long) cacheRows * KV * hd), v = be.allocate((long) cacheRows * KV * hd);
        int[] slots = new int[rows], seg = new int[4 * rows];
        int r = 0;
        for (int b = 0; b < B; b++) {
            int split = lengths[b] / 2;
            for (int t = 0; t < lengths[b]; t++, r++) {
                slots[r] = t < split ? prefixAt[b] + t : ownAt[b] + t - split;
                seg[4 * r] = prefixAt[b];
                seg[4 * r + 1] = Math.min(t + 1, split);
                seg[4 * r + 2] = ownAt[b];
                seg[4 * r + 3] = Math.max(0, t + 1 - split);
            }
        }
        be.kvStore(k, v, x, be.ints(slots), rows, H, KV, hd);
        Tensor out = be.allocate((long) rows * H * hd);
        be.attentionCached(out, x, k, v, be.ints(seg), rows, H, KV, hd);
        float[] a = be.read(ref), c = be.read(out);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], c[i], 1e-5, "element " + i);
        // where both sides run their register-blocked loops (whole vector pairs along the head), the rows that share a
        // prefix sum in the training forward's order: the same bits
        int W = org.grpo4j.backend.cpu.Gemm.floatSpecies().length();
        if (hd % (2 * W) == 0)
            for (int i = 0; i < a.length; i++) assertEquals(a[i], c[i], 0f, "element " + i + " (bit-identical expected)");

        int full = cacheRows;
        assertThrows(IndexOutOfBoundsException.class, () -> be.kvStore(k, v, x, be.ints(new int[] {full}), 1, H, KV, hd));
    }
}
