package org.grpo4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of query rows over a KV cache (generation): each row reads a shared prefix run of cache rows (its
 * prompt) and its own run (its generated tokens). One task per (row, kv head) handles every query head of the group.
 *
 * <p>The CPU backend keeps the k cache transposed in tiles: per kv head, each block of {@code W} slots (one vector) is
 * a {@code [hd][W]} tile, {@code [kvHeads][cacheRows / W][hd][W]}, and the slots past the last whole tile a
 * {@code [hd][rest]} one. The scores of a run of keys are then {@code Σ_i q[i] · kᵀ[i, run]}, vectorised across keys
 * with no horizontal reductions, and a vector of keys reads one contiguous tile (a {@code [hd, cacheRows]} layout read
 * {@code hd} lines a page apart, which the prefetchers do not follow: twice the time once the cache has left L2).
 * Keys before a run's first whole tile are done one at a time, with the same fused multiply-adds in the same order.
 * The probabilities times v accumulate per lane-chunk of the head in registers. The v cache is row-major
 * {@code [cacheRows, kvHeads·hd]}.
 */
final class DecodeAttention {
    private DecodeAttention() {}

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int W = VectorMath.W;

    /** Scores of one task ({@code group × keys}); grows to the longest context seen, then is reused. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[1024]);

    static void store(float[] k, int ko, int cacheRows, float[] v, int vo, float[] qkv, int io, int[] slots, int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, kvDim = kvHeads * hd, full = cacheRows - cacheRows % W;
        for (int r = 0; r < rows; r++) {
            int src = io + r * width + heads * hd, slot = slots[r], step = dimStride(slot, full, cacheRows);
            for (int h = 0; h < kvHeads; h++) {
                int at = ko + h * hd * cacheRows + keyAt(slot, full, hd);
                for (int i = 0; i < hd; i++) k[at + i * step] = qkv[src + h * hd + i];
            }
            System.arraycopy(qkv, src + kvDim, v, vo + slot * kvDim, kvDim);
        }
    }

    /** Where dimension 0 of slot {@code slot}'s key sits in its kv head's tiles ({@code full}: the slots in whole tiles). */
    static int keyAt(int slot, int full, int hd) {
        return slot < full ? (slot - slot % W) * hd + slot % W : full * hd + slot - full;
    }

    /** Keys of the run {@code [start, start + len)} before its first whole tile (all of them past the whole tiles). */
    private static int keysBeforeTile(int start, int len, int full) {
        return Math.min(len, start >= full ? len : (W - start % W) % W);
    }

    /** Where the run's keys in whole tiles end (at {@link #keysBeforeTile} when none are). */
    private static int wholeTileEnd(int start, int len, int full) {
        return Math.max(keysBeforeTile(start, len, full), Math.min(len, full - start));
    }

    /** How far apart a key's dimensions are: a whole tile's {@code W}, or the last partial tile's width. */
    static int dimStride(int slot, int full, int cacheRows) {
        return slot < full ? W : cacheRows - full;
    }

    /** Most rows one task takes when they share their prefix run (a group's samples); more are split into further tasks. */
    static final int MAX_BLOCK = 16;

    /** The shared-prefix kernels; {@code -Dgrpo4j.decode.shared=false} runs every row on its own (the A/B switch of the benchmarks). */
    static final boolean SHARED = !"false".equals(System.getProperty("grpo4j.decode.shared"));

    /** The row blocks of the calling thread's last call: block {@code b} is rows {@code [blocks[b], blocks[b+1])}. */
    private static final ThreadLocal<int[]> BLOCKS = ThreadLocal.withInitial(() -> new int[65]);

