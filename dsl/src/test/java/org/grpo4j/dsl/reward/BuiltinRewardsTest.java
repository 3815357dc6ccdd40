package org.grpo4j.dsl.reward;

import static org.grpo4j.dsl.reward.Rewards.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;

/** Every open-r1 built-in against values computed by hand from its formula, edges included. */
class BuiltinRewardsTest {
    static final String GOOD = "<think>\nplan\n</think>\n<answer>\n42\n</answer>";

    // ------------------------------------------------------------------------------------------ accuracy

    @Test
    void accuracyReferenceExampleAsABatch() {
        List<Sample> batch = List.of(
                Sample.of("The answer is \\boxed{42}", Map.of("solution", "\\boxed{42}")),
                Sample.of("x = 10", Map.of("solution", "10")),
                Sample.of("\\boxed{3.14}", Map.of("solution", "\\boxed{pi}")));
        assertArrayEquals(new double[] {1.0, 0.0, 0.0}, accuracy().score(batch));
        assertEquals("accuracy", accuracy().name());
    }

    @Test
    void accuracyOnOneString() {
        assertEquals(1.0, accuracy().score("… \\boxed{42}", "42"));
        assertEquals(0.0, accuracy().score("… \\boxed{41}", "42"));
        assertTrue(Double.isNaN(accuracy().score("\\boxed{42}", "see the figure")), "unreadable gold is not applicable");
    }

    @Test
    void accuracyGoldColumns() {
        assertEquals(1.0, accuracy().score("\\boxed{7}", Map.of("answer", "7")), "GSM8K-style column");
        assertEquals(1.0, accuracy().score("\\boxed{7}", Map.of("solution", "7", "answer", "8")), "solution wins");
        assertEquals(1.0, accuracy("final").score("\\boxed{7}", Map.of("final", "7", "solution", "8")));
        assertEquals(1.0, accuracy("final").score("\\boxed{7}", "7"), "score(c, gold) fills the configured column");
        var e = assertThrows(ComposedReward.RewardException.class, () -> accuracy("final").score("\\boxed{7}", Map.of("solution", "7")));
        assertTrue(e.getMessage().contains("'final'") && e.getMessage().contains("[solution]"), e.getMessage());
        var e2 = assertThrows(ComposedReward.RewardException.class, () -> accuracy().score("\\boxed{7}"));
        assertTrue(e2.getMessage().contains("solution"), e2.getMessage());
    }

    // ------------------------------------------------------------------------------------------ format

    @Test
    void formatFollowsPythonReMatch() {
        assertEquals(1.0, format().score(GOOD));
        assertEquals(1.0, format().score("<think>\nmulti\nline\n</think>\n<answer>\na\nb\n</answer>"));
        assertEquals(0.0, format().score("<think>plan</think><answer>42</answer>"), "newlines required");
        assertEquals(0.0, format().score(" " + GOOD), "re.match anchors at the start");
        assertEquals(0.0, format().score(""));
        // MULTILINE: $ also matches before a newline, so text on later lines does not spoil the match (as open-r1)
        assertEquals(1.0, format().score(GOOD + "\ntrailing text"));
        assertEquals(0.0, format().score(GOOD + " trailing text"));
        // \r does not end a line for Python's $
        assertEquals(0.0, format().score(GOOD + "\r"));
    }

    @Test
    void formatPatternIsAParameter() {
        Reward r1 = format(OpenR1Rewards.R1_FORMAT_PATTERN);
        assertEquals(1.0, r1.score("<think>plan</think><answer>42</answer>"));
        assertEquals(0.0, r1.score("<think>plan</think> <answer>42</answer>"));
        assertEquals(1.0, format("^ANSWER: \\d+$").score("ANSWER: 12"));
    }

