package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shapes the parser builds from LaTeX answers. */
class LatexParserTest {
    static Expr num(long n) {
        return new Expr.Num(Rational.of(n, 1));
    }

    @Test
    void relations() {
        Expr.Rel lt = new Expr.Rel("<", new Expr.Sym("y"), num(2));
        assertEquals(lt, LatexParser.parse("y < 2"));
        assertEquals(new Expr.Rel("!=", new Expr.Sym("y"), num(2)), LatexParser.parse("y != 2"));
        assertEquals(new Expr.Rel(">=", new Expr.Sym("y"), num(2)), LatexParser.parse("y \\geq 2"));
        Expr chain = LatexParser.parse("0 < y \\le 2");
        assertTrue(chain instanceof Expr.And a && a.rels().size() == 2 && a.rels().get(1).op().equals("<="), String.valueOf(chain));
        assertEquals(new Expr.Rel("=", new Expr.Sym("y"), LatexParser.parse("\\{1,2\\}")), LatexParser.parse("y \\in \\{1,2\\}"));
        assertEquals(num(3), LatexParser.parse("y \\approx 3"));
    }

    @Test
    void matrices() {
        Expr m = LatexParser.parse("\\begin{pmatrix} 1 & 2 & 3 \\\\ 4 & 5 & 6 \\end{pmatrix}");
        assertTrue(m instanceof Expr.Matrix x && x.rows() == 2 && x.cols() == 3, String.valueOf(m));
        assertNull(LatexParser.parse("\\begin{pmatrix} 1 & 2 \\\\ 3 \\end{pmatrix}"), "ragged");
    }

    @Test
    void numbers() {
        assertEquals(num(1234567), LatexParser.parse("1,234,567"));
        assertTrue(LatexParser.parse("(1,234)") instanceof Expr.Interval, "a pair, not 1234");
        assertEquals(new Expr.Num(Rational.of(5, 2), true), LatexParser.parse("2.5"));
        assertEquals(new Expr.Percent(num(40)), LatexParser.parse("40\\%"));
        assertEquals(num(1011), LatexParser.parse("1011_2"));
        assertEquals(Rational.of(3, 4), Expr.exact(LatexParser.parse("3:4")));
        assertEquals(Rational.of(-3, 1), Expr.exact(LatexParser.parse("\\lfloor -\\frac{5}{2} \\rfloor")));
        assertEquals(Rational.of(3, 1), Expr.exact(LatexParser.parse("\\lceil \\frac{5}{2} \\rceil")));
    }

    @Test
    void listsAndGroups() {
        assertEquals(new Expr.SetOf(List.of(num(1), num(2))), LatexParser.parse("1, 2"));
        Expr grouped = LatexParser.parse("1,2; 3,4");
        assertEquals(new Expr.SetOf(List.of(new Expr.Tuple(List.of(num(1), num(2))), new Expr.Tuple(List.of(num(3), num(4))))), grouped);
        assertTrue(LatexParser.parse("(1,2,3)") instanceof Expr.Tuple);
        assertTrue(LatexParser.parse("[1,2]") instanceof Expr.Interval);
        assertTrue(LatexParser.parse("[0,1) \\cup (2,3]") instanceof Expr.Union);
    }
}
