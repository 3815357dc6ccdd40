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
        relation = collapse(relation);
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

    /** {@code f(x)} reads as the product f·x; as the unknown of a relation it is one variable, as sympy's unwrap makes it. */
    private static Expr collapse(Expr e) {
        return switch (e) {
            case Expr.Mul m when m.factors().stream().allMatch(f -> f instanceof Expr.Sym) -> {
                StringBuilder name = new StringBuilder();
                for (Expr f : m.factors()) name.append(((Expr.Sym) f).name()).append('_');
                yield new Expr.Sym(name.toString());
            }
            case Expr.Rel r -> new Expr.Rel(r.op(), collapse(r.lhs()), collapse(r.rhs()));
            case Expr.And a -> new Expr.And(a.rels().stream().map(r -> (Expr.Rel) collapse(r)).toList());
            default -> e;
        };
    }

    private static final double[] PROBES = {0, 0.5, 1, 2, 3.7, 10, 123.4, 1e6};

    /**
     * Whether a relation in one variable holds exactly on {@code set} ({@code 1 \le |z| \le 3/2} against
     * {@code [-3/2, -1] \cup [1, 3/2]}), checked at the set's ends, just inside and outside them, and at fixed probes.
     * Stands in for sympy's {@code as_set} where solving would be needed.
     */
    static boolean describes(Expr relation, Expr set) {
        Expr rel = collapse(relation);
        java.util.Set<String> vars = Expr.symbols(rel);
        List<Span> spans = spans(set);
        if (vars.size() != 1 || spans == null) return false;
        String x = vars.iterator().next();
        List<Double> points = new ArrayList<>();
        for (Span s : spans) {
            for (double end : new double[] {s.lo(), s.hi()}) {
                if (Double.isInfinite(end)) continue;
                double d = 1e-7 * Math.max(1, Math.abs(end));
                points.add(end);
                points.add(end - d);
                points.add(end + d);
            }
            if (Double.isFinite(s.lo()) && Double.isFinite(s.hi())) points.add((s.lo() + s.hi()) / 2);
        }
        for (double p : PROBES) {
            points.add(p);
            points.add(-p);
        }
        for (double p : points) {
            Budget.check();
            if (holds(rel, Map.of(x, p)) != contains(spans, p)) return false;
        }
        return true;
    }

    private static boolean holds(Expr rel, Map<String, Double> env) {
        if (rel instanceof Expr.And a) {
            for (Expr.Rel r : a.rels()) if (!holds(r, env)) return false;
            return true;
        }
        if (!(rel instanceof Expr.Rel r)) return false;
        double a = Expr.eval(r.lhs(), env), b = Expr.eval(r.rhs(), env);
        if (Double.isNaN(a) || Double.isNaN(b)) return false;
        double tol = 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
        return switch (r.op()) {
            case "<" -> a < b - tol;
            case "<=" -> a <= b + tol;
            case ">" -> a > b + tol;
            case ">=" -> a >= b - tol;
            case "=" -> Math.abs(a - b) <= tol;
            default -> Math.abs(a - b) > tol;
        };
    }

    private static boolean contains(List<Span> spans, double x) {
        for (Span s : spans) {
            if ((x > s.lo() && x < s.hi()) || (x == s.lo() && !s.loOpen()) || (x == s.hi() && !s.hiOpen())) return true;
        }
        return false;
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
