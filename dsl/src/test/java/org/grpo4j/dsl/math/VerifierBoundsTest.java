package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every call is bounded: pathological answers (deep nesting, towers of powers, 100 kB of LaTeX) and random
 * fragments return "could not verify" (0) within the verifier's time limit plus slack, and never throw.
 * The slack guards against hangs only; speed is measured by {@code grpo bench rewards}.
 */
class VerifierBoundsTest {
    static final long LIMIT_MS = MathVerifier.DEFAULT.timeoutMillis() * 3 + 2000;

    static double timed(String completion, String gold) {
        long t0 = System.nanoTime();
        double v = MathVerifier.DEFAULT.verify(completion, gold);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String shown = completion.length() > 60 ? completion.substring(0, 60) + "… (" + completion.length() + " chars)" : completion;
        assertTrue(ms < LIMIT_MS, shown + " took " + ms + " ms");
        assertTrue(v == 0.0 || v == 1.0 || Double.isNaN(v), shown + " gave " + v);
        return v;
    }

    static List<String> pathological() {
        String hundredKb = "\\frac{\\sqrt{x^{2}+1}}{(y-3)} + \\left[ 1, 2 \\right) \\cup \\{3\\} $ $$ \\[ ".repeat(1400);
        return List.of(
                "\\boxed{9^{9^{9^9}}}",
                "\\boxed{" + "\\frac{1}{".repeat(5000) + "2" + "}".repeat(10000) + "}",
                "\\boxed{" + "(".repeat(50_000) + "1" + ")".repeat(50_000) + "}",
                "\\boxed{" + "\\sqrt{".repeat(20_000) + "2" + "}".repeat(20_000) + "}",
                "\\boxed{" + "x^{".repeat(3000) + "2" + "}".repeat(3000) + "}",
                "\\boxed{(10^{100000})!}",
                "\\boxed{1e999999999}",
                "\\boxed{" + "7".repeat(100_000) + "}",
                "The answer is $" + hundredKb + "$",
                hundredKb,
                "$".repeat(100_000),
                "\\boxed{".repeat(20_000),
                "\\[".repeat(30_000) + "1",
                "answer: " + "$1$, ".repeat(20_000),
                "\\boxed{\\begin{pmatrix}" + "1 & ".repeat(5000) + "1 \\\\ ".repeat(200) + "\\end{pmatrix}}",
                "\\boxed{" + "x+".repeat(30_000) + "1}");
    }

    @Test
    void pathologicalAnswersAreRefusedInTime() {
        for (String p : pathological()) {
            timed(p, "1");
            timed("\\boxed{1}", p); // the same text as a gold answer
        }
        assertTrue(timed("\\boxed{9^{9^{9^9}}}", "1") == 0.0);
        assertTrue(timed("x ".repeat(50_000) + "\\boxed{1}", "1") == 1.0, "a long text with a plain answer still works");
    }

    static final String[] FRAGMENTS = {"\\boxed{", "}", "{", "\\frac", "\\sqrt", "[", "]", "(", ")", "^", "_", "-", "+", "*", "/", "=",
            ",", ";", ":", "\\pi", "\\infty", "x", "y", "2", "10", "0.5", "\\left", "\\right", "\\text{", " and ", "cm", "\\%", "%", "$",
            "$$", "\\[", "\\]", "\\(", "\\)", "\\", "\\{", "\\}", "|", "!", "\\cup", "\\pm", "\\le", "\\ge", "\\neq", "\\in", "\\approx",
            "<", ">", "The answer is ", "Final Answer: The final answer is ", "I hope", "#### ", "<answer>", "</answer>", " ", "\n",
            "\\dfrac", "e", "i", "^{", "\\cdot", "1,000", "1 000", "\\unknown", "π", "−", "°", "'", "\"", "\\sin", "\\log_",
            "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\begin{array}{cc}", "\\end{array}", "\\mathbb{R}", "\\emptyset"};

    @Test
    void randomFragmentsNeverThrowOrHang() {
        SplittableRandom rnd = new SplittableRandom(18);
        MathVerifier loose = MathVerifier.DEFAULT.withStrict(false).withSetRelationComp(true);
        for (int i = 0; i < 3000; i++) {
            StringBuilder c = new StringBuilder(), g = new StringBuilder();
            int n = rnd.nextInt(40), m = rnd.nextInt(15);
            for (int k = 0; k < n; k++) c.append(FRAGMENTS[rnd.nextInt(FRAGMENTS.length)]);
            for (int k = 0; k < m; k++) g.append(FRAGMENTS[rnd.nextInt(FRAGMENTS.length)]);
            timed(c.toString(), g.toString());
            var gold = MathVerifier.parse(g.toString(), AnswerExtractor.Config.DEFAULT, 1000);
            var answer = MathVerifier.parse(c.toString(), AnswerExtractor.Config.DEFAULT, 1000);
            loose.verify(gold, answer);
        }
    }
}
