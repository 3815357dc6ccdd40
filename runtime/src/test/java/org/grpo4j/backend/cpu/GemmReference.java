package org.grpo4j.backend.cpu;

/**
 * Naive double-precision products with the exact semantics of {@link Gemm}, plus the sum of absolute terms of
 * every output element, which bounds the rounding error a correct fp32 GEMM may make on it.
 */
final class GemmReference {
    private GemmReference() {}

    /** Reference result and per-element error scale ({@code Σ|terms|}, including bias and the old value). */
    record Result(double[] value, double[] scale) {}

    static Result matmulNT(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff,
                           float[] bias, int biasOff, int M, int N, int K, boolean accumulate) {
        double[] v = new double[M * N], s = new double[M * N];
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double sum = 0, abs = 0;
                for (int k = 0; k < K; k++) {
                    double t = (double) a[aOff + m * K + k] * w[wOff + n * K + k];
                    sum += t;
                    abs += Math.abs(t);
                }
                if (bias != null) {
                    sum += bias[biasOff + n];
                    abs += Math.abs(bias[biasOff + n]);
                }
                if (accumulate) {
                    sum += out[outOff + m * N + n];
                    abs += Math.abs(out[outOff + m * N + n]);
                }
                v[m * N + n] = sum;
                s[m * N + n] = abs;
            }
        return new Result(v, s);
    }

    static Result matmulNN(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff,
                           int M, int N, int K, boolean accumulate) {
        double[] v = new double[M * K], s = new double[M * K];
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++) {
                double sum = 0, abs = 0;
                for (int n = 0; n < N; n++) {
                    double t = (double) a[aOff + m * N + n] * w[wOff + n * K + k];
                    sum += t;
                    abs += Math.abs(t);
                }
                if (accumulate) {
                    sum += out[outOff + m * K + k];
                    abs += Math.abs(out[outOff + m * K + k]);
                }
                v[m * K + k] = sum;
                s[m * K + k] = abs;
            }
        return new Result(v, s);
    }

    static Result matmulTN(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff,
                           int M, int N, int K, boolean accumulate) {
        double[] v = new double[N * K], s = new double[N * K];
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++) {
                double sum = 0, abs = 0;
                for (int m = 0; m < M; m++) {
                    double t = (double) a[aOff + m * N + n] * b[bOff + m * K + k];
                    sum += t;
                    abs += Math.abs(t);
                }
                if (accumulate) {
                    sum += out[outOff + n * K + k];
                    abs += Math.abs(out[outOff + n * K + k]);
                }
                v[n * K + k] = sum;
                s[n * K + k] = abs;
            }
        return new Result(v, s);
    }

    static Result sumRows(float[] out, int outOff, float[] a, int aOff, int M, int N) {
        double[] v = new double[N], s = new double[N];
        for (int n = 0; n < N; n++) {
            double sum = out[outOff + n], abs = Math.abs(out[outOff + n]);
            for (int m = 0; m < M; m++) {
                sum += a[aOff + m * N + n];
                abs += Math.abs(a[aOff + m * N + n]);
            }
            v[n] = sum;
            s[n] = abs;
        }
        return new Result(v, s);
    }
}
