package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    /** pass@k by enumerating every k-subset of n answers: the definition the estimator must equal. */
    static double bruteForce(int n, int c, int k) {
        int hit = 0, all = 0;
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) != k) continue;
            all++;
            if ((mask & ((1 << c) - 1)) != 0) hit++; // answers 0..c-1 are the correct ones
        }
        return hit / (double) all;
    }

    @Test
    void passAtKEqualsTheShareOfKSubsetsWithACorrectAnswer() {
        for (int n = 1; n <= 10; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++) assertEquals(bruteForce(n, c, k), Evaluation.passAtK(n, c, k), 1e-12, "n=" + n + " c=" + c + " k=" + k);
        assertEquals(0.3, Evaluation.passAtK(10, 3, 1), 1e-12); // pass@1 = c/n
        assertEquals(1.0, Evaluation.passAtK(200, 1, 200), 0);
        assertTrue(Evaluation.passAtK(1000, 7, 100) < 1.0); // large n: no overflow, no NaN
        assertThrows(IllegalArgumentException.class, () -> Evaluation.passAtK(4, 1, 5));
    }

    static Evaluation.Scored scored(int sample, String text, double score, Completion.FinishReason why, int length) {
        Prompt p = new Prompt(0, new int[] {1}, "q", Map.of());
        return new Evaluation.Scored(p, sample, new Completion(0, Math.max(0, sample), new int[length], text, why, null), text, new double[] {score});
    }

    /** One prompt, five samples: answers 7, 7, 9, none, 9 with 9 correct; greedy says 9. */
    static Evaluation.Samples fiveSamples() {
        var eos = Completion.FinishReason.EOS;
        List<Evaluation.Scored> sampled = List.of(scored(0, "7", 0, eos, 4), scored(1, "7", 0, eos, 4), scored(2, "9", 1, eos, 6),
                scored(3, "", 0, Completion.FinishReason.LENGTH, 10), scored(4, "9", 1, eos, 6));
        Prompt p = sampled.getFirst().prompt();
        return new Evaluation.Samples(List.of("accuracy"), 0, 5, List.of(p), List.of(scored(-1, "9", 1, eos, 6)), sampled);
    }

    @Test
    void majorityVoteCountsStatedAnswersAndBreaksTiesByFirstSeen() {
        Evaluation.Samples s = fiveSamples();
        java.util.function.Function<String, String> answer = t -> t.isEmpty() ? null : t;
        assertEquals(0.0, s.majorityAtK(1, answer, null)); // "7"
        assertEquals(0.0, s.majorityAtK(3, answer, null)); // 7,7,9 → 7
        assertEquals(0.0, s.majorityAtK(4, answer, null)); // the empty answer does not vote
        assertEquals(0.0, s.majorityAtK(5, answer, null)); // 7:2, 9:2 → tie → 7 seen first
        // one class of equal answers: the verdict is that of its first member, "7"
        assertEquals(0.0, s.majorityAtK(5, answer, (a, b) -> true));
        // when "7" states no answer, the 9s win
        assertEquals(1.0, s.majorityAtK(5, t -> t.equals("9") ? t : null, null));
    }

    @Test
    void metricsInTableOrder() {
        Evaluation.Samples s = fiveSamples();
        Map<String, Double> m = s.metrics(new int[] {1, 2, 5}, t -> t.isEmpty() ? null : t, null);
        assertEquals(List.of("accuracy", "pass@1", "pass@2", "pass@5", "maj@2", "maj@5", "mean_length", "truncated", "rewards/accuracy"),
                new ArrayList<>(m.keySet()));
        assertEquals(1.0, m.get("accuracy"));
        assertEquals(0.4, m.get("pass@1"), 1e-12);
        assertEquals(1 - 3.0 / 10, m.get("pass@2"), 1e-12); // C(3,2)/C(5,2) of the pairs are both wrong
        assertEquals(1.0, m.get("pass@5"));
        assertEquals(30 / 5.0, m.get("mean_length"));
        assertEquals(0.2, m.get("truncated"));
    }

    @Test
    void generatesGreedyAndSampledAnswersInChunksWithProgress() {
        Transformer model = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.02);
        List<Prompt> prompts = GrpoTrainerTest.prompts(5, 4);
        var settings = new Evaluation.Settings(3, 1.0, 0, 1.0, 0.0, 1.0, 4, 7, 8, Duration.ofSeconds(10));
        List<Integer> progress = new ArrayList<>();
        Evaluation.Samples s = new Evaluation(settings, List.of(GrpoTrainerTest.CONTAINS), ids -> "", new int[0])
                .generate(new Generator(model), prompts, progress::add);
        assertEquals(List.of(2, 4, 5), progress); // 8 completions per call = 2 prompts × (1 greedy + 3 samples)
        assertEquals(5, s.greedy().size());
        assertEquals(15, s.sampled().size());
        for (int p = 0; p < 5; p++)
            for (int k = 0; k < 3; k++) {
                Evaluation.Scored x = s.samplesOf(p).get(k);
                assertEquals(prompts.get(p), x.prompt());
                assertEquals(k, x.sample());
                assertEquals(4, x.completion().length()); // no stop ids: every answer runs to max tokens
                boolean has = false;
                for (int id : x.completion().tokenIds()) has |= id == GrpoTrainerTest.TARGET;
                assertEquals(has ? 1.0 : 0.0, x.rewards()[0]);
            }
        assertEquals(1.0, s.metrics(new int[] {1}, null, null).get("truncated"));
        // the trainer's figures come from the same samples
        Evaluation.Result r = new Evaluation(settings, List.of(GrpoTrainerTest.CONTAINS), ids -> "", new int[0]).run(new Generator(model), prompts);
        assertEquals(5, r.prompts());
        assertEquals(3, r.k());
    }
}
