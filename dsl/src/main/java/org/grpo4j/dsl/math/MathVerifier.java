package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Decides whether a completion's final answer equals a gold answer, the way open-r1's {@code accuracy_reward}
 * does with math_verify: extract (strictly for the completion, leniently for the gold), normalise, then compare
 * <ul>
 *   <li>exactly, as rationals, when both sides are rational constants ({@code 0.5} = {@code \frac{2}{4}},
 *       {@code 0.333} ≠ {@code 1/3});</li>
 *   <li>in floating point within {@link #relTol} when either side is irrational ({@code 2\sqrt{2}} =
 *       {@code \sqrt{8}}, {@code 3.14} ≠ {@code \pi});</li>
 *   <li>by evaluation at {@link #points} seeded random points of both signs when there are variables
 *       ({@code 2(x+1)} = {@code 2x+2}, {@code |x|} ≠ {@code x}); points outside either side's domain are
 *       skipped, and at least two must agree;</li>
 *   <li>element-wise for tuples and intervals, order-free for sets and lists of several answers.</li>
 * </ul>
 * Never throws: malformed input gives 0.0 (or NaN for an unreadable gold answer).
 *
 * <pre>{@code MathVerifier.DEFAULT.verify("The answer is \\boxed{\\frac{1}{2}}", "0.5") // 1.0}</pre>
 *
 * @param relTol relative tolerance for irrational values and for evaluation at random points
 * @param points how many random points an algebraic comparison uses
 * @param seed   seed of those points, so that a verdict never changes between runs
 */
public record MathVerifier(double relTol, int points, long seed) {
    public static final MathVerifier DEFAULT = new MathVerifier(1e-9, 6, 0x6772706f346aL);

    public MathVerifier {
        if (!(relTol >= 0)) throw new IllegalArgumentException("relTol must be >= 0, got " + relTol);
        if (points < 1) throw new IllegalArgumentException("points must be >= 1, got " + points);
    }

    /** The gold answer parsed leniently, or null when it cannot be read (the sample is then not applicable). */
    public static Expr parseGold(String gold) {
        String s = AnswerExtractor.fromGold(gold);
        Expr e = s == null ? null : LatexParser.parse(s);
        if (e == null && gold != null && !gold.equals(s)) e = LatexParser.parse(gold);
        return e;
    }

    /** The completion's answer, or null when it has none behind an anchor or it does not parse. */
    public static Expr parseCompletion(String completion) {
        String s = AnswerExtractor.fromCompletion(completion);
        return s == null ? null : LatexParser.parse(s);
    }

    /** 1.0 when {@code completion} states an answer equivalent to {@code gold}, 0.0 when not, NaN when the gold is unreadable. */
    public double verify(String completion, String gold) {
        Expr g;
        try {
            g = parseGold(gold);
        } catch (RuntimeException | StackOverflowError e) {
            return Double.NaN;
        }
        if (g == null) return Double.NaN;
        try {
            Expr a = parseCompletion(completion);
            return a != null && equivalent(a, g) ? 1.0 : 0.0;
        } catch (RuntimeException | StackOverflowError e) {
            return 0.0;
        }
    }

    /** Whether two parsed answers are mathematically the same. */
    public boolean equivalent(Expr a, Expr b) {
        a = unwrap(a);
        b = unwrap(b);
        if (a instanceof Expr.SetOf sa && b instanceof Expr.SetOf sb) return sameMultiset(sa.items(), sb.items());
        if (a instanceof Expr.SetOf sa && b instanceof Expr.Tuple tb) return sameMultiset(sa.items(), tb.items());
        if (a instanceof Expr.Tuple ta && b instanceof Expr.SetOf sb) return sameMultiset(ta.items(), sb.items());
        if (a instanceof Expr.Tuple ta && b instanceof Expr.Tuple tb) return sameList(ta.items(), tb.items());
        if (a instanceof Expr.Union ua && b instanceof Expr.Union ub) return sameMultiset(ua.parts(), ub.parts());
        if (a instanceof Expr.Interval ia && b instanceof Expr.Interval ib)
            return ia.loOpen() == ib.loOpen() && ia.hiOpen() == ib.hiOpen() && scalarEq(ia.lo(), ib.lo()) && scalarEq(ia.hi(), ib.hi());
        // (1, 2) is both an ordered pair and an open interval
        if (a instanceof Expr.Interval ia && b instanceof Expr.Tuple tb) return openPair(ia, tb);
        if (a instanceof Expr.Tuple ta && b instanceof Expr.Interval ib) return openPair(ib, ta);
        if (a instanceof Expr.Eq ea && b instanceof Expr.Eq eb) return equationEq(ea, eb);
        if (isScalar(a) && isScalar(b)) return scalarEq(a, b);
        return false;
    }

    private boolean openPair(Expr.Interval i, Expr.Tuple t) {
        return i.loOpen() && i.hiOpen() && t.items().size() == 2 && scalarEq(i.lo(), t.items().get(0)) && scalarEq(i.hi(), t.items().get(1));
    }

    /** {@code x = 3} is the answer 3; one-element sets are their element. */
    private static Expr unwrap(Expr e) {
        for (int guard = 0; guard < 8; guard++) {
            if (e instanceof Expr.Eq q && q.lhs() instanceof Expr.Sym) e = q.rhs();
            else if (e instanceof Expr.SetOf s && s.items().size() == 1) e = s.items().getFirst();
            else if (e instanceof Expr.SetOf s && allSymbolEquations(s.items())) {
                // "x = 1, y = 2": the values in order
                List<Expr> vals = new ArrayList<>();
                for (Expr it : s.items()) vals.add(((Expr.Eq) it).rhs());
                e = new Expr.Tuple(vals);
            } else break;
        }
        return e;
    }

    private static boolean allSymbolEquations(List<Expr> items) {
        Set<String> names = new java.util.HashSet<>();
        for (Expr it : items)
            if (!(it instanceof Expr.Eq q && q.lhs() instanceof Expr.Sym s && names.add(s.name()))) return false;
        return items.size() > 1;
    }

    private static boolean isScalar(Expr e) {
        return switch (e) {
            case Expr.Num n -> true;
            case Expr.Sym s -> true;
            case Expr.Const c -> true;
            case Expr.Add a -> true;
            case Expr.Mul m -> true;
            case Expr.Pow p -> true;
            case Expr.Func f -> true;
            default -> false;
        };
    }

    private boolean sameList(List<Expr> a, List<Expr> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!equivalent(a.get(i), b.get(i))) return false;
        return true;
    }

    private boolean sameMultiset(List<Expr> a, List<Expr> b) {
        if (a.size() != b.size()) return false;
        boolean[] used = new boolean[b.size()];
        outer:
        for (Expr x : a) {
            for (int j = 0; j < b.size(); j++) {
                if (!used[j] && equivalent(x, b.get(j))) {
                    used[j] = true;
                    continue outer;
                }
            }
            return false;
        }
        return true;
    }

    private boolean equationEq(Expr.Eq a, Expr.Eq b) {
        // same equation up to a non-zero factor: compare lhs - rhs, allowing a sign flip
        Expr da = new Expr.Add(List.of(a.lhs(), Expr.neg(a.rhs())));
        Expr db = new Expr.Add(List.of(b.lhs(), Expr.neg(b.rhs())));
        return (scalarEq(a.lhs(), b.lhs()) && scalarEq(a.rhs(), b.rhs())) || scalarEq(da, db) || scalarEq(da, Expr.neg(db));
    }

    /** Equality of two scalar expressions: exact, then numeric, then at random points. */
    boolean scalarEq(Expr a, Expr b) {
        if (a.equals(b)) return true;
        if (!isScalar(a) || !isScalar(b)) return false;
        Rational ra = Expr.exact(a), rb = Expr.exact(b);
        if (ra != null && rb != null) return ra.equals(rb);
        Set<String> sa = Expr.symbols(a), sb = Expr.symbols(b);
        if (!sa.equals(sb)) return false;
        if (sa.isEmpty()) return close(Expr.eval(a, Map.of()), Expr.eval(b, Map.of()));
        // points of both signs, so that |x| and x differ; a point outside either side's domain (sqrt of a
        // negative, log of zero) says nothing and is skipped, so \sqrt{x}^2 still equals x
        SplittableRandom rnd = new SplittableRandom(seed);
        int agreed = 0;
        for (int attempt = 0; attempt < points * 4 && agreed < points; attempt++) {
            Map<String, Double> env = new HashMap<>();
            for (String s : sa) env.put(s, (rnd.nextBoolean() ? 1 : -1) * (0.3 + 2.2 * rnd.nextDouble()));
            double va = Expr.eval(a, env), vb = Expr.eval(b, env);
            if (!Double.isFinite(va) || !Double.isFinite(vb)) continue;
            if (!close(va, vb)) return false;
            agreed++;
        }
        return agreed >= Math.min(2, points);
    }

    private boolean close(double x, double y) {
        if (Double.isNaN(x) || Double.isNaN(y)) return false;
        if (Double.isInfinite(x) || Double.isInfinite(y)) return x == y;
        double scale = Math.max(Math.abs(x), Math.abs(y));
        return Math.abs(x - y) <= relTol * Math.max(scale, 1e-12) || Math.abs(x - y) < 1e-14;
    }
}