    static void forward(float[] out, int oo, float[] qkv, int io, float[] k, int ko, int cacheRows, float[] v, int vo, int[] seg,
                        int rows, int heads, int kvHeads, int hd) {
        if (!SHARED || hd % (2 * W) != 0) {
            forwardPerRow(out, oo, qkv, io, k, ko, cacheRows, v, vo, seg, rows, heads, kvHeads, hd);
            return;
        }
        long work = 0;
        for (int r = 0; r < rows; r++) {
            if (seg[4 * r + 1] + seg[4 * r + 3] == 0) throw new IllegalArgumentException("attention row " + r + " has no keys to attend to");
            work += (long) (seg[4 * r + 1] + seg[4 * r + 3]) * heads * hd;
        }
        // consecutive rows with the same prefix run (the samples of one prompt) form a block: its keys and values are read once for all
        int[] blocks = BLOCKS.get();
        if (blocks.length < rows + 1) BLOCKS.set(blocks = new int[Math.max(rows + 1, 2 * blocks.length)]);
        int nb = 0;
        for (int r = 0; r < rows; ) {
            int r2 = r + 1;
            while (r2 < rows && r2 - r < MAX_BLOCK && seg[4 * r2] == seg[4 * r] && seg[4 * r2 + 1] == seg[4 * r + 1]) r2++;
            blocks[nb++] = r;
            r = r2;
        }
        blocks[nb] = rows;
        final int[] bl = blocks;
        // a handful of short rows is cheaper on the calling thread than a hand-off to the pool
        int grain = work < (1 << 16) ? nb * kvHeads : 1;
        Parallel.forRange(nb * kvHeads, grain, (from, to) -> {
            for (int item = from; item < to; item++)
                block(out, oo, qkv, io, k, ko, cacheRows, v, vo, seg, bl[item / kvHeads], bl[item / kvHeads + 1], item % kvHeads, heads, kvHeads, hd);
        });
    }