    @Test
    void tagCount() {
        assertEquals(1.0, Rewards.tagCount().score(GOOD));
        assertEquals(0.0, Rewards.tagCount().score(""));
        assertEquals(0.5, Rewards.tagCount().score("<think>\nx\n</think>\n"));
        // two "<think>\n": that quarter is lost; "\n</think>\n" once: kept
        assertEquals(0.25, Rewards.tagCount().score("<think>\n<think>\n\n</think>\n"));
        assertEquals(0.75, Rewards.tagCount().score("<think>\nx\n</think>\n<answer>\n42</answer>"));
    }

    @Test
    void reasoningSteps() {
        assertEquals(1.0, Rewards.reasoningSteps().score("Step 1: a Step 2: b Step 3: c"));
        assertEquals(1.0, Rewards.reasoningSteps().score("Step 1: a Step 2: b Step 3: c Step 4: d"), "capped at 1");
        assertEquals(2.0 / 3, Rewards.reasoningSteps().score("First, a. Second, b."), 1e-15);
        assertEquals(1.0, Rewards.reasoningSteps().score("\n- a\n- b\n* c\n* d"));
        // open-r1 compiles the pattern without MULTILINE: "^\d+\." counts only at the very start
        assertEquals(1.0 / 3, Rewards.reasoningSteps().score("1. first\n2. second\n3. third"), 1e-15);
        assertEquals(0.0, Rewards.reasoningSteps().score(""));
    }

    // ------------------------------------------------------------------------------------------ length

    @Test
    void kimiLengthReward() {
        String a = "\\boxed{42}";                        // 10 chars, correct: λ = 0.5
        String b = "\\boxed{41}" + "y".repeat(10);       // 20 chars, wrong: λ = 0 → min(0, 0) = 0
        String c = "\\boxed{42}" + "z".repeat(20);       // 30 chars, correct: λ = -0.5
        String d = "\\boxed{40}";                        // 10 chars, wrong: λ = 0.5 → min(0, 0.5) = 0
        String e = "\\boxed{42}" + "w".repeat(5);        // 15 chars, correct: λ = 0.25
        assertArrayEquals(new double[] {0.5, 0.0, -0.5, 0.0, 0.25}, length().scoreAll(List.of(a, b, c, d, e), "42"), 1e-15);
    }

    @Test
    void lengthEdges() {
        assertArrayEquals(new double[] {0, 0, 0}, length().scoreAll(List.of("\\boxed{1}", "\\boxed{2}", "\\boxed{3}"), "1"),
                "all the same length");
        assertArrayEquals(new double[0], length().score(List.of()));
        assertArrayEquals(new double[] {0, 0}, length().scoreAll(List.of("", ""), "1"), "empty texts");
        // unreadable gold: treated as correct, so a long answer gets a negative λ, not min(0, λ)
        assertArrayEquals(new double[] {0.5, -0.5}, length().scoreAll(List.of("a", "abc"), "see the figure"), 1e-15);
        // lengths count code points, as Python's len: "𝑥" is one character
        assertArrayEquals(new double[] {0.5, -0.5}, length().scoreAll(List.of("𝑥", "ab"), "see the figure"), 1e-15);
    }

    // ------------------------------------------------------------------------------------------ cosine

    @Test
    void cosineScaledReward() {
        String correct = "\\boxed{42}"; // 10 chars
        double c = Math.cos(Math.PI * 10 / 1000);
        assertEquals(0.5 + 0.5 * (1.0 - 0.5) * (1 + c), cosine().score(correct, "42"), 1e-15);
        // wrong: lo = max_wrong = -0.5, hi = min_wrong = -1.0
        assertEquals(-0.5 + 0.5 * (-1.0 + 0.5) * (1 + c), cosine().score("\\boxed{43}", "42"), 1e-15);
        Reward short20 = cosine(-1.0, -0.5, 0.5, 1.0, 20);
        String exactly20 = "\\boxed{42}" + "x".repeat(10);
        assertEquals(0.5, short20.score(exactly20, "42"), 1e-15, "len = max_len, correct → min_correct");
        assertEquals(-0.5, short20.score("\\boxed{43}" + "x".repeat(10), "42"), 1e-15, "len = max_len, wrong → max_wrong");
        assertEquals(-1.0, short20.score("", "42"), 1e-15, "empty and wrong → min_wrong");
        assertEquals(1.0, cosine().score("\\boxed{42}", "see the figure"), "unreadable gold → 1.0 as open-r1");
        // open-r1's CLI default min_wrong = 0.0: a wrong answer costs nothing when short
        assertEquals(0.0, cosine(0.0, -0.5, 0.5, 1.0, 1000).score("", "42"), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> cosine(-1, -0.5, 0.5, 1, 0));
    }

