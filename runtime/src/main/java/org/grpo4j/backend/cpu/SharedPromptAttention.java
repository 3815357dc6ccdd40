package org.grpo4j.backend.cpu;

import org.grpo4j.backend.SharedPromptLayout;

/**
 * Causal attention over a batch whose prompts are packed once ({@link SharedPromptLayout}), read in place: a sequence
 * that packs its prompt runs {@link AttentionByQueryLanes} on its rows as they are; a later sequence of its group copies
 * its kv head's keys and values (the prompt's rows, then its own) and its queries from its first query block on into a
 * per-thread tile, and computes only those queries (not the prompt's again: its owner's outputs are the same numbers).
 * The backward runs a unit (an owner, then the sequences reading its prompt, in batch order) on one thread: each later
 * sequence's prompt-row key/value gradients are added into the owner's rows after the owner's own, as the gather path
 * ({@code Transformer.attend}) adds them. Heads the query-lane kernels take (hd 32 and, with AVX-512, hd 64: bench-s
 * and bench-m) and heads the register-blocked key-lane loops take (others whose width is whole vector pairs); the
 * unblocked loops keep the gather path ({@link #alignment}).
 */
final class SharedPromptAttention {
    private SharedPromptAttention() {}

    /** {@code -Dgrpo4j.attention.sharedDirect=false}: the gather path for every head (the A/B switch of the benchmarks). */
    static final boolean DIRECT = !"false".equals(System.getProperty("grpo4j.attention.sharedDirect"));

    /**
     * The query block the kernels keep whole (the query-lane kernels' {@link AttentionByQueryLanes#QB}; 1 for the
     * register-blocked key-lane loops), or 0 where these heads take the gather path (the unblocked loops, {@code keyGroups=false}).
     */
    static int alignment(int hd) {
        if (!DIRECT) return 0;
        if (Attention.queryLanes(hd)) return AttentionByQueryLanes.KEY_GROUPS ? AttentionByQueryLanes.QB : 0;
        return Attention.BLOCKED && hd % (2 * VectorMath.W) == 0 ? 1 : 0;
    }

    private static final int F = SharedPromptLayout.FIELDS;

    /** Per thread: [0] a later sequence's rows (its group's queries, key, value), [1] its key/value gradients. */
    private static final ThreadLocal<float[][]> TILES = ThreadLocal.withInitial(() -> new float[2][0]);

    private static float[] tile(int slot, int n) {
        float[][] s = TILES.get();
        if (s[slot].length < n) s[slot] = new float[Math.max(n, s[slot].length * 3 / 2)];
        return s[slot];
    }

    static void forward(float[] out, int oo, float[] probs, int po, float[] qkv, int io, int[] seq, int batch, int meanLength,
                        int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long mean = meanLength;
        Parallel.forRange(batch * kvHeads, Parallel.grain(mean * mean * hd * group), (from, to) -> {
            for (int task = from; task < to; task++) {
                int b = task / kvHeads, kvh = task % kvHeads, f = b * F;
                int base = seq[f], P = seq[f + 1], T = seq[f + 3], q0 = seq[f + 4], pStart = seq[f + 5];
                int kCol = heads * hd + kvh * hd, vCol = kCol + kvHeads * hd, xw = (group + 2) * hd;
                float[] x = P == 0 ? null : gather(seq, f, qkv, io, width, kvh * group * hd, kCol, vCol, group, hd);
                if (!Attention.queryLanes(hd)) {
                    keyLanes(out, oo + base * outWidth + kvh * group * hd, outWidth, probs, probs == null ? 0 : po + pStart, x == null ? qkv : x,
                            x == null ? io + base * width : 0, x == null ? width : xw, x == null ? kvh * group * hd : 0,
                            x == null ? kCol : group * hd, x == null ? vCol : (group + 1) * hd, kvh * group, group, T, q0, hd, scale);
                    continue;
                }
                for (int j = 0; j < group; j++) {
                    int h = kvh * group + j, p = probs == null ? 0 : po + pStart + h * (T - q0) * T, o = oo + base * outWidth + h * hd;
                    if (P == 0) AttentionByQueryLanes.forward(out, o, outWidth, probs, p, qkv, io + base * width, width, h * hd, kCol, vCol, T, hd, scale);
                    else AttentionByQueryLanes.forward(out, o, outWidth, probs, p, x, 0, xw, j * hd, group * hd, (group + 1) * hd, T, q0, P, hd, scale);
                }
            }
        });
    }