    /**
     * Rows {@code [r0, r1)}, which share their prefix run, for kv head {@code kvh}: the scores of all their queries against the
     * prefix keys (read once), each row's against its own keys, the training forward's softmax, then the probabilities times
     * the prefix values (read once) and each row's own values. Each score sums its head dimension in order from the scaled
     * query and each output lane its keys in order, as the training forward does ({@link Attention#rowsAlongKeys},
     * {@link Attention#rowsWeighted}), so decode and the full forward round alike.
     */
    private static void block(float[] out, int oo, float[] qkv, int io, float[] k, int ko, int cacheRows, float[] v, int vo, int[] seg,
                              int r0, int r1, int kvh, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int aStart = seg[4 * r0], aLen = seg[4 * r0 + 1], maxB = 0;
        for (int r = r0; r < r1; r++) maxB = Math.max(maxB, seg[4 * r + 3]);
        // a run's vectors start on its first whole tile, up to W keys in: each part has W more floats of padding
        int nq = (r1 - r0) * group, stride = roundUp(aLen, 4 * W) + roundUp(maxB, 4 * W) + 2 * W;
        float[] s = Scratch.floats(0, nq * stride), qs = Scratch.floats(1, nq * hd);
        for (int j = 0; j < nq; j++) { // query j: row r0 + j / group, head kvh·group + j % group
            int q = io + (r0 + j / group) * width + (kvh * group + j % group) * hd;
            for (int i = 0; i < hd; i += W) FloatVector.fromArray(F, qkv, q + i).mul(scale).intoArray(qs, j * hd + i);
        }
        int kRows = ko + kvh * hd * cacheRows;
        for (int j = 0; j < nq; j += 4)
            blockScores(s, j, Math.min(4, nq - j), stride, 0, qs, hd, k, kRows, cacheRows, aStart, aLen);
        for (int r = r0; r < r1; r++)
            for (int g = 0; g < group; g += 4) {
                int j = (r - r0) * group + g;
                blockScores(s, j, Math.min(4, group - g), stride, aLen, qs, hd, k, kRows, cacheRows, seg[4 * r + 2], seg[4 * r + 3]);
            }
        for (int j = 0; j < nq; j++) Attention.softmaxInPlace(s, j * stride, aLen + seg[4 * (r0 + j / group) + 3]);
        int vCol = vo + kvh * hd;
        for (int j = 0; j < nq; j += 4) {
            int n = Math.min(4, nq - j);
            for (int c = 0; c < hd; c += 2 * W) pvRows(out, oo, outWidth, hd, group, r0, kvh, j, n, c, s, stride, 0, v, vCol + aStart * kvDim + c, kvDim, aLen, false);
        }
        for (int r = r0; r < r1; r++)
            for (int g = 0; g < group; g += 4) {
                int j = (r - r0) * group + g, n = Math.min(4, group - g);
                for (int c = 0; c < hd; c += 2 * W)
                    pvRows(out, oo, outWidth, hd, group, r0, kvh, j, n, c, s, stride, aLen, v, vCol + seg[4 * r + 2] * kvDim + c, kvDim, seg[4 * r + 3], true);
            }
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /**
     * Queries {@code j0 .. j0+n} ({@code n ≤ 4}, scaled, rows of {@code qs}) against the {@code len} keys from cache slot
     * {@code start}: {@code s[j·stride + at + t]}. Four queries × four key vectors (whole tiles) per register block; a block's
     * vectors past the run are computed on other slots and land in the row's padding. Keys before the run's first whole
     * tile and in the cache's last partial tile are done one key at a time, with the same fused multiply-adds in the same order.
     */
    private static void blockScores(float[] s, int j0, int n, int stride, int at, float[] qs, int hd, float[] k, int kRows, int cacheRows,
                               int start, int len) {
        int full = cacheRows - cacheRows % W;
        int head = keysBeforeTile(start, len, full), vecEnd = wholeTileEnd(start, len, full);
        int x0 = j0 * hd, x1 = (j0 + Math.min(1, n - 1)) * hd, x2 = (j0 + Math.min(2, n - 1)) * hd, x3 = (j0 + Math.min(3, n - 1)) * hd;
        int s0 = j0 * stride + at, s1 = (j0 + Math.min(1, n - 1)) * stride + at, s2 = (j0 + Math.min(2, n - 1)) * stride + at,
                s3 = (j0 + Math.min(3, n - 1)) * stride + at;
        for (int t = head; t < vecEnd; t += 4 * W) {
            int c0 = kRows + (start + t) * hd, wt = W * hd;
            // vectors past the run or the whole tiles: the first one again (its results land in padding)
            int c1 = t + W < vecEnd ? c0 + wt : c0, c2 = t + 2 * W < vecEnd ? c0 + 2 * wt : c0, c3 = t + 3 * W < vecEnd ? c0 + 3 * wt : c0;
            if (n <= 2) scoreBlock2(s, s0 + t, s1 + t, qs, x0, x1, k, c0, c1, c2, c3, hd); // a row's two heads (own keys)
            else scoreBlock(s, s0 + t, s1 + t, s2 + t, s3 + t, qs, x0, x1, x2, x3, k, c0, c1, c2, c3, hd);
        }
        scalarKeys(s, s0, s1, s2, s3, qs, x0, x1, x2, x3, k, kRows, full, cacheRows, hd, start, 0, head);
        scalarKeys(s, s0, s1, s2, s3, qs, x0, x1, x2, x3, k, kRows, full, cacheRows, hd, start, vecEnd, len);
    }

    /** Keys {@code [from, to)} of a run one at a time: each score sums {@code i} in order with fused multiply-adds, as the vectors do. */
    private static void scalarKeys(float[] s, int s0, int s1, int s2, int s3, float[] qs, int x0, int x1, int x2, int x3, float[] k, int kRows,
                                   int full, int cacheRows, int hd, int start, int from, int to) {
        for (int t = from; t < to; t++) {
            int slot = start + t, col = kRows + keyAt(slot, full, hd), step = dimStride(slot, full, cacheRows);
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (int i = 0; i < hd; i++) {
                float kv = k[col + i * step];
                a0 = Math.fma(kv, qs[x0 + i], a0);
                a1 = Math.fma(kv, qs[x1 + i], a1);
                a2 = Math.fma(kv, qs[x2 + i], a2);
                a3 = Math.fma(kv, qs[x3 + i], a3);
            }
            s[s3 + t] = a3;
            s[s2 + t] = a2;
            s[s1 + t] = a1;
            s[s0 + t] = a0;
        }
    }

    /** Four queries × four key vectors (tiles {@code c0..c3}): 16 accumulators, each summing {@code i} in order. */
    private static void scoreBlock(float[] s, int s0, int s1, int s2, int s3, float[] qs, int x0, int x1, int x2, int x3,
                                   float[] k, int c0, int c1, int c2, int c3, int hd) {
        FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z,
                d0 = z, d1 = z, d2 = z, d3 = z, e0 = z, e1 = z, e2 = z, e3 = z;
        for (int i = 0; i < hd; i++) {
            int o = i * W;
            FloatVector k0 = FloatVector.fromArray(F, k, c0 + o), k1 = FloatVector.fromArray(F, k, c1 + o);
            FloatVector k2 = FloatVector.fromArray(F, k, c2 + o), k3 = FloatVector.fromArray(F, k, c3 + o);
            FloatVector q = FloatVector.broadcast(F, qs[x0 + i]);
            a0 = k0.fma(q, a0); a1 = k1.fma(q, a1); a2 = k2.fma(q, a2); a3 = k3.fma(q, a3);
            q = FloatVector.broadcast(F, qs[x1 + i]);
            b0 = k0.fma(q, b0); b1 = k1.fma(q, b1); b2 = k2.fma(q, b2); b3 = k3.fma(q, b3);
            q = FloatVector.broadcast(F, qs[x2 + i]);
            d0 = k0.fma(q, d0); d1 = k1.fma(q, d1); d2 = k2.fma(q, d2); d3 = k3.fma(q, d3);
            q = FloatVector.broadcast(F, qs[x3 + i]);
            e0 = k0.fma(q, e0); e1 = k1.fma(q, e1); e2 = k2.fma(q, e2); e3 = k3.fma(q, e3);
        }
        // the last query first: a repeated query (fewer than four) stores the same values last
        e0.intoArray(s, s3); e1.intoArray(s, s3 + W); e2.intoArray(s, s3 + 2 * W); e3.intoArray(s, s3 + 3 * W);
        d0.intoArray(s, s2); d1.intoArray(s, s2 + W); d2.intoArray(s, s2 + 2 * W); d3.intoArray(s, s2 + 3 * W);
        b0.intoArray(s, s1); b1.intoArray(s, s1 + W); b2.intoArray(s, s1 + 2 * W); b3.intoArray(s, s1 + 3 * W);
        a0.intoArray(s, s0); a1.intoArray(s, s0 + W); a2.intoArray(s, s0 + 2 * W); a3.intoArray(s, s0 + 3 * W);
    }

    /** {@link #scoreBlock} for two queries: eight accumulators, no work spent on repeated queries. */
    private static void scoreBlock2(float[] s, int s0, int s1, float[] qs, int x0, int x1, float[] k, int c0, int c1, int c2, int c3, int hd) {
        FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int i = 0; i < hd; i++) {
            int o = i * W;
            FloatVector k0 = FloatVector.fromArray(F, k, c0 + o), k1 = FloatVector.fromArray(F, k, c1 + o);
            FloatVector k2 = FloatVector.fromArray(F, k, c2 + o), k3 = FloatVector.fromArray(F, k, c3 + o);
            FloatVector q = FloatVector.broadcast(F, qs[x0 + i]);
            a0 = k0.fma(q, a0); a1 = k1.fma(q, a1); a2 = k2.fma(q, a2); a3 = k3.fma(q, a3);
            q = FloatVector.broadcast(F, qs[x1 + i]);
            b0 = k0.fma(q, b0); b1 = k1.fma(q, b1); b2 = k2.fma(q, b2); b3 = k3.fma(q, b3);
        }
        b0.intoArray(s, s1); b1.intoArray(s, s1 + W); b2.intoArray(s, s1 + 2 * W); b3.intoArray(s, s1 + 3 * W);
        a0.intoArray(s, s0); a1.intoArray(s, s0 + W); a2.intoArray(s, s0 + 2 * W); a3.intoArray(s, s0 + 3 * W);
    }

