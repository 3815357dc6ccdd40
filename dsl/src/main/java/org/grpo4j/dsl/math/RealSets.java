package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Subsets of the real line with constant ends, for comparing {@code (-\infty, 1) \cup (2, \infty)} with
 * {@code x < 1 \text{ or } x > 2}-style answers: a one-variable relation as a set, and two unions compared by the
 * reals they cover (Math-Verify: an empty symmetric difference).
 *
 * <pre>{@code RealSets.asSet(LatexParser.parse("1 < x \\le 2")) // Interval[1, 2, loOpen=true, hiOpen=false]}</pre>
 */
final class RealSets {
    private RealSets() {}

    private static final Expr MINUS_INF = Expr.neg(Expr.Const.INFINITY);

    /** The set a relation in one variable describes ({@code x < 2}, {@code 1 \le x < 3}, {@code x \ne 0}), or null. */
    static Expr asSet(Expr relation) {
        if (relation instanceof Expr.Rel r) return single(r);
        if (relation instanceof Expr.And a && a.rels().size() == 2) {
            Expr.Rel left = a.rels().get(0), right = a.rels().get(1);
            if (!(left.rhs() instanceof Expr.Sym) || !Expr.symbols(left.lhs()).isEmpty() || !Expr.symbols(right.rhs()).isEmpty()) return null;
            boolean up = left.op().startsWith("<") && right.op().startsWith("<");
            boolean down = left.op().startsWith(">") && right.op().startsWith(">");
            if (up) return new Expr.Interval(left.lhs(), right.rhs(), left.op().equals("<"), right.op().equals("<"));
            if (down) return new Expr.Interval(right.rhs(), left.lhs(), right.op().equals(">"), left.op().equals(">"));
        }
        return null;
    }

    private static Expr single(Expr.Rel r) {
        String op = r.op();
        Expr value;
        if (r.lhs() instanceof Expr.Sym && Expr.symbols(r.rhs()).isEmpty()) {
            value = r.rhs();
        } else if (r.rhs() instanceof Expr.Sym && Expr.symbols(r.lhs()).isEmpty()) {
            value = r.lhs();
            op = switch (op) {
                case "<" -> ">";
                case ">" -> "<";
                case "<=" -> ">=";
                case ">=" -> "<=";
                default -> op;
            };
        } else {
            return null;
        }
        return switch (op) {
            case "<" -> new Expr.Interval(MINUS_INF, value, true, true);
            case "<=" -> new Expr.Interval(MINUS_INF, value, true, false);
            case ">" -> new Expr.Interval(value, Expr.Const.INFINITY, true, true);
            case ">=" -> new Expr.Interval(value, Expr.Const.INFINITY, false, true);
            case "=" -> new Expr.SetOf(List.of(value));
            default -> new Expr.Union(List.of(new Expr.Interval(MINUS_INF, value, true, true),
                    new Expr.Interval(value, Expr.Const.INFINITY, true, true)));
        };
    }

    private record Span(double lo, double hi, boolean loOpen, boolean hiOpen) {}

    /** Whether two sets of reals with constant ends are the same set; false when either has a symbolic end. */
    static boolean sameReals(Expr a, Expr b, MathVerifier v) {
        List<Span> x = spans(a), y = spans(b);
        if (x == null || y == null || x.size() != y.size()) return false;
        for (int i = 0; i < x.size(); i++) {
            Span p = x.get(i), q = y.get(i);
            if (p.loOpen() != q.loOpen() || p.hiOpen() != q.hiOpen() || !same(p.lo(), q.lo()) || !same(p.hi(), q.hi())) return false;
        }
        return true;
    }

    private static boolean same(double x, double y) {
        if (Double.isInfinite(x) || Double.isInfinite(y)) return x == y;
        return Math.abs(x - y) <= 1e-12 * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
    }

    private static List<Span> spans(Expr e) {
        List<Span> raw = new ArrayList<>();
        if (!collect(e, raw)) return null;
        raw.sort(Comparator.comparingDouble(Span::lo).thenComparing(s -> s.loOpen() ? 1 : 0));
        List<Span> out = new ArrayList<>();
        for (Span s : raw) {
            if (s.lo() > s.hi() || (s.lo() == s.hi() && (s.loOpen() || s.hiOpen()))) continue; // empty
            if (!out.isEmpty()) {
                Span last = out.getLast();
                boolean touches = s.lo() < last.hi() || (same(s.lo(), last.hi()) && (!s.loOpen() || !last.hiOpen()));
                if (touches) {
                    boolean extends_ = s.hi() > last.hi() || (same(s.hi(), last.hi()) && !s.hiOpen());
                    if (extends_) out.set(out.size() - 1, new Span(last.lo(), s.hi(), last.loOpen(), s.hiOpen()));
                    continue;
                }
            }
            out.add(s);
        }
        return out;
    }

    private static boolean collect(Expr e, List<Span> out) {
        switch (e) {
            case Expr.Interval i -> {
                double lo = Expr.eval(i.lo(), Map.of()), hi = Expr.eval(i.hi(), Map.of());
                if (Double.isNaN(lo) || Double.isNaN(hi)) return false;
                out.add(new Span(lo, hi, i.loOpen() || Double.isInfinite(lo), i.hiOpen() || Double.isInfinite(hi)));
                return true;
            }
            case Expr.SetOf s -> {
                for (Expr x : s.items()) {
                    double v = Expr.eval(x, Map.of());
                    if (!Double.isFinite(v)) return false;
                    out.add(new Span(v, v, false, false));
                }
                return true;
            }
            case Expr.Union u -> {
                for (Expr p : u.parts()) if (!collect(p, out)) return false;
                return true;
            }
            default -> {
                return false;
            }
        }
    }
}
