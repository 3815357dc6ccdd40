package org.grpo4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;

/**
 * Benchmark-only check that the fast paths still compute what the engine computed before them: the log-probs and
 * entropies of {@code bench train --config bench-m}'s batch, by the training forward and by the reference's scoring pass, against the file written by
 * {@code tools/bench/BenchLogpFixture.java} with the engine of commit 6d03c05 (before issue 14's speed work).
 */
final class FastPathCheck {
    private FastPathCheck() {}

    static final double TOLERANCE = 1e-5;

    static void againstPinnedEngine(Transformer model, List<TokenBatch> microBatches) throws IOException {
        float[] pinned;
        try (InputStream in = FastPathCheck.class.getResourceAsStream("bench-m-logp.bin")) {
            if (in == null) {
                System.out.println("fast-path check: bench-m-logp.bin missing from the build; no check");
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            pinned = new float[b.remaining() / 4];
            b.asFloatBuffer().get(pinned);
        }
        check(model, microBatches, pinned, false);
        check(model, microBatches, pinned, true);
    }

    /** One pass over the batch, the training forward's or the reference's ({@code score}: {@link Transformer#score}). */
    private static void check(Transformer model, List<TokenBatch> microBatches, float[] pinned, boolean score) {
        int targets = pinned.length / 2, at = 0;
        double worstLogp = 0, worstEntropy = 0;
        for (TokenBatch mb : microBatches) {
            Transformer.Scores s = score ? model.score(mb, 1f) : model.forward(mb, 1f);
            for (int i = 0; i < s.logp().length; i++, at++) {
                worstLogp = Math.max(worstLogp, Math.abs(s.logp()[i] - pinned[at]));
                worstEntropy = Math.max(worstEntropy, Math.abs(s.entropy()[i] - pinned[targets + at]));
            }
        }
        if (at != targets) throw new IllegalStateException("the pinned file has " + targets + " targets, the batch " + at);
        boolean ok = worstLogp <= TOLERANCE && worstEntropy <= TOLERANCE;
        System.out.printf("fast-path check%s: max |Δ log-prob| %.2e, max |Δ entropy| %.2e over %d targets vs the engine before issue 14 (6d03c05): %s%n",
                score ? " (reference pass)" : "", worstLogp, worstEntropy, targets, ok ? "same (≤ 1e-5)" : "DIFFERENT (> 1e-5)");
    }
}