    /**
     * Head-dimension lanes {@code [c, c + 2W)} of queries {@code j0 .. j0+n} ({@code n ≤ 4}): {@code out (+)= Σ_t p[t] · v[t]} over
     * {@code len} value rows from {@code vb} ({@code ld} apart), the probabilities at {@code s[j·stride + at ..]}. Each value
     * vector is loaded once for the four queries; each lane sums its rows in order.
     */
    private static void pvRows(float[] out, int oo, int outWidth, int hd, int group, int r0, int kvh, int j0, int n, int c, float[] s, int stride, int at,
                               float[] v, int vb, int ld, int len, boolean accumulate) {
        int j1 = j0 + Math.min(1, n - 1), j2 = j0 + Math.min(2, n - 1), j3 = j0 + Math.min(3, n - 1);
        int o0 = outOffset(oo, outWidth, hd, group, r0, kvh, j0, c), o1 = outOffset(oo, outWidth, hd, group, r0, kvh, j1, c);
        int o2 = outOffset(oo, outWidth, hd, group, r0, kvh, j2, c), o3 = outOffset(oo, outWidth, hd, group, r0, kvh, j3, c);
        int p0 = j0 * stride + at, p1 = j1 * stride + at, p2 = j2 * stride + at, p3 = j3 * stride + at;
        if (n <= 2) {
            pvRows2(out, o0, o1, s, p0, p1, v, vb, ld, len, accumulate);
            return;
        }
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = accumulate ? FloatVector.fromArray(F, out, o0) : z, b0 = accumulate ? FloatVector.fromArray(F, out, o0 + W) : z;
        FloatVector a1 = accumulate ? FloatVector.fromArray(F, out, o1) : z, b1 = accumulate ? FloatVector.fromArray(F, out, o1 + W) : z;
        FloatVector a2 = accumulate ? FloatVector.fromArray(F, out, o2) : z, b2 = accumulate ? FloatVector.fromArray(F, out, o2 + W) : z;
        FloatVector a3 = accumulate ? FloatVector.fromArray(F, out, o3) : z, b3 = accumulate ? FloatVector.fromArray(F, out, o3 + W) : z;
        for (int t = 0; t < len; t++) {
            int x = vb + t * ld;
            FloatVector v0 = FloatVector.fromArray(F, v, x), v1 = FloatVector.fromArray(F, v, x + W);
            FloatVector p = FloatVector.broadcast(F, s[p0 + t]);
            a0 = v0.fma(p, a0); b0 = v1.fma(p, b0);
            p = FloatVector.broadcast(F, s[p1 + t]);
            a1 = v0.fma(p, a1); b1 = v1.fma(p, b1);
            p = FloatVector.broadcast(F, s[p2 + t]);
            a2 = v0.fma(p, a2); b2 = v1.fma(p, b2);
            p = FloatVector.broadcast(F, s[p3 + t]);
            a3 = v0.fma(p, a3); b3 = v1.fma(p, b3);
        }
        a3.intoArray(out, o3); b3.intoArray(out, o3 + W);
        a2.intoArray(out, o2); b2.intoArray(out, o2 + W);
        a1.intoArray(out, o1); b1.intoArray(out, o1 + W);
        a0.intoArray(out, o0); b0.intoArray(out, o0 + W);
    }

