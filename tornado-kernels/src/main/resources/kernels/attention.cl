// Causal grouped-query attention over packed ragged sequences. Rows of all sequences are concatenated;
// sequence b owns rows [seqStart[b], seqStart[b+1]) and its probabilities [heads, T_b, T_b] start at probStart[b]
// (causal part only). A QKV row is [q (heads*hd) | k (kvHeads*hd) | v (kvHeads*hd)]; query head h reads kv
// head h / (heads/kvHeads); scale = 1/sqrt(hd), passed in so host and device use the same float.
//
// Backward, without atomics (every gradient element has exactly one writer, sums run in a fixed order):
//   attention_backward_q   one work-item per (row t, head h):  dP[s] = dO[t,h].V[s];  D = sum_s P[s] dP[s];
//                          dS[s] = P[s] (dP[s] - D) scale  (saved to a scratch the size of probs);  dQ[t,h] = sum_s dS[s] K[s]
//   attention_backward_kv  one work-item per (row s, kv head, VW elements d):
//                          dK[s,d] = sum_{h in group} sum_{t>=s} dS[h,t,s] Q[t,h,d];  dV[s,d] = sum_h sum_t P[h,t,s] dO[t,h,d]
//
// VW (1 or 8, compile-time) is the vector width along a head: the host compiles VW = 8 when head_dim is a
// multiple of 8 (every real model), so CPU drivers run float8 loops and GPUs issue 32-byte loads.

#ifndef VW
#define VW 1
#endif
#if VW == 8
typedef float8 floatv;
#define LOADV(p) vload8(0, (p))
#define STOREV(v, p) vstore8((v), 0, (p))
float hsumv(const float8 v) {
    const float4 q = v.lo + v.hi;
    return (q.x + q.y) + (q.z + q.w);
}
#else
typedef float floatv;
#define LOADV(p) (*(p))
#define STOREV(v, p) (*(p) = (v))
float hsumv(const float v) { return v; }
#endif

// q . k over one head
float head_dot(__global const float* q, __global const float* k, const int hd) {
    floatv acc = (floatv)(0.0f);
    for (int d = 0; d < hd; d += VW) acc = fma(LOADV(q + d), LOADV(k + d), acc);
    return hsumv(acc);
}

// o[:] = sum_{s <= t} w[s] * x[s*stride + :], one head wide
void weighted_rows(__global float* o, __global const float* w, __global const float* x, const int stride,
                          const int t, const int hd) {
    for (int d = 0; d < hd; d += VW) {
        floatv acc = (floatv)(0.0f);
        for (int s = 0; s <= t; s++) acc = fma((floatv)(w[s]), LOADV(x + s * stride + d), acc);
        STOREV(acc, o + d);
    }
}


int sequence_of(__global const int* seqStart, const int batch, const int row) {
    int lo = 0, hi = batch - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (seqStart[mid] <= row) lo = mid; else hi = mid - 1;
    }
    return lo;
}

__kernel void attention_forward(__global float* out, const int oo, __global float* probs, const int po,
                                __global const float* qkv, const int io, __global const int* seqStart,
                                __global const int* probStart, const int batch, const int rows, const int heads,
                                const int kvHeads, const int hd, const float scale) {
    const int item = get_global_id(0);
    if (item >= rows * heads) return;
    const int r = item / heads, h = item % heads;
    const int b = sequence_of(seqStart, batch, r);
    const int start = seqStart[b], T = seqStart[b + 1] - start, t = r - start;
    const int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads;
    __global const float* q = qkv + io + r * width + h * hd;
    __global const float* k = qkv + io + heads * hd + (h / group) * hd + start * width;
    __global const float* v = k + kvHeads * hd;
    __global float* p = probs + po + probStart[b] + (h * T + t) * T;
    float max = -INFINITY;
    for (int s = 0; s <= t; s++) {
        const float score = head_dot(q, k + s * width, hd) * scale;
        p[s] = score;
        max = fmax(max, score);
    }
    float sum = 0.0f;
    for (int s = 0; s <= t; s++) {
        const float e = exp(p[s] - max);
        p[s] = e;
        sum += e;
    }
    const float inv = 1.0f / sum;
    for (int s = 0; s <= t; s++) p[s] *= inv;
    weighted_rows(out + oo + r * heads * hd + h * hd, p, v, width, t, hd);
}

