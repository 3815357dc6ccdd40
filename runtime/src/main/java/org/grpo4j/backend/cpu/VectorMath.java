package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised building blocks of the CPU kernels (head, body, tail loops). One property gates the width:
 * {@code -Dgrpo4j.vectorBits=64|128|256|512} (default: the machine's preferred species), and every kernel uses
 * {@link #F}: once a second float vector shape is loaded, C2 can leave a late-compiled kernel's vector operations
 * as calls, 10× slower (see {@link Gemm}).
 */
public final class VectorMath {
    public static final VectorSpecies<Float> F = species();
    public static final int W = F.length();

    /** Lane i reads lane i + W/2, W/4, W/8, W/16: the steps of {@link #sum}'s fixed-order tree (unused ones for narrow W). */
    private static final VectorShuffle<Float> HALF = rotation(W / 2), QUARTER = rotation(Math.max(1, W / 4)),
            EIGHTH = rotation(Math.max(1, W / 8)), SIXTEENTH = rotation(Math.max(1, W / 16));

    private VectorMath() {}

    private static VectorShuffle<Float> rotation(int shift) {
        return VectorShuffle.fromOp(F, i -> (i + shift) % W);
    }

    /**
     * The sum of a vector's lanes in a fixed tree order. {@code reduceLanes(ADD)} leaves the order unspecified, and
     * the interpreter's and the JIT's orders differ, so a run would depend on when methods got compiled; lanewise
     * adds are exact IEEE operations in every tier, which makes training bitwise reproducible. Unrolled on constant
     * shuffles: where C2 does not inline this method (the 16 sums of a GEMM block), a loop over an array of shuffles
     * ran the Vector API's Java fallback, allocating ~480 bytes a call — 62% of a GRPO run's garbage (issue 15).
     */
    public static float sum(FloatVector v) {
        v = v.add(v.rearrange(HALF));
        if (W >= 4) v = v.add(v.rearrange(QUARTER));
        if (W >= 8) v = v.add(v.rearrange(EIGHTH));
        if (W >= 16) v = v.add(v.rearrange(SIXTEENTH));
        return v.lane(0);
    }

    /**
     * {@link #sum} of n vectors stored lane by lane at {@code lanes[off + j·W]}, into {@code out[outOff + j]}: the same
     * additions in the same order (bitwise equal), for kernels with more accumulators than C2 inlines sum calls for.
     * The stored lanes are overwritten.
     */
    public static void sumStored(float[] lanes, int off, int n, float[] out, int outOff) {
        for (int j = 0; j < n; j++) {
            int b = off + j * W;
            for (int h = W / 2; h >= 1; h >>= 1)
                for (int i = 0; i < h; i++) lanes[b + i] += lanes[b + i + h];
            out[outOff + j] = lanes[b];
        }
    }

    private static VectorSpecies<Float> species() {
        int bits = Integer.getInteger("grpo4j.vectorBits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        return switch (bits) {
            case 64 -> FloatVector.SPECIES_64;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("grpo4j.vectorBits must be 64, 128, 256 or 512, got " + bits);
        };
    }

    /** Σ a[i]·b[i] over {@code n} elements. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(n); i < upper; i += W)
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        float s = sum(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[i] += alpha·x[i]. */
    public static void axpy(float[] y, int yo, float alpha, float[] x, int xo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (int upper = F.loopBound(n); i < upper; i += W)
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** Σ x[i]² in float (row norms). */
    public static float sumSquares(float[] x, int xo, int n) {
        return dot(x, xo, x, xo, n);
    }

    /** out[i] = a[i]·s·w[i]. */
    public static void scaleMul(float[] out, int oo, float[] a, int ao, float s, float[] w, int wo, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(F, s);
        for (int upper = F.loopBound(n); i < upper; i += W)
            FloatVector.fromArray(F, a, ao + i).mul(vs).mul(FloatVector.fromArray(F, w, wo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = a[ao + i] * s * w[wo + i];
    }

    /** {@code -Dgrpo4j.exp.maxMin=true}: the clamp as max/min, as before h14q (same bits, slower), for A/B runs. */
    private static final boolean EXP_MAX_MIN = Boolean.getBoolean("grpo4j.exp.maxMin");

    private static final float ROUNDER = 12582912f, LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;

    /**
     * e^x lane by lane, within 1.01 ulp for x in [-87.3, 88.37] (clamped there: ≈1.2e-38 below, ≈2.4e38 above): Cody–Waite range
     * reduction x = n·ln2 + r, a degree-6 polynomial for e^r in fused multiply-adds, and 2^n put into the exponent
     * bits. Written with lanewise operations only (FMA is exactly rounded in every tier), so every JIT tier computes
     * the same bits (the Vector API's EXP operator does not promise that), and it is an order of magnitude faster
     * than {@code Math.exp} per element. n is read from the rounding sum's low bits (no float-to-int conversion) and
     * 2^n is one factor: n stays in [-126, 127] over the clamped range and r ≥ 0 where n = -126, so the result is a
     * normal float; with the FMAs this is 1.8× the speed of the two-factor form (docs/benchmarks.md, h14h).
     */
    public static FloatVector exp(FloatVector x) {
        // the clamp as compare-and-blend: the same lanes as max/min (a NaN passes through both), but C2 lowers the
        // Vector API's max/min to a Java-semantics sequence that made the clamp ~40% of this method (h14q)
        if (EXP_MAX_MIN) x = x.max(-87.3f).min(88.37f);
        else {
            FloatVector lo = FloatVector.broadcast(F, -87.3f), hi = FloatVector.broadcast(F, 88.37f);
            x = x.blend(lo, x.compare(VectorOperators.LT, lo));
            x = x.blend(hi, x.compare(VectorOperators.GT, hi));
        }
        // round x·log2(e) to the nearest integer by adding 1.5·2^23: k's low mantissa bits are then n
        FloatVector k = x.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUNDER)), n = k.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x).add(n.mul(-LN2_LO));
        FloatVector p = r.fma(FloatVector.broadcast(F, 1.9875691500e-4f), FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        // n << 23 is k's bits shifted left by 23 (the rounding constant's bits leave the word), plus the exponent bias
        return p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23).reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}, bit for bit, for loop tails. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, -87.3f), 88.37f);
        float k = Math.fma(x, LOG2E, ROUNDER), n = k - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x) + n * -LN2_LO;
        float p = Math.fma(r, 1.9875691500e-4f, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(k) << 23) + (127 << 23));
    }

    /** max over x[xo..xo+n). */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= W) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int upper = F.loopBound(n); i < upper; i += W) acc = acc.max(FloatVector.fromArray(F, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }
}
