package org.grpo4j.dsl.math;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parsed mathematical answer: a small expression tree (numbers, symbols, sums, products, powers, functions)
 * plus the answer shapes that competition maths uses (tuples, sets, intervals, relations, matrices).
 *
 * <pre>{@code Expr e = LatexParser.parse("\\frac{1}{2} + x"); // Add[Mul[1, Pow[2, -1]], Sym x]; not a constant, so Expr.exact(e) == null}</pre>
 */
public sealed interface Expr {
    /**
     * A number literal, held exactly. {@code decimal} marks one written with a decimal point ({@code 0.333}):
     * like Math-Verify's sympy {@code Float}, such a number is compared after rounding both sides.
     */
    record Num(Rational value, boolean decimal) implements Expr {
        public Num(Rational value) {
            this(value, false);
        }
    }

    /** {@code 28\\%}: the value divided by 100, kept apart so that a bare percentage still counts as a number. */
    record Percent(Expr value) implements Expr {}

    /** A free symbol ({@code x}, {@code A}) or a word kept whole ({@code \text{Evelyn}}). */
    record Sym(String name) implements Expr {}

    /** {@code \pi}, Euler's {@code e} and {@code \infty}. */
    enum Const implements Expr { PI, E, INFINITY }

    record Add(List<Expr> terms) implements Expr {}

    record Mul(List<Expr> factors) implements Expr {}

    record Pow(Expr base, Expr exponent) implements Expr {}

    /** {@code sqrt}, {@code sin}, {@code ln}, {@code abs}, {@code factorial}, ... */
    record Func(String name, Expr arg) implements Expr {}

    /** An ordered tuple {@code (1, 2)}; also what an open interval {@code (1, 2)} is written as. */
    record Tuple(List<Expr> items) implements Expr {}

    /** A finite set {@code \{1, 2\}} or a bare list of several answers {@code 1, 2}: order does not matter. */
    record SetOf(List<Expr> items) implements Expr {}

    record Interval(Expr lo, Expr hi, boolean loOpen, boolean hiOpen) implements Expr {}

    /** {@code lhs op rhs} with op one of {@code = != < <= > >=}; {@code x = 3} is an assignment, compared as {@code 3}. */
    record Rel(String op, Expr lhs, Expr rhs) implements Expr {
        public Rel {
            if (!java.util.Set.of("=", "!=", "<", "<=", ">", ">=").contains(op)) throw new IllegalArgumentException("relation " + op);
        }
    }

    /** A chain {@code a < b \\le c} or {@code a = b = c}: the relations between neighbours, in order. */
    record And(List<Rel> rels) implements Expr {}

    /** A matrix or vector, row by row ({@code pmatrix}, {@code bmatrix}, {@code array}). */
    record Matrix(int rows, int cols, List<Expr> cells) implements Expr {}

    /** {@code a \cup b} of intervals or sets. */
    record Union(List<Expr> parts) implements Expr {}

    static Expr neg(Expr e) {
        if (e instanceof Num n) return new Num(n.value().negate(), n.decimal());
        return new Mul(List.of(new Num(Rational.ONE.negate()), e));
    }

    /** {@code a − b}. */
    static Expr minus(Expr a, Expr b) {
        return new Add(List.of(a, neg(b)));
    }

    /** {@code e} with its symbols renamed by {@code to} (others kept). */
    static Expr rename(Expr e, Map<String, String> to) {
        return switch (e) {
            case Sym s -> to.containsKey(s.name()) ? new Sym(to.get(s.name())) : s;
            case Num n -> n;
            case Const c -> c;
            case Percent p -> new Percent(rename(p.value(), to));
            case Add a -> new Add(a.terms().stream().map(t -> rename(t, to)).toList());
            case Mul m -> new Mul(m.factors().stream().map(t -> rename(t, to)).toList());
            case Pow p -> new Pow(rename(p.base(), to), rename(p.exponent(), to));
            case Func f -> new Func(f.name(), rename(f.arg(), to));
            case Tuple t -> new Tuple(t.items().stream().map(x -> rename(x, to)).toList());
            case SetOf t -> new SetOf(t.items().stream().map(x -> rename(x, to)).toList());
            case Interval i -> new Interval(rename(i.lo(), to), rename(i.hi(), to), i.loOpen(), i.hiOpen());
            case Rel r -> new Rel(r.op(), rename(r.lhs(), to), rename(r.rhs(), to));
            case And a -> new And(a.rels().stream().map(r -> (Rel) rename(r, to)).toList());
            case Matrix m -> new Matrix(m.rows(), m.cols(), m.cells().stream().map(x -> rename(x, to)).toList());
            case Union u -> new Union(u.parts().stream().map(x -> rename(x, to)).toList());
        };
    }

    /**
     * Whether every leaf of {@code e} is a symbol ({@code x}, {@code ab}, {@code |AB|}, {@code (p, q)}, {@code A/S}):
     * latex2sympy's test for the left side of an assignment.
     */
    static boolean onlySymbols(Expr e) {
        return switch (e) {
            case Sym s -> true;
            case Add a -> a.terms().stream().allMatch(Expr::onlySymbols);
            case Mul m -> m.factors().stream().allMatch(Expr::onlySymbols);
            case Pow p -> onlySymbols(p.base()) && (p.exponent().equals(new Num(Rational.ONE.negate())) || onlySymbols(p.exponent()));
            case Func f -> onlySymbols(f.arg());
            case Tuple t -> t.items().stream().allMatch(Expr::onlySymbols);
            case Interval i -> i.loOpen() && i.hiOpen() && onlySymbols(i.lo()) && onlySymbols(i.hi());
            default -> false;
        };
    }

    /** The free symbols of this expression. */
    static Set<String> symbols(Expr e) {
        Set<String> out = new TreeSet<>();
        collect(e, out);
        return out;
    }

    private static void collect(Expr e, Set<String> out) {
        switch (e) {
            case Sym s -> out.add(s.name());
            case Num n -> {}
            case Const c -> {}
            case Add a -> a.terms().forEach(t -> collect(t, out));
            case Mul m -> m.factors().forEach(t -> collect(t, out));
            case Pow p -> {
                collect(p.base(), out);
                collect(p.exponent(), out);
            }
            case Func f -> collect(f.arg(), out);
            case Tuple t -> t.items().forEach(x -> collect(x, out));
            case SetOf s -> s.items().forEach(x -> collect(x, out));
            case Interval i -> {
                collect(i.lo(), out);
                collect(i.hi(), out);
            }
            case Rel q -> {
                collect(q.lhs(), out);
                collect(q.rhs(), out);
            }
            case And a -> a.rels().forEach(x -> collect(x, out));
            case Matrix m -> m.cells().forEach(x -> collect(x, out));
            case Percent p -> collect(p.value(), out);
            case Union u -> u.parts().forEach(x -> collect(x, out));
        }
    }

    /** The exact value when the expression is a rational constant ({@code \sqrt{9}/2^{-1}}), else null. */
    static Rational exact(Expr e) {
        Budget.check();
        switch (e) {
            case Num n -> {
                return n.value();
            }
            case Percent p -> {
                Rational v = exact(p.value());
                return v == null ? null : v.multiply(Rational.of(1, 100));
            }
            case Add a -> {
                Rational s = Rational.ZERO;
                for (Expr t : a.terms()) {
                    Rational v = exact(t);
                    if (v == null) return null;
                    s = s.add(v);
                    if (s.tooBig()) return null;
                }
                return s;
            }
            case Mul m -> {
                Rational p = Rational.ONE;
                for (Expr t : m.factors()) {
                    Rational v = exact(t);
                    if (v == null) return null;
                    p = p.multiply(v);
                    if (p.tooBig()) return null;
                }
                return p;
            }
            case Pow p -> {
                Rational b = exact(p.base()), x = exact(p.exponent());
                if (b == null || x == null) return null;
                if (b.signum() == 0 && x.signum() <= 0) return null;
                if (x.isInteger()) {
                    if (x.num().bitLength() > 20) return null;
                    return b.pow(x.num().intValueExact());
                }
                if (x.den().bitLength() > 8 || x.num().bitLength() > 20) return null;
                Rational r = b.root(x.den().intValueExact());
                return r == null ? null : r.pow(x.num().intValueExact());
            }
            case Func f -> {
                Rational a = exact(f.arg());
                if (a == null) return null;
                return switch (f.name()) {
                    case "sqrt" -> a.root(2);
                    case "abs" -> a.signum() < 0 ? a.negate() : a;
                    case "floor" -> Rational.of(floorDiv(a));
                    case "ceil" -> Rational.of(floorDiv(a.negate()).negate());
                    case "factorial" -> factorial(a);
                    default -> null;
                };
            }
            default -> {
                return null;
            }
        }
    }

    private static java.math.BigInteger floorDiv(Rational a) {
        java.math.BigInteger[] qr = a.num().divideAndRemainder(a.den());
        return qr[1].signum() < 0 ? qr[0].subtract(java.math.BigInteger.ONE) : qr[0];
    }

    private static Rational factorial(Rational a) {
        if (!a.isInteger() || a.signum() < 0 || a.num().bitLength() > 10) return null;
        java.math.BigInteger r = java.math.BigInteger.ONE;
        for (int i = 2; i <= a.num().intValue(); i++) r = r.multiply(java.math.BigInteger.valueOf(i));
        return Rational.of(r);
    }

    /** The value in double precision with {@code env} giving each symbol's value; NaN where undefined. */
    static double eval(Expr e, Map<String, Double> env) {
        Budget.check();
        switch (e) {
            case Num n -> {
                return n.value().doubleValue();
            }
            case Percent p -> {
                return eval(p.value(), env) / 100;
            }
            case Sym s -> {
                Double v = env.get(s.name());
                return v == null ? Double.NaN : v;
            }
            case Const c -> {
                return switch (c) {
                    case PI -> Math.PI;
                    case E -> Math.E;
                    case INFINITY -> Double.POSITIVE_INFINITY;
                };
            }
            case Add a -> {
                double s = 0;
                for (Expr t : a.terms()) s += eval(t, env);
                return s;
            }
            case Mul m -> {
                double p = 1;
                for (Expr t : m.factors()) p *= eval(t, env);
                return p;
            }
            case Pow p -> {
                double b = eval(p.base(), env), x = eval(p.exponent(), env);
                if (b == 0 && x < 0) return Double.NaN; // 12:00 is 12/0: undefined, never equal to anything
                Rational rx = exact(p.exponent());
                // odd roots of negatives are real: (-8)^(1/3) = -2, which Math.pow calls NaN
                if (b < 0 && rx != null && !rx.isInteger() && rx.den().testBit(0))
                    return (rx.num().testBit(0) ? -1 : 1) * Math.pow(-b, x);
                return Math.pow(b, x);
            }
            case Func f -> {
                double a = eval(f.arg(), env);
                return switch (f.name()) {
                    case "sqrt" -> Math.sqrt(a);
                    case "abs" -> Math.abs(a);
                    case "floor" -> Math.floor(a);
                    case "ceil" -> Math.ceil(a);
                    case "sin" -> Math.sin(a);
                    case "cos" -> Math.cos(a);
                    case "tan" -> Math.tan(a);
                    case "cot" -> 1 / Math.tan(a);
                    case "sec" -> 1 / Math.cos(a);
                    case "csc" -> 1 / Math.sin(a);
                    case "arcsin" -> Math.asin(a);
                    case "arccos" -> Math.acos(a);
                    case "arctan" -> Math.atan(a);
                    case "sinh" -> Math.sinh(a);
                    case "cosh" -> Math.cosh(a);
                    case "tanh" -> Math.tanh(a);
                    case "ln" -> Math.log(a);
                    case "log" -> Math.log(a);
                    case "log10" -> Math.log10(a);
                    case "log2" -> Math.log(a) / Math.log(2);
                    case "exp" -> Math.exp(a);
                    case "factorial" -> {
                        Rational r = exact(f.arg());
                        Rational fr = r == null ? null : factorial(r);
                        yield fr == null ? Double.NaN : fr.doubleValue();
                    }
                    default -> Double.NaN;
                };
            }
            default -> {
                return Double.NaN;
            }
        }
    }
}
