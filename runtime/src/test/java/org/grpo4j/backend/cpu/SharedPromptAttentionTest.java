package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.SharedPromptLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention reading shared prompts in place ({@link SharedPromptAttention}) against the gather path it replaces
 * ({@code Transformer.attend}: every sequence copied whole into the full layout, today's kernel, each packed row's output
 * from its first copy; the backward's prompt-row key/value gradients summed over the copies in batch order): the same
 * bits, outputs and dQ/dK/dV. Ragged prompts (multiples of the query block and not), 1 to 3 readers per prompt, sequences
 * up to 192 tokens, an unshared sequence between the groups; two query heads per kv head; hd 32 (the query-lane kernels,
 * bench-s) and 64 (the register-blocked key-lane loops, bench-m).
 */
class SharedPromptAttentionTest {
    private static final int HEADS = 4, KV = 2;

    /** A batch: per sequence its length, prompt length (0: it packs its prompt) and owner; built as TokenBatch packs it. */
    private record Batch(int[] lengths, int[] prompt, int[] owner) {}

    private static Batch batch(long seed, int groups) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> seqs = new ArrayList<>(); // {length, prompt, owner}
        for (int g = 0; g < groups; g++) {
            int P = g == 0 ? 64 : 1 + r.nextInt(100), readers = 1 + r.nextInt(3), owner = seqs.size();
            seqs.add(new int[] {P + 1 + r.nextInt(192 - P), 0, -1});
            for (int k = 0; k < readers; k++) seqs.add(new int[] {P + 1 + r.nextInt(192 - P), P, owner});
            if (g == 0) seqs.add(new int[] {1 + r.nextInt(60), 0, -1}); // nobody shares its prompt
        }
        int B = seqs.size();
        int[] len = new int[B], prompt = new int[B], owner = new int[B];
        for (int b = 0; b < B; b++) {
            len[b] = seqs.get(b)[0];
            prompt[b] = seqs.get(b)[1];
            owner[b] = seqs.get(b)[2];
        }
        return new Batch(len, prompt, owner);
    }

    @ParameterizedTest
    @CsvSource({"1, 32", "2, 32", "3, 32", "4, 32", "1, 64", "2, 64", "3, 64"})
    void readingThePackedRowsGivesTheGatherPathsBits(long seed, int hd) {
        int align = SharedPromptAttention.alignment(hd);
        assertEquals(Attention.queryLanes(hd) ? AttentionByQueryLanes.QB : 1, align, "hd " + hd + " reads shared prompts in place");
        Batch bt = batch(seed, 3);
        int B = bt.lengths.length, width = (HEADS + 2 * KV) * hd, outWidth = HEADS * hd;
        int[] start = new int[B], promptRow = new int[B];
        int rows = 0, full = 0;
        for (int b = 0; b < B; b++) {
            start[b] = rows - bt.prompt[b];
            if (bt.owner[b] >= 0) promptRow[b] = start[bt.owner[b]];
            rows += bt.lengths[b] - bt.prompt[b];
            full += bt.lengths[b];
        }
        // packed row of sequence b's token t
        int[][] rowOf = new int[B][];
        for (int b = 0; b < B; b++) {
            rowOf[b] = new int[bt.lengths[b]];
            for (int t = 0; t < bt.lengths[b]; t++) rowOf[b][t] = t < bt.prompt[b] ? promptRow[b] + t : start[b] + t;
        }
        SplittableRandom r = new SplittableRandom(seed * 31);
        float[] qkv = new float[rows * width], dOut = new float[rows * outWidth];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        for (int i = 0; i < dOut.length; i++) dOut[i] = (float) r.nextGaussian();

        // the gather path
        int[] seqStart = new int[B + 1], probStart = new int[B];
        for (int b = 0; b < B; b++) {
            seqStart[b + 1] = seqStart[b] + bt.lengths[b];
            if (b + 1 < B) probStart[b + 1] = probStart[b] + HEADS * bt.lengths[b] * bt.lengths[b];
        }
        float[] qkvFull = new float[full * width], outFull = new float[full * outWidth], dOutFull = new float[full * outWidth];
        float[] probsFull = new float[probStart[B - 1] + HEADS * bt.lengths[B - 1] * bt.lengths[B - 1]], dQkvFull = new float[full * width];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < bt.lengths[b]; t++) {
                System.arraycopy(qkv, rowOf[b][t] * width, qkvFull, (seqStart[b] + t) * width, width);
                if (t >= bt.prompt[b]) System.arraycopy(dOut, rowOf[b][t] * outWidth, dOutFull, (seqStart[b] + t) * outWidth, outWidth);
            }
        Attention.forward(outFull, 0, probsFull, 0, qkvFull, 0, seqStart, probStart, B, full, HEADS, KV, hd);
        Attention.backward(dQkvFull, 0, dOutFull, 0, qkvFull, 0, probsFull, 0, seqStart, probStart, B, HEADS, KV, hd);
        float[] outGather = new float[rows * outWidth], dGather = new float[rows * width];
        for (int b = 0; b < B; b++)
            for (int t = bt.prompt[b]; t < bt.lengths[b]; t++) {
                System.arraycopy(outFull, (seqStart[b] + t) * outWidth, outGather, rowOf[b][t] * outWidth, outWidth);
                System.arraycopy(dQkvFull, (seqStart[b] + t) * width, dGather, rowOf[b][t] * width, width);
            }
        for (int b = 0; b < B; b++) // the later copies' prompt rows, one after another
            for (int t = 0; t < bt.prompt[b]; t++)
                for (int i = 0; i < width; i++) dGather[rowOf[b][t] * width + i] += dQkvFull[(seqStart[b] + t) * width + i];

        // in place
        SharedPromptLayout layout = SharedPromptLayout.of(new CpuBackend(), bt.lengths, start, bt.prompt, promptRow, HEADS, align);
        int[] seq = ((CpuIntTensor) layout.sequences()).data, units = ((CpuIntTensor) layout.units()).data;
        assertEquals(3 + 1, layout.unitCount(), "one unit per prompt");
        float[] out = new float[rows * outWidth], probs = new float[probsFull.length], dQkv = new float[rows * width];
        java.util.Arrays.fill(dQkv, Float.NaN); // everything is written
        SharedPromptAttention.forward(out, 0, probs, 0, qkv, 0, seq, B, layout.meanLength(), HEADS, KV, hd);
        SharedPromptAttention.backward(dQkv, 0, dOut, 0, qkv, 0, probs, 0, seq, units, layout.unitCount(), layout.meanLength(), HEADS, KV, hd);
        float[] outNoSave = new float[rows * outWidth];
        SharedPromptAttention.forward(outNoSave, 0, null, 0, qkv, 0, seq, B, layout.meanLength(), HEADS, KV, hd);
        assertArrayEquals(outGather, out, "outputs");
        assertArrayEquals(out, outNoSave, "outputs without saving the probabilities");
        assertArrayEquals(dGather, dQkv, "dQ, dK, dV");
    }

    @Test
    void otherHeadsTakeTheGatherPath() {
        assertEquals(0, SharedPromptAttention.alignment(16)); // the unblocked key-lane loops
        assertEquals(0, SharedPromptAttention.alignment(8));
        assertTrue(SharedPromptAttention.DIRECT, "on unless -Dgrpo4j.attention.sharedDirect=false");
        // one group and one kv head: the backward would run on one thread of several
        assertEquals(Parallel.width() > 1 ? 0 : 32, new CpuBackend().sharedAttentionAlignment(4, 1, 32, 1));
        assertEquals(32, new CpuBackend().sharedAttentionAlignment(4, 2, 32, Parallel.width()));
    }
}
