package org.grpo4j.backend.cpu;

/**
 * Matrix products of the linear layers (temporary straightforward version; the register-blocked kernel replaces
 * it). out[M,N] (+)= a[M,K]·w[N,K]ᵀ (NT), out[M,K] (+)= a[M,N]·w[N,K] (NN), out[N,K] (+)= a[M,N]ᵀ·b[M,K] (TN).
 */
public final class Gemm {
    private Gemm() {}

    public static void matmulNT(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff, float[] bias, int biasOff,
                                int M, int N, int K, boolean accumulate) {
        Parallel.forRange(N, 8, (from, to) -> {
            for (int i = 0; i < M; i++)
                for (int n = from; n < to; n++) {
                    float s = VectorMath.dot(a, aOff + i * K, w, wOff + n * K, K);
                    if (bias != null) s += bias[biasOff + n];
                    int o = outOff + i * N + n;
                    out[o] = accumulate ? out[o] + s : s;
                }
        });
    }

    public static void matmulNN(float[] out, int outOff, float[] a, int aOff, float[] w, int wOff, int M, int N, int K, boolean accumulate) {
        Parallel.forRange(M, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int o = outOff + i * K;
                if (!accumulate) java.util.Arrays.fill(out, o, o + K, 0f);
                for (int n = 0; n < N; n++) VectorMath.axpy(out, o, a[aOff + i * N + n], w, wOff + n * K, K);
            }
        });
    }

    public static void matmulTN(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int M, int N, int K, boolean accumulate) {
        Parallel.forRange(N, 1, (from, to) -> {
            for (int n = from; n < to; n++) {
                int o = outOff + n * K;
                if (!accumulate) java.util.Arrays.fill(out, o, o + K, 0f);
                for (int i = 0; i < M; i++) VectorMath.axpy(out, o, a[aOff + i * N + n], b, bOff + i * K, K);
            }
        });
    }

    public static void sumRows(float[] out, int outOff, float[] a, int aOff, int M, int N) {
        for (int i = 0; i < M; i++) VectorMath.axpy(out, outOff, 1f, a, aOff + i * N, N);
    }
}
