package org.grpo4j.dsl.math;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.grpo4j.dsl.math.AnswerExtractor.Candidate;
import org.grpo4j.dsl.math.AnswerExtractor.Config;

/**
 * Decides whether an answer equals a gold answer with Math-Verify's semantics, the library open-r1's
 * {@code accuracy_reward} calls. {@link #verify(String, String)} is that reward's pipeline: the gold is read with
 * {@link #gold}, the completion with {@link #answers}; an unreadable gold gives NaN.
 * The comparison, like Math-Verify's {@code verify(gold, answer)}, is not symmetric:
 * <ul>
 *   <li>a decimal on either side ({@code 0.333333}) is compared after rounding both sides to
 *       {@link #floatRounding} places; two exact values ({@code \frac{2}{4}}, {@code 0.5} is not exact) exactly;
 *       other expressions numerically and, with variables, at seeded random points ({@code 2(x+1)} = {@code 2x+2});</li>
 *   <li>an assignment ({@code x = 3}, {@code (p,q) = (3,2)}, {@code f(x) = 1}) in the gold or the answer stands for
 *       its value when the other side is no equation; a chain {@code a = b = 101} in the answer stands for its last
 *       value; two equations are equal up to a non-zero factor, two inequalities up to a positive one (flipped
 *       sides count);</li>
 *   <li>finite sets compare order-free (duplicates collapse), tuples in order, a set gold against a tuple answer
 *       order-free, a tuple gold against a set answer in written order; intervals by ends and openness; an open
 *       interval and a pair compare as pairs; unions of intervals and sets by the set of reals they cover;</li>
 *   <li>a relation in the gold ({@code x < 2}) matches a set answer ({@code (-\infty, 2)}), the other way round only
 *       with {@link #allowSetRelationComp};</li>
 *   <li>matrices element by element; two unparsed answers by their normalised text.</li>
 * </ul>
 * Every call is bounded by {@link #timeoutMillis}: past it, or on anything it cannot read, the verdict is 0.
 *
 * <pre>{@code MathVerifier.DEFAULT.verify("The answer is \\boxed{\\frac{1}{2}}", "0.5") // 1.0}</pre>
 *
 * @param floatRounding        decimal places decimals are rounded to before comparing (Math-Verify: 6)
 * @param numericPrecision     significant digits two evaluated expressions must share (Math-Verify: 15; doubles
 *                             give at most 12 here)
 * @param strict               false: variables are matched by position ({@code x+1} = {@code y+1})
 * @param allowSetRelationComp also compare a relation answer with a set gold ({@code 1 < x < 2} for {@code (1,2)})
 * @param timeoutMillis        time one {@link #verify(String, String)} may take
 * @param gold                 how the gold answer is read
 * @param answers              how a completion's answer is found
 */
