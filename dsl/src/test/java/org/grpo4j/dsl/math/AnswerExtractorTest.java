package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.grpo4j.dsl.math.AnswerExtractor.Candidate;
import org.grpo4j.dsl.math.AnswerExtractor.Config;
import org.junit.jupiter.api.Test;

/** Which answer the extractor finds, under Math-Verify's priorities and open-r1's configurations. */
class AnswerExtractorTest {
    static Expr first(String text, Config c) {
        List<Candidate> found = AnswerExtractor.extract(text, c);
        return found.isEmpty() ? null : found.getFirst().expr();
    }

    static Expr num(long n) {
        return new Expr.Num(Rational.of(n, 1));
    }

    @Test
    void latexEnvironmentsOfEveryKind() {
        for (String t : List.of("so $21$", "so $$21$$", "so \\[21\\]", "so \\(21\\)", "so [ 21 ] here", "so \\boxed{21}"))
            assertEquals(num(21), first(t, Config.DEFAULT), t);
        assertNull(first("so $\n21\n$", new Config(List.of(new AnswerExtractor.Latex(true, 50, LatexNormaliser.DEFAULT)), false)),
                "inline $ does not span lines");
    }

    @Test
    void priorities() {
        assertEquals(num(3), first("$1$ then \\boxed{3} then $5$", Config.OPEN_R1_COMPLETION), "box first for open-r1");
        assertEquals(num(3), first("$1$ then \\boxed{3} then the answer is $5$", Config.DEFAULT), "a box (50) beats an answer word (200)");
        assertEquals(num(2), first("The final answer is $2$. I hope it is correct. \\boxed{9}", Config.DEFAULT), "priority 0 beats a box");
        assertNull(first("we get $4$", Config.OPEN_R1_COMPLETION), "no anchor: nothing for open-r1");
        assertEquals(num(4), first("Answer: we get $4$", Config.OPEN_R1_COMPLETION));
    }

    @Test
    void environmentsJoinedByAndFormOneSet() {
        Expr e = first("the solutions are $2$, $3$ and $5$", Config.DEFAULT);
        assertTrue(e instanceof Expr.SetOf s && s.items().size() == 3, String.valueOf(e));
    }

    @Test
    void percentAfterAnEnvironment() {
        assertEquals(new Expr.Percent(num(15)), first("a rise of $15$ percent", Config.DEFAULT));
    }

    @Test
    void plainNumbers() {
        Config plain = new Config(List.of(new AnswerExtractor.Plain(true)), false);
        assertEquals(num(1234567), first("total 1,234,567 units", plain));
        assertEquals(new Expr.Num(Rational.of(2505, 100), true), first("it costs $25.05 now", plain));
        assertEquals(new Expr.Num(Rational.of(325, 100), true), first("soit 3,25 euros", plain));
        assertEquals(num(72), first("48+24 = 72 clips\n#### 72", Config.ANSWER), "GSM8K marks, an extension");
        assertEquals(num(7), first("<think>6+1</think><answer>7</answer>", Config.ANSWER), "a number alone in an answer tag");
        assertNull(first("48+24 = 72 clips", Config.ANSWER), "no anchor");
    }

    @Test
    void bareGoldIsReadWhole() {
        assertEquals(LatexParser.parse("x^2 - 1"), first("x^2 - 1", Config.GOLD));
        assertEquals(num(2), first("2x + 2", Config.OPEN_R1_GOLD), "open-r1 finds only the number");
        assertTrue(AnswerExtractor.extract("\\sqrt{8}", Config.OPEN_R1_GOLD).isEmpty(), "open-r1 finds nothing");
        assertEquals(num(72), first("Natalia sold 48+24 = 72 clips.\n#### 72", Config.GOLD), "prose falls back to extraction");
        assertEquals(new Expr.Sym("evelyn"), first("Evelyn", Config.GOLD), "a bare word answer is the answer");
        assertTrue(AnswerExtractor.extract("Evelyn", Config.OPEN_R1_GOLD).isEmpty(), "open-r1 finds nothing");
    }

    @Test
    void fallbackTextIsKeptWhenNothingParses() {
        List<Candidate> c = AnswerExtractor.extract("so $\\unknowncommand{7}$", Config.DEFAULT);
        assertTrue(c.stream().anyMatch(x -> x.expr() == null && x.text().contains("unknowncommand")), String.valueOf(c));
    }
}