    // ------------------------------------------------------------------------------------------ repetition

    @Test
    void repetitionPenalty() {
        Reward r = Rewards.repetitionPenalty();
        // 3-grams of "a b c a b c": abc bca cab abc → 3 unique of 4
        assertEquals(-0.25, r.score("a b c a b c"), 1e-15);
        assertEquals(0.0, r.score(""), 0.0);
        assertEquals(0.0, r.score("a b"), 0.0, "fewer words than the n-gram size");
        assertEquals(0.0, r.score("   "), 0.0, "only whitespace: no words");
        assertEquals(0.0, r.score("one two three four"), 0.0, "all unique");
        // lower-cased: "the the" three times of three 2-grams → 1 unique
        assertEquals(-2.0 / 3, Rewards.repetitionPenalty(2, -1.0).score("The the THE\tthe"), 1e-15);
        assertEquals(-0.125, Rewards.repetitionPenalty(3, -0.5).score("a b c a b c"), 1e-15);
        var e = assertThrows(IllegalArgumentException.class, () -> Rewards.repetitionPenalty(3, 0.5));
        assertTrue(e.getMessage().contains("should not be positive"));
        assertThrows(IllegalArgumentException.class, () -> Rewards.repetitionPenalty(0, -1));
    }

    // ------------------------------------------------------------------------------------------ overlong

    @Test
    void softOverlongPunishmentOnTokenCounts() {
        Reward r = softOverlongPunishment(10, 4);
        List<Sample> batch = new java.util.ArrayList<>();
        for (int len : new int[] {0, 6, 7, 8, 10, 11, 100})
            batch.add(new Sample("", "text", new int[len], "length", Map.of()));
        assertArrayEquals(new double[] {0, 0, -0.25, -0.5, -1.0, -1.0, -1.0}, r.score(batch), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> softOverlongPunishment(10, 11));
        assertThrows(IllegalArgumentException.class, () -> softOverlongPunishment(10, 0));
    }

    // ------------------------------------------------------------------------------------------ code format

    @Test
    void codeFormat() {
        String py = "<think>\nplan\n</think>\n<answer>\nHere:\n```python\nprint(1)\n```\ndone\n</answer>";
        String java = py.replace("```python", "```java");
        assertEquals(1.0, Rewards.codeFormat("python").score(py));
        assertEquals(0.0, Rewards.codeFormat("python").score(java));
        assertEquals(0.0, Rewards.codeFormat("python").score(GOOD), "no code block");
        assertEquals(1.0, Rewards.codeFormat().score(java, Map.of("language", "java")), "language from the row");
        assertEquals(1.0, Rewards.codeFormat().score(java, Map.of("verification_info", Map.of("language", "java"))));
        assertEquals(1.0, Rewards.codeFormat().score(py), "python by default");
        assertEquals(1.0, Rewards.codeFormat("c++").score(py.replace("```python", "```c++")), "language is literal");
    }

    // ------------------------------------------------------------------------------------------ catalogue

    @Test
    void builtinsListEveryRewardUnderItsMetricsName() {
        Set<String> names = new HashSet<>();
        for (Rewards.Builtin b : Rewards.builtins()) {
            assertTrue(names.add(b.name()), "duplicate " + b.name());
            assertTrue(!b.description().isBlank());
            assertEquals(b.name(), b.factory().get().name());
        }
        assertEquals(Set.of("accuracy", "format", "tag_count", "reasoning_steps", "length", "cosine", "repetition_penalty",
                "soft_overlong_punishment", "code", "binary_code", "code_format"), names);
    }
}
