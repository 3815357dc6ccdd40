package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The verifier's verdicts, one nested class per kind of answer that Math-Verify handles (issue 18). */
class MathVerifierTest {
    /** Math-Verify's {@code verify(parse(gold), parse(answer))} with its default extraction. */
    static boolean same(MathVerifier v, String gold, String answer) {
        var g = MathVerifier.parse(gold, AnswerExtractor.Config.DEFAULT, 1000);
        var a = MathVerifier.parse(answer, AnswerExtractor.Config.DEFAULT, 1000);
        return v.verify(g, a);
    }

    static boolean same(String gold, String answer) {
        return same(MathVerifier.DEFAULT, gold, answer);
    }

    @Nested
    class AnswersWithoutABox {
        @Test
        void displayMathAndProseAreRead() {
            assertTrue(same("$17$", "Answer \\[ 17 \\]"));
            assertTrue(same("$17$", "We conclude that the total is $$17$$ as claimed"));
            assertTrue(same("$8$", "Final Answer: The smallest $k$ is 8."));
            assertTrue(same("$\\frac{2}{3}$", "the probability is 2/3"));
        }

        @Test
        void priorityDecidesBetweenCandidates() {
            assertTrue(same("$6$", "so the final answer is $6$, while $x = 9$ was a guess"), "'final answer is' beats a later formula");
            assertTrue(same("$9$", "first $6$ then $9$"), "without anchors the rightmost formula counts");
            assertTrue(same("$11$", "\\boxed{11} and later the answer is $12$"), "the box beats an answer-word match");
        }

        @Test
        void theRewardNeedsABoxOrAnAnchor() {
            assertEquals(1.0, MathVerifier.DEFAULT.verify("The answer is $\\frac{2}{3}$.", "\\frac{2}{3}"));
            assertEquals(0.0, MathVerifier.DEFAULT.verify("so $\\frac{2}{3}$", "\\frac{2}{3}"), "no anchor, no box");
            assertEquals(1.0, MathVerifier.DEFAULT.verify("<think>\n2+2\n</think>\n<answer>\n4\n</answer>", "4"));
            assertEquals(0.0, MathVerifier.OPEN_R1.verify("<think>\n2+2\n</think>\n<answer>\n4\n</answer>", "4"),
                    "open-r1 reads LaTeX only");
        }
    }

    @Nested
    class SetsTuplesIntervals {
        @Test
        void severalBoxesAreOneSet() {
            assertTrue(same("$\\{-3, 5\\}$", "The roots are \\boxed{5} and \\boxed{-3}"));
            assertFalse(same("$-3$", "The roots are \\boxed{5} and \\boxed{-3}"));
        }

        @Test
        void aTupleIsNotASet() {
            assertTrue(same("$(4,7,9)$", "$(4,7,9)$"));
            assertFalse(same("$(4,7,9)$", "$(9,7,4)$"));
            assertTrue(same("$\\{4,7,9\\}$", "$\\{9,4,7\\}$"));
            assertTrue(same("$\\{4,7\\}$", "$\\{7,4,7\\}$"), "duplicates collapse");
        }

        @Test
        void intervalsAndUnions() {
            assertTrue(same("$(-2, 5]$", "$\\left(-2, 5\\right]$"));
            assertFalse(same("$(-2, 5]$", "$[-2, 5]$"));
            assertTrue(same("$(-\\infty, 0) \\cup (4, \\infty)$", "$(4,\\infty) \\cup (-\\infty,0)$"));
            assertTrue(same("$\\{2\\} \\cup [3, 4]$", "$[3,4] \\cup \\{2\\}$"));
            assertFalse(same("$(-\\infty, 0) \\cup (4, \\infty)$", "$(-\\infty, 4)$"));
            assertTrue(same("$(-\\infty, \\infty)$", "$\\mathbb{R}$"), "the real line");
        }
    }

    @Nested
    class Relations {
        @Test
        void equationsAndInequalities() {
            assertTrue(same("$y = 3x - 2$", "$y = -2 + 3x$"));
            assertTrue(same("$x - y = 1$", "$2x - 2y = 2$"), "equal up to a factor");
            assertTrue(same("$k \\ge 4$", "$4 \\le k$"), "sides swapped");
            assertFalse(same("$k \\ge 4$", "$k > 4$"));
            assertTrue(same("$k \\neq 0$", "$k \\ne 0$"));
        }

        @Test
        void labelledAnswersGiveTheirValue() {
            assertTrue(same("$(a,b)=(5,1)$", "$(5,1)$"));
            assertTrue(same("$h(u)=10$", "$10$"));
            assertFalse(same("$h(2)=10$", "$10$"), "h(2) is not only symbols: an equation, not a label");
            assertTrue(same("$10$", "$g(2) = 4 + 6 = 10$"), "a chain in the answer ends in its value");
            assertFalse(same("$4 + 6 = 10$", "$10$"), "a chain in the gold is an equation, not a value");
            assertTrue(same("$n \\in \\{2, 3\\}$", "$\\{3, 2\\}$"));
            assertTrue(same("$e^3$", "$e^3 \\approx 20.09$"), "an approximation is not the answer");
        }

