package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.dsl.reward.Reward;
import org.junit.jupiter.api.Test;

/** Malformed and adversarial text never throws and never hangs; the pieces of the verifier do what they say. */
class VerifierRobustnessTest {
    static final String[] FRAGMENTS = {"\\boxed{", "}", "{", "\\frac", "\\sqrt", "[", "]", "(", ")", "^", "_", "-", "+",
            "*", "/", "=", ",", "\\pi", "\\infty", "x", "y", "2", "10", "0.5", "\\left", "\\right", "\\text{", "cm", "\\%",
            "$", "\\", "\\{", "\\}", "|", "!", "\\cup", "\\pm", "The answer is ", "#### ", "<answer>", "</answer>", " ",
            "\n", "\\dfrac", "e", "^{", "\\cdot", "1,000", "\\unknown", "π", "−", "°", "'", "\"", "\\sin", "\\log_"};

    @Test
    void randomLatexNeverThrows() {
        SplittableRandom rnd = new SplittableRandom(42);
        List<Reward> rewards = List.of(Rewards.accuracy(), Rewards.length(), Rewards.cosine());
        for (int i = 0; i < 3000; i++) {
            StringBuilder c = new StringBuilder(), g = new StringBuilder();
            int n = rnd.nextInt(30), m = rnd.nextInt(12);
            for (int k = 0; k < n; k++) c.append(FRAGMENTS[rnd.nextInt(FRAGMENTS.length)]);
            for (int k = 0; k < m; k++) g.append(FRAGMENTS[rnd.nextInt(FRAGMENTS.length)]);
            double v = MathVerifier.DEFAULT.verify(c.toString(), g.toString());
            assertTrue(v == 0.0 || v == 1.0 || Double.isNaN(v), "verdict " + v + " for " + c + " | " + g);
            for (Reward r : rewards) r.score(c.toString(), g.toString());
        }
    }

    @Test
    void rationalArithmetic() {
        assertEquals(Rational.of(1, 2), Rational.parseDecimal("0.50"));
        assertEquals(Rational.of(-3, 8), Rational.parseDecimal("-.375"));
        assertEquals(Rational.of(1500, 1), Rational.parseDecimal("1.5e3"));
        assertEquals(Rational.of(3, 2), Rational.of(9, 4).root(2));
        assertNull(Rational.of(2, 1).root(2));
        assertEquals(Rational.of(-2, 1), Rational.of(-8, 1).root(3));
        assertEquals(Rational.of(1, 8), Rational.of(2, 1).pow(-3));
        assertNull(Rational.of(3, 1).pow(1_000_000), "refuses a million-bit power");
        assertEquals(Rational.of(2, 1), Rational.of(-6, -3));
    }

    @Test
    void parserShapes() {
        assertEquals(new Expr.Interval(new Expr.Num(Rational.ONE), new Expr.Num(Rational.of(2, 1)), true, false), LatexParser.parse("(1, 2]"));
        assertTrue(LatexParser.parse("\\{1, 2\\}") instanceof Expr.SetOf);
        assertTrue(LatexParser.parse("(1, 2)") instanceof Expr.Interval, "an open interval, which also compares as a pair");
        assertTrue(LatexParser.parse("(3, 2)") instanceof Expr.Tuple, "an empty interval is a pair");
        assertTrue(LatexParser.parse("x = 3") instanceof Expr.Rel);
        assertEquals(Rational.of(5, 2), Expr.exact(LatexParser.parse("2\\frac{1}{2}")), "mixed number");
        assertEquals(Rational.of(3, 4), Expr.exact(LatexParser.parse("\\dfrac{6}{8}")));
        assertEquals(Rational.of(1000, 1), Expr.exact(LatexParser.parse("1{,}000 \\text{ cm}")));
        assertNull(LatexParser.parse("I can't parse this"), "prose is not an answer");
        assertEquals(new Expr.Rel("<=", new Expr.Sym("x"), new Expr.Num(Rational.of(3, 1))), LatexParser.parse("x \\le 3"));
    }

    @Test
    void toleranceIsConfigurable() {
        MathVerifier loose = MathVerifier.DEFAULT.withFloatRounding(3);
        assertEquals(1.0, loose.verify("\\boxed{3.1416}", "\\pi"));
        assertEquals(0.0, MathVerifier.DEFAULT.verify("\\boxed{3.1416}", "\\pi"));
        assertEquals(1.0, Rewards.accuracy(null, loose).score("\\boxed{1.41421}", "\\sqrt{2}"));
    }
}