    /** {@link #pvRows} for two queries (a row's two heads over its own values). */
    private static void pvRows2(float[] out, int o0, int o1, float[] s, int p0, int p1, float[] v, int vb, int ld, int len, boolean accumulate) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = accumulate ? FloatVector.fromArray(F, out, o0) : z, b0 = accumulate ? FloatVector.fromArray(F, out, o0 + W) : z;
        FloatVector a1 = accumulate ? FloatVector.fromArray(F, out, o1) : z, b1 = accumulate ? FloatVector.fromArray(F, out, o1 + W) : z;
        for (int t = 0; t < len; t++) {
            int x = vb + t * ld;
            FloatVector v0 = FloatVector.fromArray(F, v, x), v1 = FloatVector.fromArray(F, v, x + W);
            FloatVector p = FloatVector.broadcast(F, s[p0 + t]);
            a0 = v0.fma(p, a0); b0 = v1.fma(p, b0);
            p = FloatVector.broadcast(F, s[p1 + t]);
            a1 = v0.fma(p, a1); b1 = v1.fma(p, b1);
        }
        a1.intoArray(out, o1); b1.intoArray(out, o1 + W);
        a0.intoArray(out, o0); b0.intoArray(out, o0 + W);
    }

    /** Where lanes {@code c..} of query {@code j} of a block (row {@code r0 + j / group}, head {@code kvh·group + j % group}) go. */
    private static int outOffset(int oo, int outWidth, int hd, int group, int r0, int kvh, int j, int c) {
        return oo + (r0 + j / group) * outWidth + (kvh * group + j % group) * hd + c;
    }

    /** Each (row, kv head) on its own: the path for head dimensions that are not a whole number of vector pairs. */
    static void forwardPerRow(float[] out, int oo, float[] qkv, int io, float[] k, int ko, int cacheRows, float[] v, int vo, int[] seg,
                              int rows, int heads, int kvHeads, int hd) {
        int width = (heads + 2 * kvHeads) * hd, outWidth = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        long work = 0;
        for (int r = 0; r < rows; r++) work += (long) (seg[4 * r + 1] + seg[4 * r + 3]) * heads * hd;
        // a handful of short rows is cheaper on the calling thread than a hand-off to the pool
        int grain = work < (1 << 16) ? rows * kvHeads : 1;
        Parallel.forRange(rows * kvHeads, grain, (from, to) -> {
            for (int item = from; item < to; item++) {
                int r = item / kvHeads, kvh = item % kvHeads;
                int aStart = seg[4 * r], aLen = seg[4 * r + 1], bStart = seg[4 * r + 2], bLen = seg[4 * r + 3];
                int T = aLen + bLen;
                if (T == 0) throw new IllegalArgumentException("attention row " + r + " has no keys to attend to");
                float[] s = scratch(group * T);
                int kRows = ko + kvh * hd * cacheRows, vCol = vo + kvh * hd;
                // the query heads of a kv group two at a time: each key and value vector is loaded once for both
                for (int g = 0; g < group; g += 2) {
                    int g1 = Math.min(g + 1, group - 1); // an odd last head pairs with itself (computed twice, stored once)
                    int q0 = io + r * width + (kvh * group + g) * hd, q1 = io + r * width + (kvh * group + g1) * hd;
                    int p0 = g * T, p1 = g1 * T;
                    scores(s, p0, p1, qkv, q0, q1, k, kRows, cacheRows, aStart, aLen, hd, scale);
                    scores(s, p0 + aLen, p1 + aLen, qkv, q0, q1, k, kRows, cacheRows, bStart, bLen, hd, scale);
                    // the training forward's softmax: the same sums in the same order, so decode and the full forward agree
                    Attention.softmaxInPlace(s, p0, T);
                    if (g1 != g) Attention.softmaxInPlace(s, p1, T);
                    int o0 = oo + r * outWidth + (kvh * group + g) * hd, o1 = oo + r * outWidth + (kvh * group + g1) * hd;
                    if (hd % W == 0) {
                        for (int c = 0; c < hd; c += W) {
                            int base = vCol + c;
                            pv(s, p0, p1, v, base + aStart * kvDim, kvDim, aLen, out, o0 + c, o1 + c, false);
                            pv(s, p0 + aLen, p1 + aLen, v, base + bStart * kvDim, kvDim, bLen, out, o0 + c, o1 + c, true);
                        }
                    } else {
                        for (int h = g; h <= g1; h++) {
                            int o = oo + r * outWidth + (kvh * group + h) * hd, p = h * T;
                            java.util.Arrays.fill(out, o, o + hd, 0f);
                            for (int t = 0; t < T; t++) {
                                int slot = t < aLen ? aStart + t : bStart + t - aLen;
                                VectorMath.axpy(out, o, s[p + t], v, vCol + slot * kvDim, hd);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code out[o0..o0+W) (+)= Σ_t s[p0 + t] · v[at + t·stride ..]}, and the same for head 1 ({@code p1}, {@code o1}) from
     * the same value vectors: four independent chains per head so the FMAs pipeline; no vector crosses a method
     * boundary (that would box it when the JIT does not inline).
     */
    private static void pv(float[] s, int p0, int p1, float[] v, int at, int stride, int len, float[] out, int o0, int o1, boolean accumulate) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = accumulate ? FloatVector.fromArray(F, out, o0) : z, a1 = z, a2 = z, a3 = z;
        FloatVector b0 = accumulate ? FloatVector.fromArray(F, out, o1) : z, b1 = z, b2 = z, b3 = z;
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            int x = at + t * stride;
            FloatVector v0 = FloatVector.fromArray(F, v, x), v1 = FloatVector.fromArray(F, v, x + stride);
            FloatVector v2 = FloatVector.fromArray(F, v, x + 2 * stride), v3 = FloatVector.fromArray(F, v, x + 3 * stride);
            a0 = v0.fma(FloatVector.broadcast(F, s[p0 + t]), a0);
            a1 = v1.fma(FloatVector.broadcast(F, s[p0 + t + 1]), a1);
            a2 = v2.fma(FloatVector.broadcast(F, s[p0 + t + 2]), a2);
            a3 = v3.fma(FloatVector.broadcast(F, s[p0 + t + 3]), a3);
            b0 = v0.fma(FloatVector.broadcast(F, s[p1 + t]), b0);
            b1 = v1.fma(FloatVector.broadcast(F, s[p1 + t + 1]), b1);
            b2 = v2.fma(FloatVector.broadcast(F, s[p1 + t + 2]), b2);
            b3 = v3.fma(FloatVector.broadcast(F, s[p1 + t + 3]), b3);
        }
        for (; t < len; t++) {
            FloatVector v0 = FloatVector.fromArray(F, v, at + t * stride);
            a0 = v0.fma(FloatVector.broadcast(F, s[p0 + t]), a0);
            b0 = v0.fma(FloatVector.broadcast(F, s[p1 + t]), b0);
        }
        b0.add(b1).add(b2.add(b3)).intoArray(out, o1); // head 1 first: an odd last head is its own pair (o1 == o0)
        a0.add(a1).add(a2.add(a3)).intoArray(out, o0);
    }

    /**
     * {@code s[p0 + t] = scale · Σ_i q0[i] · kᵀ[i, start + t]} for the {@code len} keys of one run, and the same for
     * query {@code q1} into {@code p1}: vectorised across the keys of whole tiles, each key vector loaded once for both
     * heads, the last partial vector of a run computed whole (inside its tile) and stored under a mask. Keys before the
     * run's first whole tile and in the cache's last partial tile are done one at a time with the vectors' arithmetic.
     */
    private static void scores(float[] s, int p0, int p1, float[] qkv, int q0, int q1, float[] k, int kRows, int cacheRows, int start, int len,
                               int hd, float scale) {
        int full = cacheRows - cacheRows % W;
        int head = keysBeforeTile(start, len, full), vecEnd = wholeTileEnd(start, len, full);
        for (int t = head; t < vecEnd; t += W) {
            int col = kRows + (start + t) * hd;
            FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
            int i = 0;
            for (; i + 4 <= hd; i += 4) {
                int o = col + i * W;
                FloatVector k0 = FloatVector.fromArray(F, k, o), k1 = FloatVector.fromArray(F, k, o + W);
                FloatVector k2 = FloatVector.fromArray(F, k, o + 2 * W), k3 = FloatVector.fromArray(F, k, o + 3 * W);
                a0 = k0.fma(FloatVector.broadcast(F, qkv[q0 + i]), a0);
                a1 = k1.fma(FloatVector.broadcast(F, qkv[q0 + i + 1]), a1);
                a2 = k2.fma(FloatVector.broadcast(F, qkv[q0 + i + 2]), a2);
                a3 = k3.fma(FloatVector.broadcast(F, qkv[q0 + i + 3]), a3);
                b0 = k0.fma(FloatVector.broadcast(F, qkv[q1 + i]), b0);
                b1 = k1.fma(FloatVector.broadcast(F, qkv[q1 + i + 1]), b1);
                b2 = k2.fma(FloatVector.broadcast(F, qkv[q1 + i + 2]), b2);
                b3 = k3.fma(FloatVector.broadcast(F, qkv[q1 + i + 3]), b3);
            }
            for (; i < hd; i++) {
                FloatVector k0 = FloatVector.fromArray(F, k, col + i * W);
                a0 = k0.fma(FloatVector.broadcast(F, qkv[q0 + i]), a0);
                b0 = k0.fma(FloatVector.broadcast(F, qkv[q1 + i]), b0);
            }
            FloatVector sa = a0.add(a1).add(a2.add(a3)).mul(scale), sb = b0.add(b1).add(b2.add(b3)).mul(scale);
            if (t + W <= vecEnd) {
                sb.intoArray(s, p1 + t);
                sa.intoArray(s, p0 + t);
            } else {
                VectorMask<Float> m = F.indexInRange(t, vecEnd);
                sb.intoArray(s, p1 + t, m);
                sa.intoArray(s, p0 + t, m);
            }
        }
        for (int part = 0; part < 2; part++) // the keys before the vectors, then those after them
            for (int t = part == 0 ? 0 : vecEnd, end = part == 0 ? head : len; t < end; t++) {
                int slot = start + t, col = kRows + keyAt(slot, full, hd), step = dimStride(slot, full, cacheRows);
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, b0 = 0f, b1 = 0f, b2 = 0f, b3 = 0f;
                int i = 0;
                for (; i + 4 <= hd; i += 4) {
                    float k0 = k[col + i * step], k1 = k[col + (i + 1) * step], k2 = k[col + (i + 2) * step], k3 = k[col + (i + 3) * step];
                    a0 = Math.fma(k0, qkv[q0 + i], a0);
                    a1 = Math.fma(k1, qkv[q0 + i + 1], a1);
                    a2 = Math.fma(k2, qkv[q0 + i + 2], a2);
                    a3 = Math.fma(k3, qkv[q0 + i + 3], a3);
                    b0 = Math.fma(k0, qkv[q1 + i], b0);
                    b1 = Math.fma(k1, qkv[q1 + i + 1], b1);
                    b2 = Math.fma(k2, qkv[q1 + i + 2], b2);
                    b3 = Math.fma(k3, qkv[q1 + i + 3], b3);
                }
                for (; i < hd; i++) {
                    float k0 = k[col + i * step];
                    a0 = Math.fma(k0, qkv[q0 + i], a0);
                    b0 = Math.fma(k0, qkv[q1 + i], b0);
                }
                s[p1 + t] = (b0 + b1 + (b2 + b3)) * scale;
                s[p0 + t] = (a0 + a1 + (a2 + a3)) * scale;
            }
    }

    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[Math.max(n, 2 * s.length)];
            SCRATCH.set(s);
        }
        return s;
    }
}
