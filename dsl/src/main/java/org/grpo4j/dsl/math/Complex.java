package org.grpo4j.dsl.math;

import java.util.Map;

/**
 * Evaluation with {@code i} as the imaginary unit, for answers Math-Verify treats as complex ({@code 3+4i},
 * {@code (1+i)^2 = 2i}, {@code \frac{1}{i} = -i}); the other symbols take the real values given.
 *
 * <pre>{@code Complex.eval(LatexParser.parse("(1+i)^2"), Map.of()) // Complex[re=0.0, im=2.0]}</pre>
 */
record Complex(double re, double im) {
    static final Complex NAN = new Complex(Double.NaN, Double.NaN);
    static final String UNIT = "i";

    boolean isFinite() {
        return Double.isFinite(re) && Double.isFinite(im);
    }

    Complex plus(Complex o) {
        return new Complex(re + o.re, im + o.im);
    }

    Complex times(Complex o) {
        return new Complex(re * o.re - im * o.im, re * o.im + im * o.re);
    }

    Complex inverse() {
        double d = re * re + im * im;
        return d == 0 ? NAN : new Complex(re / d, -im / d);
    }

    /** Principal power: exact repeated products for small integer exponents, polar form otherwise. */
    Complex pow(Complex e) {
        if (e.im == 0 && e.re == Math.rint(e.re) && Math.abs(e.re) <= 64) {
            Complex r = new Complex(1, 0), b = e.re < 0 ? inverse() : this;
            for (int k = 0; k < Math.abs((int) e.re); k++) r = r.times(b);
            return r;
        }
        double mod = Math.hypot(re, im), arg = Math.atan2(im, re);
        if (mod == 0) return e.re > 0 ? new Complex(0, 0) : NAN;
        double lnR = Math.log(mod);
        double nr = Math.exp(e.re * lnR - e.im * arg), na = e.im * lnR + e.re * arg;
        return new Complex(nr * Math.cos(na), nr * Math.sin(na));
    }

    /** The value of {@code e} with {@code i} imaginary and the other symbols from {@code env}; NaN parts where undefined. */
    static Complex eval(Expr e, Map<String, Double> env) {
        Budget.check();
        return switch (e) {
            case Expr.Sym s when s.name().equals(UNIT) -> new Complex(0, 1);
            case Expr.Add a -> {
                Complex s = new Complex(0, 0);
                for (Expr t : a.terms()) s = s.plus(eval(t, env));
                yield s;
            }
            case Expr.Mul m -> {
                Complex p = new Complex(1, 0);
                for (Expr t : m.factors()) p = p.times(eval(t, env));
                yield p;
            }
            case Expr.Pow p -> eval(p.base(), env).pow(eval(p.exponent(), env));
            case Expr.Percent p -> eval(p.value(), env).times(new Complex(0.01, 0));
            case Expr.Func f when f.name().equals("sqrt") -> eval(f.arg(), env).pow(new Complex(0.5, 0));
            case Expr.Func f when f.name().equals("abs") -> {
                Complex a = eval(f.arg(), env);
                yield new Complex(Math.hypot(a.re, a.im), 0);
            }
            default -> {
                // real-valued from here on: no i inside, or a function of a complex argument we do not extend
                if (Expr.symbols(e).contains(UNIT)) yield NAN;
                yield new Complex(Expr.eval(e, env), 0);
            }
        };
    }
}
