package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Math-Verify's normalisation switches, one behaviour each. */
class LatexNormaliserTest {
    @Test
    void boxedContents() {
        assertEquals("1,2", LatexNormaliser.boxedContent("\\boxed{1}, \\boxed{2}", true));
        assertEquals("4", LatexNormaliser.boxedContent("\\boxed{3} was my first thought but much later I found \\boxed{4}", true));
        assertEquals("3,4", LatexNormaliser.boxedContent("\\boxed{3} was my first thought but much later I found \\boxed{4}", false));
        assertEquals("3,4", LatexNormaliser.boxedContent("\\boxed{3} is what I first thought; later I found \\boxed{4}", true),
                "a separator within 70 characters joins them");
        assertEquals("\\frac{1}{2}", LatexNormaliser.boxedContent("\\boxed{\\frac{1}{2}}", true));
        assertEquals("7", LatexNormaliser.boxedContent("\\fbox{7}", true));
    }

    @Test
    void basicClean() {
        assertEquals("(\\frac{1}{2})", LatexNormaliser.basic("\\left(\\dfrac{1}{2}\\right)"));
        assertEquals("1, 2", LatexNormaliser.basic("1 and 2"));
        assertEquals("12,13", LatexNormaliser.basic("12\\text{ and }13"));
        assertEquals("\\frac{1}{2}", LatexNormaliser.basic("\\\\frac{1}{2}"), "JSON-doubled backslash");
        assertEquals("50\\%", LatexNormaliser.basic("50 percent"));
        assertEquals("(0,\\infty)", LatexNormaliser.basic("(0,inf)"));
    }

    @Test
    void unitsAndNits() {
        assertEquals("15", LatexNormaliser.DEFAULT.apply("15\\mbox{ cm}^2"));
        assertEquals("125", LatexNormaliser.DEFAULT.apply("125 miles"));
        assertEquals("\\text{Evelyn}", LatexNormaliser.DEFAULT.apply("\\text{Evelyn}"), "a text answer is not a unit");
        assertEquals(".5", LatexNormaliser.OPEN_R1.apply(".5"), "no nits for open-r1");
        assertEquals("\\frac{1}{2}", LatexNormaliser.DEFAULT.apply(".5"));
    }

    @Test
    void malformedOperatorsOnlyWhenAsked() {
        assertEquals("\\frac{1}{3}", LatexNormaliser.DEFAULT.apply("\\frac13"));
        assertEquals("\\sqrt{3}", LatexNormaliser.DEFAULT.apply("\\sqrt3"));
        assertEquals("\\frac13", LatexNormaliser.OPEN_R1.apply("\\frac13"));
    }

    @Test
    void equationsKeepTheLastSide() {
        assertEquals("10", LatexNormaliser.OPEN_R1.apply("4+6 = 5+5 = 10"));
        assertEquals("x=1, y=2", LatexNormaliser.OPEN_R1.apply("x=1, y=2"), "not with a comma");
    }
}
