package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.List;

/**
 * Matrix arithmetic on parsed answers, so that {@code A + B} or {@code A B} written with explicit matrices compares
 * with the matrix it equals (sympy evaluates these before Math-Verify compares them).
 *
 * <pre>{@code Matrices.value(LatexParser.parse("2\\begin{pmatrix}1\\\\2\\end{pmatrix}")) // Matrix 2×1 of 2·1, 2·2}</pre>
 */
final class Matrices {
    private Matrices() {}

    /** The matrix {@code e} evaluates to, or null when it is no matrix expression (or shapes do not fit). */
    static Expr.Matrix value(Expr e) {
        Budget.check();
        return switch (e) {
            case Expr.Matrix m -> m;
            case Expr.Add a -> sum(a.terms());
            case Expr.Mul m -> product(m.factors());
            case Expr.Pow p -> power(p);
            default -> null;
        };
    }

    private static boolean hasMatrix(Expr e) {
        return switch (e) {
            case Expr.Matrix m -> true;
            case Expr.Add a -> a.terms().stream().anyMatch(Matrices::hasMatrix);
            case Expr.Mul m -> m.factors().stream().anyMatch(Matrices::hasMatrix);
            case Expr.Pow p -> hasMatrix(p.base());
            default -> false;
        };
    }

    private static Expr.Matrix sum(List<Expr> terms) {
        Expr.Matrix acc = null;
        for (Expr t : terms) {
            Expr.Matrix m = value(t);
            if (m == null) return null;
            if (acc == null) {
                acc = m;
                continue;
            }
            if (acc.rows() != m.rows() || acc.cols() != m.cols()) return null;
            List<Expr> cells = new ArrayList<>(m.cells().size());
            for (int i = 0; i < m.cells().size(); i++) cells.add(new Expr.Add(List.of(acc.cells().get(i), m.cells().get(i))));
            acc = new Expr.Matrix(m.rows(), m.cols(), cells);
        }
        return acc;
    }

    private static Expr.Matrix product(List<Expr> factors) {
        if (!hasMatrix(new Expr.Mul(factors))) return null;
        Expr.Matrix acc = null;
        List<Expr> scalars = new ArrayList<>();
        for (Expr f : factors) {
            if (!hasMatrix(f)) {
                scalars.add(f);
                continue;
            }
            Expr.Matrix m = value(f);
            if (m == null) return null;
            acc = acc == null ? m : multiply(acc, m);
            if (acc == null) return null;
        }
        if (acc == null) return null;
        if (scalars.isEmpty()) return acc;
        Expr k = scalars.size() == 1 ? scalars.getFirst() : new Expr.Mul(List.copyOf(scalars));
        List<Expr> cells = new ArrayList<>();
        for (Expr c : acc.cells()) cells.add(new Expr.Mul(List.of(k, c)));
        return new Expr.Matrix(acc.rows(), acc.cols(), cells);
    }

    private static Expr.Matrix multiply(Expr.Matrix a, Expr.Matrix b) {
        if (a.cols() != b.rows() || (long) a.rows() * b.cols() * a.cols() > 10_000) return null;
        List<Expr> cells = new ArrayList<>();
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.cols(); j++) {
                List<Expr> terms = new ArrayList<>();
                for (int k = 0; k < a.cols(); k++)
                    terms.add(new Expr.Mul(List.of(a.cells().get(i * a.cols() + k), b.cells().get(k * b.cols() + j))));
                cells.add(terms.size() == 1 ? terms.getFirst() : new Expr.Add(terms));
            }
        }
        return new Expr.Matrix(a.rows(), b.cols(), cells);
    }

    private static Expr.Matrix power(Expr.Pow p) {
        if (!hasMatrix(p.base())) return null;
        Rational n = Expr.exact(p.exponent());
        Expr.Matrix base = value(p.base());
        if (base == null || n == null || !n.isInteger() || n.signum() <= 0 || n.num().bitLength() > 4) return null;
        Expr.Matrix acc = base;
        for (int i = 1; i < n.num().intValue() && acc != null; i++) acc = multiply(acc, base);
        return acc;
    }
}
