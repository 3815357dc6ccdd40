package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.SequenceLayout;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/** {@code kvStore} + {@code attentionCached} against the training attention, through the {@link Backend} interface. */
class CachedAttentionTest {

    @Test
    void prefixPlusOwnSegmentsEqualCausalAttentionOverTheWholeSequence() {
        Backend be = new CpuBackend();
        int H = 6, KV = 2, hd = 8, width = (H + 2 * KV) * hd;
        int[] lengths = {7, 1, 12};
        int rows = 20;
        SplittableRandom rng = new SplittableRandom(3);
        float[] qkv = new float[rows * width];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rng.nextGaussian();
        Tensor x = be.allocate(qkv.length);
        be.write(x, qkv);

        SequenceLayout layout = SequenceLayout.of(be, lengths, H);
        Tensor ref = be.allocate((long) rows * H * hd), probs = be.allocate(layout.probsSize());
        be.attention(ref, probs, x, layout, H, KV, hd);

        // cache slots in a scrambled order: sequence b's first `split` tokens form its prefix run, the rest its own run,
        // placed far apart in the cache
        int cacheRows = 64;
        Tensor k = be.allocate((long) cacheRows * KV * hd), v = be.allocate((long) cacheRows * KV * hd);
        int[] slots = new int[rows], seg = new int[4 * rows];
        int r = 0;
        for (int b = 0; b < lengths.length; b++) {
            int split = lengths[b] / 2, prefixAt = 40 - 10 * b, ownAt = 3 + 13 * b;
            for (int t = 0; t < lengths[b]; t++, r++) {
                slots[r] = t < split ? prefixAt + t : ownAt + t - split;
                seg[4 * r] = prefixAt;
                seg[4 * r + 1] = Math.min(t + 1, split);
                seg[4 * r + 2] = ownAt;
                seg[4 * r + 3] = Math.max(0, t + 1 - split);
            }
        }
        be.kvStore(k, v, x, be.ints(slots), rows, H, KV, hd);
        Tensor out = be.allocate((long) rows * H * hd);
        be.attentionCached(out, x, k, v, be.ints(seg), rows, H, KV, hd);
        float[] a = be.read(ref), c = be.read(out);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], c[i], 1e-5, "element " + i);

        // the cache rows hold exactly the k and v parts of the fused rows
        float[] kc = be.read(k);
        for (int i = 0; i < KV * hd; i++) assertEquals(qkv[5 * width + H * hd + i], kc[slots[5] * KV * hd + i]);
        assertThrows(IndexOutOfBoundsException.class, () -> be.kvStore(k, v, x, be.ints(new int[] {cacheRows}), 1, H, KV, hd));
    }
}