    /**
     * {@link Attention}'s register-blocked forward of the {@code group} heads from {@code h0} (outputs from {@code o}, {@code hd}
     * apart) over rows at {@code x[xo + t·width]} (the group's queries from {@code xq}, key {@code xk}, value {@code xv}).
     */
    private static void keyLanes(float[] out, int o, int os, float[] probs, int po, float[] x, int xo, int width, int xq, int xk, int xv,
                                 int h0, int group, int T, int q0, int hd, float scale) {
        int Tp = (T + VectorMath.W - 1) / VectorMath.W * VectorMath.W;
        float[] kt = Scratch.floats(0, hd * Tp), sc = Scratch.floats(1, Attention.R * Tp), qs = Scratch.floats(2, Attention.R * hd);
        Attention.transpose(kt, Tp, x, xo + xk, width, T, hd);
        for (int j = 0; j < group; j++) {
            int p0 = probs == null ? 0 : po + (h0 + j) * (T - q0) * T - q0 * T;
            Attention.blockedForward(out, o + j * hd, os, probs, p0, x, xo + xq + j * hd, xo + xv, width, kt, Tp, sc, qs, T, q0, hd, scale);
        }
    }

    /**
     * The rows of sequence {@code f / F} one kv head reads, into tile 0: {@code [queries of its group | key | value]} per
     * token ({@code (group + 2)·hd} floats), the prompt's keys and values from its owner's rows, queries from its first query on.
     */
    private static float[] gather(int[] seq, int f, float[] qkv, int io, int width, int qCol, int kCol, int vCol, int group, int hd) {
        int base = seq[f], P = seq[f + 1], pRow = seq[f + 2], T = seq[f + 3], q0 = seq[f + 4], xw = (group + 2) * hd;
        float[] x = tile(0, T * xw);
        for (int t = 0; t < T; t++) {
            int src = io + (t < P ? pRow + t : base + t) * width, dst = t * xw;
            if (t >= q0) System.arraycopy(qkv, src + qCol, x, dst, group * hd);
            System.arraycopy(qkv, src + kCol, x, dst + group * hd, hd);
            System.arraycopy(qkv, src + vCol, x, dst + (group + 1) * hd, hd);
        }
        return x;
    }

    static void backward(float[] dQkv, int dqo, float[] dOut, int doo, float[] qkv, int io, float[] probs, int po, int[] seq,
                         int[] units, int unitCount, int meanLength, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long mean = meanLength, perUnit = Math.max(1, (units[unitCount] - units[0]) / Math.max(1, unitCount));
        Parallel.forRange(unitCount * kvHeads, Parallel.grain(2 * mean * mean * hd * group * perUnit), (from, to) -> {
            for (int task = from; task < to; task++) {
                int u = task / kvHeads, kvh = task % kvHeads;
                int kCol = heads * hd + kvh * hd, vCol = kCol + kvHeads * hd;
                for (int i = units[u]; i < units[u + 1]; i++) {
                    int f = units[unitCount + 1 + i] * F;
                    if (seq[f + 1] == 0) owner(dQkv, dqo, dOut, doo, qkv, io, probs, po, seq, f, kvh, kCol, vCol, width, outWidth, group, hd, scale);
                    else reader(dQkv, dqo, dOut, doo, qkv, io, probs, po, seq, f, kvh, kCol, vCol, width, outWidth, group, hd, scale);
                }
            }
        });
    }

