package org.grpo4j.backend.cpu;

import java.util.SplittableRandom;

/**
 * Not a test: a timing harness (run by hand, {@code main}) for the no-grad hd-64 forward of one bench-m layer as one
 * sequence part sees it (8 sequences × 192 rows, 8 query heads over 4 kv heads, one thread), whole and piece by piece
 * (the query transpose, scores, softmax, P·V), so the attention work aims at the biggest piece. The forms compared run
 * interleaved in one JVM and each figure is the best of its rounds (the machine is shared and noisy).
 */
public final class AttentionForwardTiming {
    static final int B = 8, T = 192, HEADS = 8, KV = 4, HD = 64, WIDTH = (HEADS + 2 * KV) * HD, OUT = HEADS * HD;
    static final float SCALE = (float) (1.0 / Math.sqrt(HD));

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 100, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        SplittableRandom r = new SplittableRandom(7);
        float[] qkv = new float[B * T * WIDTH], out = new float[B * T * OUT];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        String[] names = {"old", "new"};
        double[] bestLayer = {1e9, 1e9};
        double[][] bestPiece = {{1e9, 1e9, 1e9, 1e9}, {1e9, 1e9, 1e9, 1e9}};
        for (int round = 0; round < rounds; round++)
            for (int m = 0; m < 2; m++) {
                boolean mode = m == 1;
                long t0 = System.nanoTime();
                for (int k = 0; k < reps; k++) layer(out, qkv, mode);
                bestLayer[m] = Math.min(bestLayer[m], (System.nanoTime() - t0) / 1e6 / reps);
                double[] p = pieces(out, qkv, reps / 4 + 1, mode);
                for (int i = 0; i < 4; i++) bestPiece[m][i] = Math.min(bestPiece[m][i], p[i]);
            }
        if (args.length > 2) { // the training backward under this JVM's switches (its transpose is not an argument)
            float[] probs = new float[B * HEADS * T * T], dOut = new float[B * T * OUT], dQkv = new float[B * T * WIDTH];
            for (int i = 0; i < dOut.length; i++) dOut[i] = (float) r.nextGaussian();
            double best = 1e9, bestF = 1e9;
            for (int round = 0; round < rounds; round++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < reps; k++) saving(out, probs, qkv);
                long t1 = System.nanoTime();
                for (int k = 0; k < reps; k++) backward(dQkv, dOut, qkv, probs);
                bestF = Math.min(bestF, (t1 - t0) / 1e6 / reps);
                best = Math.min(best, (System.nanoTime() - t1) / 1e6 / reps);
            }
            System.out.printf("saving forward %.3f ms, backward %.3f ms%n", bestF, best);
        }
        for (int m = 0; m < 2; m++)
            System.out.printf("%s: layer %.3f ms | rows+transpose %.3f scores %.3f softmax %.3f weightedRows %.3f%n", names[m], bestLayer[m],
                    bestPiece[m][0], bestPiece[m][1], bestPiece[m][2], bestPiece[m][3]);
    }

    static void layer(float[] out, float[] qkv, boolean mode) {
        int group = HEADS / KV;
        for (int b = 0; b < B; b++)
            for (int kvh = 0; kvh < KV; kvh++) {
                int kCol = HEADS * HD + kvh * HD, vCol = kCol + KV * HD;
                for (int h = kvh * group; h < (kvh + 1) * group; h++)
                    AttentionByQueryLanes.forward(out, b * T * OUT + h * HD, OUT, null, 0, qkv, b * T * WIDTH, WIDTH, h * HD, kCol, vCol,
                            T, 0, 0, HD, SCALE, mode);
            }
    }

    static void saving(float[] out, float[] probs, float[] qkv) {
        for (int b = 0; b < B; b++)
            for (int h = 0; h < HEADS; h++) {
                int kCol = HEADS * HD + h / (HEADS / KV) * HD, vCol = kCol + KV * HD;
                AttentionByQueryLanes.forward(out, b * T * OUT + h * HD, OUT, probs, (b * HEADS + h) * T * T, qkv, b * T * WIDTH, WIDTH, h * HD,
                        kCol, vCol, T, HD, SCALE);
            }
    }

    static void backward(float[] dQkv, float[] dOut, float[] qkv, float[] probs) {
        for (int b = 0; b < B; b++)
            for (int h = 0; h < HEADS; h++) {
                int kCol = HEADS * HD + h / (HEADS / KV) * HD, vCol = kCol + KV * HD, x = b * T * WIDTH;
                AttentionByQueryLanes.backward(dQkv, x + h * HD, x + kCol, x + vCol, dOut, b * T * OUT + h * HD, OUT, qkv, x, WIDTH, h * HD,
                        kCol, vCol, probs, (b * HEADS + h) * T * T, T, HD, SCALE);
            }
    }

    /** The forward's pieces over the same 64 heads, ms per layer each. */
    static double[] pieces(float[] out, float[] qkv, int reps, boolean contiguous) {
        int QB = AttentionByQueryLanes.QB, W = VectorMath.W;
        float[] rows = Scratch.floats(3, 2 * T * HD), qt = Scratch.floats(0, HD * T), sc = Scratch.floats(1, (T + QB) * QB);
        float[] lanes = Scratch.floats(2, W * QB);
        long tT = 0, tS = 0, tX = 0, tW = 0;
        for (int k = 0; k < reps; k++)
            for (int b = 0; b < B; b++)
                for (int h = 0; h < HEADS; h++) {
                    int xo = b * T * WIDTH, kCol = HEADS * HD + (h / (HEADS / KV)) * HD, vCol = kCol + KV * HD;
                    long a = System.nanoTime();
                    float[] v = qkv;
                    int vo = xo + vCol, vs = WIDTH;
                    if (contiguous) {
                        AttentionByQueryLanes.queryTile(qt, T, qkv, xo + h * HD, WIDTH, T, HD, SCALE);
                        AttentionByQueryLanes.copyRows(rows, 0, qkv, xo + vCol, WIDTH, T, HD);
                        v = rows;
                        vo = 0;
                        vs = HD;
                    } else AttentionByQueryLanes.transposed(qt, T, qkv, xo + h * HD, WIDTH, T, HD, SCALE);
                    tT += System.nanoTime() - a;
                    for (int q0 = 0; q0 < T; q0 += QB) {
                        int nk = Math.min(q0 + QB, T);
                        long c = System.nanoTime();
                        AttentionByQueryLanes.scores(sc, nk, qt, T, q0, qkv, xo + kCol, WIDTH, HD);
                        long d = System.nanoTime();
                        AttentionByQueryLanes.softmax(sc, nk, q0, lanes);
                        long e = System.nanoTime();
                        for (int g = 0; g < QB; g += 8)
                            AttentionByQueryLanes.weightedRows(out, (b * T + q0 + g) * OUT + h * HD, OUT, 8, sc, g, q0 + g + 8, v, vo, vs, HD);
                        long f = System.nanoTime();
                        tS += d - c;
                        tX += e - d;
                        tW += f - e;
                    }
                }
        double n = 1e6 * reps;
        return new double[] {tT / n, tS / n, tX / n, tW / n};
    }
}