// attention_forward without a backward to follow: nothing saved. Two passes over the keys, as attention_cached:
// the scores' maximum, then exp-weighted values summed into the output row, normalised at the end.
__kernel void attention_forward_nograd(__global float* out, const int oo, __global const float* qkv, const int io,
                                       __global const int* seqStart, const int batch, const int rows, const int heads,
                                       const int kvHeads, const int hd, const float scale) {
    const int item = get_global_id(0);
    if (item >= rows * heads) return;
    const int r = item / heads, h = item % heads;
    const int b = sequence_of(seqStart, batch, r);
    const int start = seqStart[b], t = r - start;
    const int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads;
    __global const float* q = qkv + io + r * width + h * hd;
    __global const float* k = qkv + io + heads * hd + (h / group) * hd + start * width;
    __global const float* v = k + kvHeads * hd;
    float max = -INFINITY;
    for (int s = 0; s <= t; s++) max = fmax(max, head_dot(q, k + s * width, hd) * scale);
    __global float* o = out + oo + r * heads * hd + h * hd;
    for (int d = 0; d < hd; d += VW) STOREV((floatv)(0.0f), o + d);
    float sum = 0.0f;
    for (int s = 0; s <= t; s++) {
        const float w = exp(head_dot(q, k + s * width, hd) * scale - max);
        sum += w;
        for (int d = 0; d < hd; d += VW) STOREV(fma((floatv)(w), LOADV(v + s * width + d), LOADV(o + d)), o + d);
    }
    const float inv = 1.0f / sum;
    for (int d = 0; d < hd; d += VW) STOREV(LOADV(o + d) * inv, o + d);
}

__kernel void attention_backward_q(__global float* dQkv, const int dqo, __global float* dS,
                                   __global const float* dOut, const int doo, __global const float* qkv, const int io,
                                   __global const float* probs, const int po, __global const int* seqStart,
                                   __global const int* probStart, const int batch, const int rows, const int heads,
                                   const int kvHeads, const int hd, const float scale) {
    const int item = get_global_id(0);
    if (item >= rows * heads) return;
    const int r = item / heads, h = item % heads;
    const int b = sequence_of(seqStart, batch, r);
    const int start = seqStart[b], T = seqStart[b + 1] - start, t = r - start;
    const int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads;
    __global const float* k = qkv + io + heads * hd + (h / group) * hd + start * width;
    __global const float* v = k + kvHeads * hd;
    __global const float* d = dOut + doo + r * heads * hd + h * hd;
    const int pi = probStart[b] + (h * T + t) * T;
    __global const float* p = probs + po + pi;
    __global float* ds = dS + pi;
    float D = 0.0f;
    for (int s = 0; s <= t; s++) {
        const float dp = head_dot(d, v + s * width, hd);
        ds[s] = dp;
        D += dp * p[s];
    }
    for (int s = 0; s <= t; s++) ds[s] = p[s] * (ds[s] - D) * scale;
    weighted_rows(dQkv + dqo + r * width + h * hd, ds, k, width, t, hd);
}