    /** A sequence that packs all its rows: {@link Attention#backward}'s query-lane step on them as they are. */
    private static void owner(float[] dQkv, int dqo, float[] dOut, int doo, float[] qkv, int io, float[] probs, int po, int[] seq, int f,
                              int kvh, int kCol, int vCol, int width, int outWidth, int group, int hd, float scale) {
        int base = seq[f], T = seq[f + 3], pStart = seq[f + 5];
        for (int s = 0; s < T; s++) {
            int row = dqo + (base + s) * width;
            java.util.Arrays.fill(dQkv, row + kCol, row + kCol + hd, 0f);
            java.util.Arrays.fill(dQkv, row + vCol, row + vCol + hd, 0f);
        }
        int r0 = base * width;
        if (!Attention.queryLanes(hd)) {
            keyLanesBackward(dQkv, dqo + r0 + kvh * group * hd, width, dQkv, dqo + r0 + kCol, dqo + r0 + vCol, width, dOut,
                    doo + base * outWidth + kvh * group * hd, outWidth, qkv, io + r0, width, kvh * group * hd, kCol, vCol, probs, po + pStart,
                    kvh * group, group, T, 0, hd, scale);
            return;
        }
        for (int h = kvh * group; h < (kvh + 1) * group; h++)
            AttentionByQueryLanes.backwardByKeyGroups(dQkv, dqo + r0 + h * hd, dqo + r0 + kCol, dqo + r0 + vCol,
                    dOut, doo + base * outWidth + h * hd, outWidth, qkv, io + r0, width, h * hd, kCol, vCol,
                    probs, po + pStart + h * T * T, T, hd, scale);
    }

    /** {@link Attention}'s register-blocked backward of the {@code group} heads from {@code h0} (as {@link #keyLanes} lays them out). */
    private static void keyLanesBackward(float[] dQ, int dq, int dqs, float[] dKV, int dk, int dv, int kvs, float[] dOut, int d, int dos,
                                         float[] x, int xo, int width, int xq, int xk, int xv, float[] probs, int po, int h0, int group,
                                         int T, int q0, int hd, float scale) {
        int Tp = (T + VectorMath.W - 1) / VectorMath.W * VectorMath.W;
        float[] vt = Scratch.floats(0, hd * Tp), dp = Scratch.floats(1, Attention.R * Tp), ds = Scratch.floats(2, T * Tp);
        Attention.transpose(vt, Tp, x, xo + xv, width, T, hd);
        for (int j = 0; j < group; j++)
            Attention.blockedBackward(dQ, dq + j * hd, dqs, dKV, dk, dv, kvs, dOut, d + j * hd, dos, x, xo + xq + j * hd, xo + xk, width,
                    probs, po + (h0 + j) * (T - q0) * T - q0 * T, vt, dp, ds, Tp, T, q0, hd, scale);
    }

    /**
     * A sequence reading another's prompt: dQ of its own rows stored; its keys' and values' gradients summed in tile 1,
     * then added into the prompt's rows (after the owner's and earlier readers') and stored into its own rows.
     */
    private static void reader(float[] dQkv, int dqo, float[] dOut, int doo, float[] qkv, int io, float[] probs, int po, int[] seq, int f,
                               int kvh, int kCol, int vCol, int width, int outWidth, int group, int hd, float scale) {
        int base = seq[f], P = seq[f + 1], pRow = seq[f + 2], T = seq[f + 3], q0 = seq[f + 4], pStart = seq[f + 5];
        int xw = (group + 2) * hd, kv = 2 * hd;
        float[] x = gather(seq, f, qkv, io, width, kvh * group * hd, kCol, vCol, group, hd);
        float[] g = tile(1, T * kv);
        java.util.Arrays.fill(g, 0, T * kv, 0f);
        if (!Attention.queryLanes(hd))
            keyLanesBackward(dQkv, dqo + base * width + kvh * group * hd, width, g, 0, hd, kv, dOut, doo + base * outWidth + kvh * group * hd,
                    outWidth, x, 0, xw, 0, group * hd, (group + 1) * hd, probs, po + pStart, kvh * group, group, T, q0, hd, scale);
        else for (int j = 0; j < group; j++) {
            int h = kvh * group + j;
            AttentionByQueryLanes.backwardByKeyGroups(dQkv, dqo + base * width + h * hd, width, g, 0, hd, kv,
                    dOut, doo + base * outWidth + h * hd, outWidth, x, 0, xw, j * hd, group * hd, (group + 1) * hd,
                    probs, po + pStart + h * (T - q0) * T, T, q0, P, hd, scale);
        }
        for (int s = 0; s < T; s++) {
            int row = dqo + (s < P ? pRow + s : base + s) * width, c = s * kv;
            if (s < P) {
                for (int i = 0; i < hd; i++) {
                    dQkv[row + kCol + i] += g[c + i];
                    dQkv[row + vCol + i] += g[c + hd + i];
                }
            } else {
                System.arraycopy(g, c, dQkv, row + kCol, hd);
                System.arraycopy(g, c + hd, dQkv, row + vCol, hd);
            }
        }
    }
}