        @Test
        void setRelationComparisonIsOneWayUnlessAllowed() {
            assertTrue(same("$-1 < x \\le 6$", "$(-1, 6]$"));
            assertFalse(same("$(-1, 6]$", "$-1 < x \\le 6$"));
            assertTrue(same(MathVerifier.DEFAULT.withSetRelationComp(true), "$(-1, 6]$", "$-1 < x \\le 6$"));
        }

        @Test
        void strictMatchesVariablesByName() {
            assertFalse(same("$a^2 + 1$", "$b^2 + 1$"));
            assertTrue(same(MathVerifier.DEFAULT.withStrict(false), "$a^2 + 1$", "$b^2 + 1$"));
        }
    }

    @Nested
    class Matrices {
        @Test
        void matricesAndVectors() {
            assertTrue(same("$\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}$", "$\\begin{bmatrix} 3 \\\\ -1 \\end{bmatrix}$"));
            assertFalse(same("$\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}$", "$\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}$"));
            assertTrue(same("$\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix}$",
                    "$\\begin{array}{cc} 1 & 1 \\\\ 0 & 1 \\end{array}$"));
            assertTrue(same("$\\begin{pmatrix} 5 \\\\ 5 \\end{pmatrix}$",
                    "$\\begin{pmatrix} 2 \\\\ 3 \\end{pmatrix} + \\begin{pmatrix} 3 \\\\ 2 \\end{pmatrix}$"));
        }
    }

    @Nested
    class NumberFormats {
        @Test
        void separatorsWithoutBreakingTuples() {
            assertTrue(same("$3200450$", "$3,200,450$"));
            assertTrue(same("$25000$", "$25{,}000$"));
            assertTrue(same("$25000$", "$25,\\!000$"));
            assertTrue(same("2500", "2 500"));
            assertFalse(same("$15300$", "$(15,300)$"), "a pair");
            assertTrue(same("3.75", "3,75"), "a decimal comma");
        }

        @Test
        void percentUnitsTextAndEscapes() {
            assertTrue(same("$45\\%$", "45 percent"));
            assertTrue(same("$0.45$", "$45\\%$"));
            assertTrue(same("$60$", "$60 \\text{ km}$"));
            assertTrue(same("$\\text{Tuesday}$", "it was \\boxed{\\text{Tuesday}}"));
            assertTrue(same("$1011_2$", "$1011$"));
            assertTrue(same("$\\sqrt{5}$", "$\\\\sqrt{5}$"), "JSON-doubled backslash");
            assertTrue(same("$3:4$", "$\\boxed{3:4}$"), "a ratio");
        }
    }

    @Nested
    class NumericAndSymbolic {
        @Test
        void floatRounding() {
            assertTrue(same("$\\frac{2}{7}$", "$0.285714$"));
            assertFalse(same("$\\frac{2}{7}$", "$0.2857$"));
            assertTrue(same(MathVerifier.DEFAULT.withFloatRounding(4), "$\\frac{2}{7}$", "$0.2857$"));
            assertFalse(same("$\\sqrt{3}$", "$1.73$"));
            assertTrue(same("$\\sqrt{3}$", "$1.7320508$"));
        }

        @Test
        void exactAndSymbolicEquality() {
            assertTrue(same("$\\frac{\\sqrt{2}}{2}$", "$\\frac{1}{\\sqrt{2}}$"));
            assertTrue(same("$0.25$", "$4^{-1}$"));
            assertTrue(same("$3\\sqrt{3}$", "$\\sqrt{27}$"));
            assertTrue(same("$\\frac{\\pi}{3}$", "$\\pi/3$"));
            assertTrue(same("$(a+b)^2$", "$a^2 + 2ab + b^2$"));
            assertFalse(same("$(a+b)^2$", "$a^2 + b^2$"));
            assertTrue(same("$2 - i$", "$-i + 2$"));
            assertTrue(same("$2i$", "$(1+i)^2$"), "i is the imaginary unit");
            assertTrue(same("$-1$", "$i^2$"));
            assertTrue(same("$-i$", "$\\frac{1}{i}$"));
            assertFalse(same("$i$", "$-i$"));
            assertFalse(same("$\\infty$", "$-\\infty$"));
        }

        @Test
        void settingsAreValidated() {
            assertThrows(IllegalArgumentException.class, () -> MathVerifier.DEFAULT.withFloatRounding(-1));
        }
    }
}
