package org.grpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.grpo4j.bench.BenchModels;
import org.junit.jupiter.api.Test;

/**
 * The output head's chunk rule ({@link Activations#headChunkRows}): a 150k vocabulary gets chunks of
 * {@link Activations#HEAD_CHUNK_MIN} rows (256 by default, {@code -Dgrpo4j.headChunkMin=64} restores the old floor),
 * smaller vocabularies as many rows as the logits budget holds, never more than 1024 or than the batch's targets.
 * That chunking leaves the scores and gradients as they were (up to the order of the head weight's gradient sums) is
 * pinned by {@code ScorePassTest} and {@code TransformerGradientCheckTest} over forced chunk sizes.
 */
class HeadChunkTest {
    @Test
    void chunkRowsFollowTheFloorTheBudgetAndTheTargets() {
        ModelConfig qwen = BenchModels.named("qwen05b"), m = BenchModels.named("bench-m"), s = BenchModels.named("bench-s");
        long budgetRows = Activations.LOGITS_BUDGET / qwen.vocabSize();
        assertEquals(Math.min(512, Math.max(Activations.HEAD_CHUNK_MIN, Math.min(1024, budgetRows))), Activations.headChunkRows(qwen, 512));
        if (Activations.LOGITS_BUDGET == 8L << 20 && Activations.HEAD_CHUNK_MIN == 256) {
            assertEquals(256, Activations.headChunkRows(qwen, 512), "Qwen2.5's vocabulary: two chunks per 512 targets");
            assertEquals(1024, Activations.headChunkRows(m, 2048), "bench-m's 8,192 vocabulary: the budget's 1,024 rows");
        }
        assertEquals(100, Activations.headChunkRows(qwen, 100), "never more rows than targets");
        assertEquals(1, Activations.headChunkRows(s, 0));
    }
}
