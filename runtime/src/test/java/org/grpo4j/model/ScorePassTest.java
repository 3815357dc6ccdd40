package org.grpo4j.model;

import static org.grpo4j.model.PassAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Transformer#score}, the pass no backward follows (one set of layer tensors, the residual in place, no
 * attention probabilities, the last layer's output projection and MLP on the target rows only), scores what
 * {@link Transformer#forward} scores: on the oracle fixtures' ragged batches, with biases, q/k norm and tied heads,
 * with the head in several chunks, with LoRA adapters on and off; and it leaves no state a backward could misread.
 * The scores agree to an ulp or two, not bit for bit: the last layer's products over the target rows alone block
 * (and for a few rows pick) their kernels differently from those over all rows (bench-s and bench-m batches: 2-3
 * of 2,048 log-probs differ, by at most 9.5e-7).
 */
class ScorePassTest {
    private final Backend be = new CpuBackend();

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-bias-f64", "qwen3-f64", "llama-tied-f64"})
    void scoresEqualTheForward(String fixture) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(fixture);
        for (boolean allPositions : new boolean[] {false, true}) {
            TokenBatch batch = f.batch(allPositions);
            for (int chunk : new int[] {0, 3}) {
                Transformer m = OracleFixtureTest.load(f, "weights.safetensors", be);
                m.headChunkRows(chunk);
                Transformer.Scores fwd = m.forward(batch, f.temperature());
                Transformer.Scores s = m.score(batch, f.temperature());
                String what = fixture + (allPositions ? ", every position" : ", completions") + (chunk > 0 ? ", head chunks of 3" : "");
                assertClose(fwd.logp(), s.logp(), 1e-6, what + ": log-probs");
                assertClose(fwd.entropy(), s.entropy(), 1e-6, what + ": entropies");
                // a fresh model: the scoring pass alone, in a block of its own size
                Transformer fresh = OracleFixtureTest.load(f, "weights.safetensors", be);
                fresh.headChunkRows(chunk);
                assertClose(fwd.logp(), fresh.score(batch, f.temperature()).logp(), 1e-6, what + ": a model that never ran a forward");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-bias-f64", "qwen3-f64"})
    void loraScoresEqualTheForward(String fixture) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(fixture);
        TokenBatch batch = f.batch(false);
        Transformer m = OracleFixtureTest.load(f, "weights.safetensors", be);
        m.withLora(PeftModelTest.adapters(be, m.config(), 0.0));
        // training mode: the adapters take the forward's own path
        m.setTraining(true);
        float[] fwd = m.forward(batch, 1f).logp();
        assertClose(fwd, m.score(batch, 1f).logp(), 1e-6, fixture + ": LoRA, training mode");
        // outside training mode the adapters take generation's packed product (a group's adapters stacked into one product, blocked differently): the
        // same sums up to rounding, which these large random adapters magnify to a few 1e-6 (the oracle fixtures' bound)
        m.setTraining(false);
        assertClose(fwd, m.score(batch, 1f).logp(), 5e-6, fixture + ": LoRA");
        // the reference: the base with the adapters off
        m.lora().setEnabled(false);
        float[] ref = m.forward(batch, 1f).logp();
        assertClose(ref, m.score(batch, 1f).logp(), 1e-6, fixture + ": adapters off");
        m.lora().setEnabled(true);
        boolean differs = false;
        for (int i = 0; i < ref.length; i++) differs |= ref[i] != fwd[i];
        assertTrue(differs, "the adapters change the scores (else the comparison above shows nothing)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-bias-f64"})
    void aScoreBetweenForwardsLeavesTheGradientsAsTheyWere(String fixture) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(fixture);
        TokenBatch batch = f.batch(false), all = f.batch(true);
        float[] d = PeftModelTest.dLogp(batch);
        Transformer m = OracleFixtureTest.load(f, "weights.safetensors", be);
        m.zeroGrad();
        m.forward(batch, 1f);
        m.backward(d);
        float[] expected = be.read(m.grads());

        m.zeroGrad();
        m.score(all, 1f);
        assertThrows(IllegalStateException.class, () -> m.backward(d), "score keeps nothing for a backward");
        m.forward(batch, 1f);
        m.backward(d);
        assertArrayEquals(expected, be.read(m.grads()), "forward + backward after a score in the same block");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-bias-f64"})
    void theScorePassNeedsLessMemoryThanAForward(String fixture) throws IOException {
        OracleFixtureTest.Fixture f = OracleFixtureTest.Fixture.open(fixture);
        TokenBatch batch = f.batch(true);
        Transformer a = OracleFixtureTest.load(f, "weights.safetensors", be), b = OracleFixtureTest.load(f, "weights.safetensors", be);
        a.forward(batch, 1f);
        b.score(batch, 1f);
        assertTrue(b.activationBytes() < a.activationBytes(), b.activationBytes() + " bytes for a score, " + a.activationBytes() + " for a forward");
    }
}