public record MathVerifier(int floatRounding, int numericPrecision, boolean strict, boolean allowSetRelationComp, long timeoutMillis,
                           Config gold, Config answers) {
    /**
     * The accuracy reward's verifier: open-r1's, except that a plain number after the word "answer"
     * ({@code <answer>42</answer>}, "The answer is 3.5.") also counts, where open-r1 reads LaTeX only and scores it 0.
     */
    public static final MathVerifier DEFAULT = new MathVerifier(6, 15, true, false, 1000, Config.GOLD, Config.ANSWER);
    /** Exactly open-r1's {@code accuracy_reward}: the completion's answer must be LaTeX ({@code $42$}, {@code \boxed{42}}). */
    public static final MathVerifier OPEN_R1 = new MathVerifier(6, 15, true, false, 1000, Config.OPEN_R1_GOLD, Config.OPEN_R1_COMPLETION);

    private static final int POINTS = 6;
    private static final long SEED = 0x6772706f346aL;

    public MathVerifier {
        if (floatRounding < 0 || floatRounding > 30) throw new IllegalArgumentException("float_rounding must be in [0, 30], got " + floatRounding);
        if (numericPrecision < 1) throw new IllegalArgumentException("numeric_precision must be >= 1, got " + numericPrecision);
        if (timeoutMillis < 1) throw new IllegalArgumentException("timeout must be >= 1 ms, got " + timeoutMillis);
        java.util.Objects.requireNonNull(gold, "gold");
        java.util.Objects.requireNonNull(answers, "answers");
    }

    public MathVerifier withFloatRounding(int digits) {
        return new MathVerifier(digits, numericPrecision, strict, allowSetRelationComp, timeoutMillis, gold, answers);
    }

    public MathVerifier withStrict(boolean s) {
        return new MathVerifier(floatRounding, numericPrecision, s, allowSetRelationComp, timeoutMillis, gold, answers);
    }

    public MathVerifier withSetRelationComp(boolean allow) {
        return new MathVerifier(floatRounding, numericPrecision, strict, allow, timeoutMillis, gold, answers);
    }

    // ------------------------------------------------------------------------------------------ entry points

    /** Compiles what this verifier's extraction needs, so that a time-limited training loop does not pay for it. */
    public MathVerifier prepared() {
        AnswerExtractor.prepare(gold);
        AnswerExtractor.prepare(answers);
        return this;
    }

    /** The gold answer as {@link #DEFAULT} reads it, or null when it cannot be read (the sample is then not applicable). */
    public static Expr parseGold(String gold) {
        List<Candidate> c = parse(gold, Config.GOLD, 1000);
        return c.isEmpty() ? null : c.getFirst().expr();
    }

    /** The completion's answer as {@link #DEFAULT} reads it, or null. */
    public static Expr parseCompletion(String completion) {
        List<Candidate> c = parse(completion, Config.ANSWER, 1000);
        return c.isEmpty() ? null : c.getFirst().expr();
    }

    /** Math-Verify's {@code parse}: the answers found in {@code text} (empty when none), within a time limit. */
    public static List<Candidate> parse(String text, Config config, long timeoutMillis) {
        try {
            return Budget.run(timeoutMillis * 1_000_000L, () -> AnswerExtractor.extract(text, config));
        } catch (RuntimeException | StackOverflowError e) {
            return List.of();
        }
    }

    /** 1.0 when {@code completion} states an answer equivalent to {@code gold}, 0.0 when not, NaN when the gold is unreadable. */
    public double verify(String completion, String goldText) {
        long budget = timeoutMillis * 1_000_000L;
        try {
            return Budget.run(budget, () -> {
                List<Candidate> g = AnswerExtractor.extract(goldText, gold);
                if (g.isEmpty()) return Double.NaN;
                try {
                    List<Candidate> a = AnswerExtractor.extract(completion, answers);
                    return verify(g, a) ? 1.0 : 0.0;
                } catch (RuntimeException | StackOverflowError e) {
                    return 0.0;
                }
            });
        } catch (RuntimeException | StackOverflowError e) {
            // the gold itself could not be read in time: nothing to compare against
            return Double.NaN;
        }
    }

    /** Math-Verify's {@code verify(gold, answer)}: whether any gold candidate matches any answer candidate. */
    public boolean verify(List<Candidate> gold, List<Candidate> answer) {
        for (Candidate g : gold) {
            for (Candidate a : answer) {
                try {
                    if (g.expr() != null && a.expr() != null) {
                        if (Budget.run(timeoutMillis * 1_000_000L, () -> equivalent(g.expr(), a.expr()))) return true;
                    } else if (g.expr() == null && a.expr() == null && g.text() != null && a.text() != null) {
                        String x = g.text().strip(), y = a.text().strip();
                        if (!x.isEmpty() && x.equals(y)) return true;
                    }
                } catch (RuntimeException | StackOverflowError e) {
                    // could not decide in time or at all: this pair does not match
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ comparison

    /** Whether answer {@code pred} equals {@code gold} (not symmetric: see the class comment). */
    public boolean equivalent(Expr gold, Expr pred) {
        Budget.check();
        if (!strict) pred = renameVariables(gold, pred);
        boolean goldAssign = isAssignment(gold), predAssign = isAssignment(pred);
        boolean goldEq = isEquation(gold), predEq = isEquation(pred);
        if (goldAssign) gold = new Expr.Rel("=", first(gold).lhs(), last(gold).rhs());
        if (predAssign) pred = new Expr.Rel("=", first(pred).lhs(), last(pred).rhs());
        if (predEq && !goldEq) pred = last(pred).rhs();
        else if (goldAssign && !predEq) gold = last(gold).rhs();
        if (isRelation(gold) && isSet(pred)) {
            Expr s = RealSets.asSet(gold);
            if (s != null) gold = s;
            else return RealSets.describes(gold, pred);
        }
        if (allowSetRelationComp && isRelation(pred) && isSet(gold)) {
            Expr s = RealSets.asSet(pred);
            if (s != null) pred = s;
            else return RealSets.describes(pred, gold);
        }
        if (gold.equals(pred)) return true;
        if (isRelation(gold) && isRelation(pred)) return relationsEqual(gold, pred);
        if (isSet(gold) || isSet(pred) || gold instanceof Expr.Tuple || pred instanceof Expr.Tuple) return setsEqual(gold, pred);
        if (isRelation(gold) || isRelation(pred)) return false;
        if (gold instanceof Expr.Sym || pred instanceof Expr.Sym) return symbolsEqual(gold, pred);
        Expr.Matrix mg = Matrices.value(gold), mp = Matrices.value(pred);
        if (mg != null && mp != null) return matricesEqual(mg, mp);
        if (mg != null || mp != null) return false;
        return numericEqual(gold, pred) || symbolicEqual(gold, pred);
    }

    private static boolean isSet(Expr e) {
        return e instanceof Expr.SetOf || e instanceof Expr.Interval || e instanceof Expr.Union;
    }

    private static boolean isRelation(Expr e) {
        return e instanceof Expr.Rel || e instanceof Expr.And;
    }

    private static boolean isEquation(Expr e) {
        if (e instanceof Expr.Rel r) return r.op().equals("=");
        if (e instanceof Expr.And a) return a.rels().stream().allMatch(r -> r.op().equals("="));
        return false;
    }

    /** {@code x = 3}, {@code (p, q) = (3, 2)}, {@code f(x) = 1}, {@code k = a = 5}: an equation whose first left side is only symbols. */
    private static boolean isAssignment(Expr e) {
        return isEquation(e) && Expr.onlySymbols(first(e).lhs());
    }

    private static Expr.Rel first(Expr e) {
        return e instanceof Expr.And a ? a.rels().getFirst() : (Expr.Rel) e;
    }

    private static Expr.Rel last(Expr e) {
        return e instanceof Expr.And a ? a.rels().getLast() : (Expr.Rel) e;
    }

    private static Expr renameVariables(Expr gold, Expr pred) {
        List<String> g = new ArrayList<>(Expr.symbols(gold)), p = new ArrayList<>(Expr.symbols(pred));
        if (g.size() != p.size() || g.equals(p)) return pred;
        Map<String, String> to = new HashMap<>();
        for (int i = 0; i < g.size(); i++) to.put(p.get(i), g.get(i));
        return Expr.rename(pred, to);
    }

    // ------------------------------------------------------------------------------------------ relations

    private static final Map<String, String> FLIPPED = Map.of("<", ">", ">", "<", "<=", ">=", ">=", "<=", "=", "=", "!=", "!=");

    private boolean relationsEqual(Expr gold, Expr pred) {
        if (gold instanceof Expr.And ga && pred instanceof Expr.And pa) {
            if (ga.rels().size() != pa.rels().size()) return false;
            for (int i = 0; i < ga.rels().size(); i++) if (!relationsEqual(ga.rels().get(i), pa.rels().get(i))) return false;
            return true;
        }
        if (!(gold instanceof Expr.Rel g) || !(pred instanceof Expr.Rel p)) return false;
        Expr dg = Expr.minus(g.lhs(), g.rhs()), dp = Expr.minus(p.lhs(), p.rhs());
        if (g.op().equals(p.op()) && scalarEqual(dg, dp)) return true;
        if (FLIPPED.get(g.op()).equals(p.op()) && scalarEqual(dg, Expr.minus(p.rhs(), p.lhs()))) return true;
        // what solving both would show: the same relation up to a constant factor (negative flips an inequality)
        double k = constantRatio(dg, dp);
        if (Double.isNaN(k) || k == 0) return false;
        if (g.op().equals("=") || g.op().equals("!=")) return g.op().equals(p.op());
        return k > 0 ? g.op().equals(p.op()) : FLIPPED.get(g.op()).equals(p.op());
    }

    /** c when a = c·b at every sampled point (c ≠ 0), else NaN. */
    private double constantRatio(Expr a, Expr b) {
        Set<String> vars = Expr.symbols(a);
        if (!vars.equals(Expr.symbols(b))) return Double.NaN;
        SplittableRandom rnd = new SplittableRandom(SEED);
        double k = Double.NaN;
        int agreed = 0;
        for (int attempt = 0; attempt < POINTS * 4 && agreed < POINTS; attempt++) {
            Map<String, Double> env = point(vars, rnd);
            double va = Expr.eval(a, env), vb = Expr.eval(b, env);
            if (!Double.isFinite(va) || !Double.isFinite(vb) || Math.abs(vb) < 1e-9) continue;
            double r = va / vb;
            if (Double.isNaN(k)) k = r;
            else if (!close(k, r)) return Double.NaN;
            agreed++;
        }
        return agreed >= 2 || (vars.isEmpty() && agreed >= 1) ? k : Double.NaN;
    }

    // ------------------------------------------------------------------------------------------ sets

    private boolean setsEqual(Expr gold, Expr pred) {
        Expr a = isSet(gold) || gold instanceof Expr.Tuple ? gold : new Expr.SetOf(List.of(gold));
        Expr b = isSet(pred) || pred instanceof Expr.Tuple ? pred : new Expr.SetOf(List.of(pred));
        if (a instanceof Expr.Interval ia && b instanceof Expr.Interval ib)
            return ia.loOpen() == ib.loOpen() && ia.hiOpen() == ib.hiOpen() && equivalent(ia.lo(), ib.lo()) && equivalent(ia.hi(), ib.hi());
        if (a.equals(b)) return true;
        if ((a instanceof Expr.Union || b instanceof Expr.Union) && RealSets.sameReals(a, b, this)) return true;
        if (isList(a) && isList(b)) return listsEqual(a, b);
        if (a instanceof Expr.Interval i && isList(b) && i.loOpen() && i.hiOpen() && items(b).size() == 2)
            return listsEqual(new Expr.Tuple(List.of(i.lo(), i.hi())), b);
        if (b instanceof Expr.Interval i && isList(a) && i.loOpen() && i.hiOpen() && items(a).size() == 2)
            return listsEqual(a, new Expr.Tuple(List.of(i.lo(), i.hi())));
        return false;
    }

    private static boolean isList(Expr e) {
        return e instanceof Expr.SetOf || e instanceof Expr.Tuple;
    }

    private static List<Expr> items(Expr e) {
        return e instanceof Expr.SetOf s ? s.items() : ((Expr.Tuple) e).items();
    }

    /** Math-Verify's set/tuple comparison: sizes (after a set drops duplicates) must agree. */
    private boolean listsEqual(Expr gold, Expr pred) {
        List<Expr> g = gold instanceof Expr.SetOf ? distinct(items(gold)) : items(gold);
        List<Expr> p = pred instanceof Expr.SetOf ? distinct(items(pred)) : items(pred);
        if (g.size() != p.size()) return false;
        if (gold instanceof Expr.SetOf) return sameMultiset(g, p);
        for (int i = 0; i < g.size(); i++) if (!equivalent(g.get(i), p.get(i))) return false;
        return true;
    }

    private List<Expr> distinct(List<Expr> items) {
        List<Expr> out = new ArrayList<>();
        outer:
        for (Expr x : items) {
            Rational rx = Expr.exact(x);
            for (Expr y : out) {
                if (x.equals(y)) continue outer;
                Rational ry = rx == null ? null : Expr.exact(y);
                if (ry != null && rx.equals(ry)) continue outer;
            }
            out.add(x);
        }
        return out;
    }

    private boolean sameMultiset(List<Expr> gold, List<Expr> pred) {
        boolean[] used = new boolean[pred.size()];
        outer:
        for (Expr x : gold) {
            for (int j = 0; j < pred.size(); j++) {
                if (!used[j] && equivalent(x, pred.get(j))) {
                    used[j] = true;
                    continue outer;
                }
            }
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ symbols, matrices

    private boolean symbolsEqual(Expr gold, Expr pred) {
        if (gold instanceof Expr.Sym s && s.name().equalsIgnoreCase("e") && pred == Expr.Const.E) return true;
        if (pred instanceof Expr.Sym s && s.name().equalsIgnoreCase("e") && gold == Expr.Const.E) return true;
        if (gold instanceof Expr.Sym g && pred instanceof Expr.Mul m) return g.name().equalsIgnoreCase(concat(m));
        if (pred instanceof Expr.Sym p && gold instanceof Expr.Mul m) return p.name().equalsIgnoreCase(concat(m));
        if (gold instanceof Expr.Sym g && pred instanceof Expr.Sym p) {
            String a = g.name().length() > 1 ? g.name().toLowerCase(java.util.Locale.ROOT) : g.name();
            String b = p.name().length() > 1 ? p.name().toLowerCase(java.util.Locale.ROOT) : p.name();
            return a.equals(b);
        }
        // sympy compares these as strings of its canonical forms (sqrt(x)**2 prints as x): compare by value
        return scalarEqual(gold, pred);
    }

    /** "ab" read as a·b: the letters again, or null when a factor is no single symbol. */
    private static String concat(Expr.Mul m) {
        StringBuilder sb = new StringBuilder();
        for (Expr f : m.factors()) {
            if (f instanceof Expr.Sym s) sb.append(s.name());
            else if (f == Expr.Const.E) sb.append('e');
            else return "\u0000";
        }
        return sb.toString();
    }

    private boolean matricesEqual(Expr.Matrix a, Expr.Matrix b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
        for (int i = 0; i < a.cells().size(); i++) if (!equivalent(a.cells().get(i), b.cells().get(i))) return false;
        return true;
    }

    // ------------------------------------------------------------------------------------------ numbers

    private static boolean atomicNumber(Expr e) {
        return e instanceof Expr.Num || (e instanceof Expr.Percent p && p.value() instanceof Expr.Num);
    }

    private static boolean atomicDecimal(Expr e) {
        return (e instanceof Expr.Num n && n.decimal()) || (e instanceof Expr.Percent p && p.value() instanceof Expr.Num m && m.decimal());
    }

    /** Math-Verify's numeric equality: rounding when a decimal is involved, exact for two exact values. */
    private boolean numericEqual(Expr a, Expr b) {
        if (atomicNumber(a) || atomicNumber(b)) {
            if (atomicDecimal(a) || atomicDecimal(b)) {
                BigDecimal x = rounded(a), y = rounded(b);
                return x != null && y != null && x.compareTo(y) == 0;
            }
            Rational x = Expr.exact(a), y = Expr.exact(b);
            return x != null && y != null && x.equals(y);
        }
        return scalarEqual(a, b);
    }

    private BigDecimal rounded(Expr e) {
        Rational r = Expr.exact(e);
        if (r != null) return new BigDecimal(r.num()).divide(new BigDecimal(r.den()), new MathContext(40)).setScale(floatRounding, RoundingMode.HALF_EVEN);
        if (!Expr.symbols(e).isEmpty()) return null;
        double v = Expr.eval(e, Map.of());
        return Double.isFinite(v) ? new BigDecimal(v).setScale(floatRounding, RoundingMode.HALF_EVEN) : null;
    }

    /** simplify(a − b) == 0, checked by value: exactly for rationals, else at seeded random points. */
    private boolean symbolicEqual(Expr a, Expr b) {
        if (atomicDecimal(a) || atomicDecimal(b)) return false;
        return scalarEqual(a, b);
    }

    /** Equality of two scalar expressions: exact, then numeric, then at random points of both signs. */
    boolean scalarEqual(Expr a, Expr b) {
        if (a.equals(b)) return true;
        Rational ra = Expr.exact(a), rb = Expr.exact(b);
        if (ra != null && rb != null) return ra.equals(rb);
        // over the symbols of both sides: 1 and sin^2 x + cos^2 x are equal although only one has an x
        Set<String> sa = new java.util.TreeSet<>(Expr.symbols(a));
        sa.addAll(Expr.symbols(b));
        // i is the imaginary unit, as Math-Verify reads it: (1+i)^2 = 2i
        if (sa.remove(Complex.UNIT)) return complexEqual(a, b, sa);
        if (sa.isEmpty()) return close(Expr.eval(a, Map.of()), Expr.eval(b, Map.of()));
        // a point outside either side's domain (sqrt of a negative, log of zero) says nothing and is skipped
        SplittableRandom rnd = new SplittableRandom(SEED);
        int agreed = 0;
        for (int attempt = 0; attempt < POINTS * 4 && agreed < POINTS; attempt++) {
            Map<String, Double> env = point(sa, rnd);
            double va = Expr.eval(a, env), vb = Expr.eval(b, env);
            if (!Double.isFinite(va) || !Double.isFinite(vb)) continue;
            if (!close(va, vb)) return false;
            agreed++;
        }
        return agreed >= 2;
    }

    private boolean complexEqual(Expr a, Expr b, Set<String> realVars) {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int agreed = 0;
        for (int attempt = 0; attempt < POINTS * 4 && agreed < (realVars.isEmpty() ? 1 : POINTS); attempt++) {
            Map<String, Double> env = point(realVars, rnd);
            Complex va = Complex.eval(a, env), vb = Complex.eval(b, env);
            if (!va.isFinite() || !vb.isFinite()) continue;
            double scale = Math.max(Math.hypot(va.re(), va.im()), Math.hypot(vb.re(), vb.im()));
            if (!close(va.re() / Math.max(scale, 1e-3), vb.re() / Math.max(scale, 1e-3))
                    || !close(va.im() / Math.max(scale, 1e-3), vb.im() / Math.max(scale, 1e-3))) return false;
            agreed++;
        }
        return agreed >= (realVars.isEmpty() ? 1 : 2);
    }

    private static Map<String, Double> point(Set<String> vars, SplittableRandom rnd) {
        Map<String, Double> env = new HashMap<>();
        for (String s : vars) env.put(s, (rnd.nextBoolean() ? 1 : -1) * (0.3 + 2.2 * rnd.nextDouble()));
        return env;
    }

    private boolean close(double x, double y) {
        if (Double.isNaN(x) || Double.isNaN(y)) return false;
        if (Double.isInfinite(x) || Double.isInfinite(y)) return x == y;
        double tol = Math.pow(10, -Math.min(numericPrecision, 12));
        double scale = Math.max(Math.abs(x), Math.abs(y));
        return Math.abs(x - y) <= tol * Math.max(scale, 1e-3);
    }
}