__kernel void attention_backward_kv(__global float* dQkv, const int dqo, __global const float* dS,
                                    __global const float* dOut, const int doo, __global const float* qkv, const int io,
                                    __global const float* probs, const int po, __global const int* seqStart,
                                    __global const int* probStart, const int batch, const int rows, const int heads,
                                    const int kvHeads, const int hd) {
    const int chunks = hd / VW;
    const int item = get_global_id(0);
    if (item >= rows * kvHeads * chunks) return;
    const int e = (item % chunks) * VW, kvh = (item / chunks) % kvHeads, row = item / (chunks * kvHeads);
    const int b = sequence_of(seqStart, batch, row);
    const int start = seqStart[b], T = seqStart[b + 1] - start, s = row - start;
    const int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads, outWidth = heads * hd;
    floatv dk = (floatv)(0.0f), dv = (floatv)(0.0f);
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const int base = probStart[b] + h * T * T + s;
        for (int t = s; t < T; t++) {
            const int pi = base + t * T;
            dk = fma((floatv)(dS[pi]), LOADV(qkv + io + (start + t) * width + h * hd + e), dk);
            dv = fma((floatv)(probs[po + pi]), LOADV(dOut + doo + (start + t) * outWidth + h * hd + e), dv);
        }
    }
    __global float* g = dQkv + dqo + row * width + heads * hd + kvh * hd + e;
    STOREV(dk, g);
    STOREV(dv, g + kvHeads * hd);
}

// ---------------------------------------------------------------- generation: KV cache

// k and v heads of fused QKV row r go to row slots[r] of the caches ([cacheRows, kvHeads*hd] each)
__kernel void kv_store(__global float* kCache, const int ko, __global float* vCache, const int vo,
                       __global const float* qkv, const int io, __global const int* slots, const int rows,
                       const int heads, const int kvHeads, const int hd) {
    const int kvDim = kvHeads * hd;
    const int item = get_global_id(0);
    if (item >= rows * kvDim) return;
    const int r = item / kvDim, e = item % kvDim;
    const int src = io + r * (heads + 2 * kvHeads) * hd + heads * hd + e, dst = slots[r] * kvDim + e;
    kCache[ko + dst] = qkv[src];
    vCache[vo + dst] = qkv[src + kvDim];
}

// One work-item per (query row, head) over two runs of cache rows: [seg[4r], +seg[4r+1]) then [seg[4r+2], +seg[4r+3]).
// Two passes over the keys, no scratch: the scores' maximum, then exp-weighted values summed into the output row
// (normalised at the end), so contexts of any length need no buffer.
__kernel void attention_cached(__global float* out, const int oo, __global const float* qkv, const int io,
                               __global const float* kCache, const int ko, __global const float* vCache, const int vo,
                               __global const int* seg, const int rows, const int heads, const int kvHeads, const int hd,
                               const float scale) {
    const int item = get_global_id(0);
    if (item >= rows * heads) return;
    const int r = item / heads, h = item % heads, kvDim = kvHeads * hd, kvh = h / (heads / kvHeads);
    const int aStart = seg[4 * r], aLen = seg[4 * r + 1], bStart = seg[4 * r + 2], bLen = seg[4 * r + 3], T = aLen + bLen;
    __global const float* q = qkv + io + r * (heads + 2 * kvHeads) * hd + h * hd;
    __global const float* k = kCache + ko + kvh * hd;
    __global const float* v = vCache + vo + kvh * hd;
    float max = -INFINITY;
    for (int t = 0; t < T; t++) {
        const int slot = t < aLen ? aStart + t : bStart + t - aLen;
        max = fmax(max, head_dot(q, k + slot * kvDim, hd) * scale);
    }
    __global float* o = out + oo + r * heads * hd + h * hd;
    for (int d = 0; d < hd; d += VW) STOREV((floatv)(0.0f), o + d);
    float sum = 0.0f;
    for (int t = 0; t < T; t++) {
        const int slot = t < aLen ? aStart + t : bStart + t - aLen;
        const float w = exp(head_dot(q, k + slot * kvDim, hd) * scale - max);
        sum += w;
        __global const float* vs = v + slot * kvDim;
        for (int d = 0; d < hd; d += VW) STOREV(fma((floatv)(w), LOADV(vs + d), LOADV(o + d)), o + d);
    }
    const float inv = 1.0f / sum;
    for (int d = 0; d < hd; d += VW) STOREV(LOADV(o + d) * inv, o + d);
}
