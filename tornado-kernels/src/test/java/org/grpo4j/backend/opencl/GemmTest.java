package org.grpo4j.backend.opencl;

import static org.grpo4j.backend.opencl.TestDevice.*;

import java.util.Random;
import org.grpo4j.opencl.Buffer;
import org.grpo4j.opencl.ClSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both GEMM kernel families against a naive double-precision reference, on sizes that are not multiples of any
 * tile (1, 7, 17, 33, 65, 130) as well as round ones, with and without accumulation and bias, at buffer offsets.
 * Tolerance: fp32 sums of K products of values in [-1, 1]: 1e-4 absolute + 1e-4 relative (K ≤ 200).
 */
class GemmTest {
    static ClSession session;

    @BeforeAll
    static void open() {
        session = TestDevice.open();
    }

    @AfterAll
    static void close() {
        if (session != null) session.close();
    }

    static final int[][] SHAPES = {{1, 1, 1}, {7, 5, 3}, {17, 33, 65}, {65, 17, 130}, {64, 64, 64}, {130, 70, 200}, {3, 129, 16}, {96, 16, 31}};

    /** tiled: the GPU kernel; vector: the PoCL kernels with NT and TN through transposes; vector-direct: without. */
    @ParameterizedTest
    @ValueSource(strings = {"tiled", "vector", "vector-direct"})
    void allThreeFormsMatchTheNaiveProduct(String variant) {
        boolean tiled = variant.equals("tiled");
        Gemm g = new Gemm(session, tiled, !variant.equals("vector-direct"));
        Random rnd = new Random(variant.hashCode());
        for (int[] s : SHAPES) {
            int M = s[0], N = s[1], K = s[2];
            int off = 3; // views that start mid-buffer, as slices of one allocation do
            float[] a = random(rnd, M * K + off, 1), w = random(rnd, N * K + off, 1), bias = random(rnd, N + off, 1);
            float[] out0 = random(rnd, M * N + off, 1), dOut = random(rnd, M * N + off, 1);
            float[] dIn0 = random(rnd, M * K + off, 1), dW0 = random(rnd, N * K + off, 1);
            Buffer A = upload(session, a), W = upload(session, w), Bias = upload(session, bias), Out = upload(session, out0),
                    DOut = upload(session, dOut), DIn = upload(session, dIn0), DW = upload(session, dW0);
            String shape = variant + " M=" + M + " N=" + N + " K=" + K;
            for (boolean acc : new boolean[] {false, true}) {
                for (boolean withBias : new boolean[] {false, true}) {
                    Out.write(session.queue(), 0, out0, 0, out0.length);
                    g.nt(Out, off, A, off, W, off, withBias ? Bias : null, off, M, N, K, acc);
                    float[] expect = new float[M * N];
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            double sum = acc ? out0[off + i * N + j] : 0;
                            if (withBias) sum += bias[off + j];
                            for (int k = 0; k < K; k++) sum += (double) a[off + i * K + k] * w[off + j * K + k];
                            expect[i * N + j] = (float) sum;
                        }
                    assertClose(expect, download(session, Out, off, M * N), 1e-4, 1e-4, "NT " + shape + " acc=" + acc + " bias=" + withBias);
                }
                DIn.write(session.queue(), 0, dIn0, 0, dIn0.length);
                g.nn(DIn, off, DOut, off, W, off, M, N, K, acc);
                float[] expect = new float[M * K];
                for (int i = 0; i < M; i++)
                    for (int k = 0; k < K; k++) {
                        double sum = acc ? dIn0[off + i * K + k] : 0;
                        for (int j = 0; j < N; j++) sum += (double) dOut[off + i * N + j] * w[off + j * K + k];
                        expect[i * K + k] = (float) sum;
                    }
                assertClose(expect, download(session, DIn, off, M * K), 1e-4, 1e-4, "NN " + shape + " acc=" + acc);
            }
            g.tn(DW, off, DOut, off, A, off, M, N, K);
            float[] expect = new float[N * K];
            for (int j = 0; j < N; j++)
                for (int k = 0; k < K; k++) {
                    double sum = dW0[off + j * K + k];
                    for (int i = 0; i < M; i++) sum += (double) dOut[off + i * N + j] * a[off + i * K + k];
                    expect[j * K + k] = (float) sum;
                }
            assertClose(expect, download(session, DW, off, N * K), 1e-4, 1e-4, "TN " + shape);

            for (Buffer b : new Buffer[] {A, W, Bias, Out, DOut, DIn, DW}) b.close();
        }
    }
}
