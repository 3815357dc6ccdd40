package org.grpo4j.dsl.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;

/**
 * open-r1's handling of a gold answer that cannot be parsed: accuracy skips the sample (NaN, TRL's None), the
 * length reward counts the answer as correct and the cosine reward gives 1.0.
 */
class OpenR1GoldTest {
    static final String UNREADABLE = "see the figure in the appendix";

    static List<Sample> batch(String gold, String... completions) {
        return java.util.Arrays.stream(completions).map(c -> Sample.of(c, Map.<String, Object>of("solution", gold))).toList();
    }

    @Test
    void accuracySkipsAnUnreadableGold() {
        assertTrue(Double.isNaN(Rewards.accuracy().score(batch(UNREADABLE, "\\boxed{3}"))[0]));
        assertEquals(1.0, Rewards.accuracy().score(batch("The answer is $\\frac{3}{4}$.", "so \\boxed{0.75}"))[0]);
    }

    @Test
    void lengthCountsItAsCorrect() {
        double[] unreadable = Rewards.length().score(batch(UNREADABLE, "\\boxed{1}", "a much longer answer: \\boxed{2}"));
        double[] wrong = Rewards.length().score(batch("$5$", "\\boxed{1}", "a much longer answer: \\boxed{2}"));
        assertArrayEquals(new double[] {0.5, -0.5}, unreadable, 1e-12, "both counted correct: λ for each");
        assertArrayEquals(new double[] {0.0, -0.5}, wrong, 1e-12, "both wrong: min(0, λ)");
    }

    @Test
    void cosineGivesOne() {
        assertEquals(1.0, Rewards.cosine().score(batch(UNREADABLE, "\\boxed{1}"))[0]);
        assertTrue(Rewards.cosine().score(batch("$5$", "\\boxed{1}"))[0] < 0, "a wrong answer is penalised");
    }
}
