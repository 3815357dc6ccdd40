package org.grpo4j.dsl.math;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An exact fraction of two {@link BigInteger}s, always in lowest terms with a positive denominator, so that
 * {@code 0.5}, {@code 1/2} and {@code \frac{2}{4}} compare equal with {@link #equals}.
 *
 * <pre>{@code Rational.parseDecimal("0.50").equals(Rational.of(1, 2)) // true}</pre>
 */
public record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {
    public static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
    public static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);

    /** Bits beyond which exact arithmetic gives up (the verifier then falls back to floating point). */
    static final int MAX_BITS = 4096;

    public Rational {
        if (den.signum() == 0) throw new ArithmeticException("zero denominator");
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.signum() == 0) den = BigInteger.ONE;
    }

    public static Rational of(long n, long d) {
        return new Rational(BigInteger.valueOf(n), BigInteger.valueOf(d));
    }

    public static Rational of(BigInteger n) {
        return new Rational(n, BigInteger.ONE);
    }

    /** Parses {@code 12}, {@code -0.250}, {@code .5}, {@code 1.5e3}; throws {@link NumberFormatException}. */
    public static Rational parseDecimal(String s) {
        BigDecimal d = new BigDecimal(s);
        if (Math.abs((long) d.scale()) > 2000) throw new NumberFormatException("exponent too large: " + s);
        if (d.scale() <= 0) return of(d.toBigIntegerExact());
        return new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    public boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    public int signum() {
        return num.signum();
    }

    public Rational add(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    public Rational negate() {
        return new Rational(num.negate(), den);
    }

    public Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    public Rational reciprocal() {
        return new Rational(den, num);
    }

    /** {@code this^e}, or null when the result would be too large to be worth computing exactly. */
    public Rational pow(int e) {
        if (e == 0) return ONE;
        Rational base = e < 0 ? reciprocal() : this;
        int a = Math.abs(e);
        long bits = (long) Math.max(base.num.bitLength(), base.den.bitLength()) * a;
        if (bits > MAX_BITS) return null;
        return new Rational(base.num.pow(a), base.den.pow(a));
    }

    /** The exact {@code k}-th root when there is one (e.g. sqrt(9/4) = 3/2), else null. */
    public Rational root(int k) {
        if (k <= 0) return null;
        if (num.signum() < 0 && k % 2 == 0) return null;
        BigInteger n = iroot(num.abs(), k), d = iroot(den, k);
        if (n == null || d == null) return null;
        return new Rational(num.signum() < 0 ? n.negate() : n, d);
    }

    private static BigInteger iroot(BigInteger x, int k) {
        if (k == 2) {
            BigInteger r = x.sqrt();
            return r.multiply(r).equals(x) ? r : null;
        }
        double guess = Math.round(Math.pow(x.doubleValue(), 1.0 / k));
        if (Double.isInfinite(guess) || Double.isNaN(guess)) return null;
        BigInteger g = BigDecimal.valueOf(guess).toBigInteger();
        for (int delta = -1; delta <= 1; delta++) {
            BigInteger c = g.add(BigInteger.valueOf(delta));
            if (c.signum() >= 0 && c.pow(k).equals(x)) return c;
        }
        return null;
    }

    public double doubleValue() {
        double n = num.doubleValue(), d = den.doubleValue();
        if (!Double.isInfinite(n) && !Double.isInfinite(d)) return n / d;
        return new BigDecimal(num).divide(new BigDecimal(den), java.math.MathContext.DECIMAL64).doubleValue();
    }

    boolean tooBig() {
        return num.bitLength() > MAX_BITS || den.bitLength() > MAX_BITS;
    }

    @Override
    public int compareTo(Rational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
