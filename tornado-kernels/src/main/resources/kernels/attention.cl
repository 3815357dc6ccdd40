// Causal grouped-query attention over packed ragged sequences. Rows of all sequences are concatenated;
// sequence b owns rows [seqStart[b], seqStart[b+1]) and its probabilities [heads, T_b, T_b] start at probStart[b]
// (causal part only). A QKV row is [q (heads*hd) | k (kvHeads*hd) | v (kvHeads*hd)]; query head h reads kv
// head h / (heads/kvHeads); scale = 1/sqrt(hd), passed in so host and device use the same float.
//
// Backward, without atomics (every gradient element has exactly one writer, sums run in a fixed order):
//   attention_backward_q   one work-item per (row t, head h):  dP[s] = dO[t,h].V[s];  D = sum_s P[s] dP[s];
//                          dS[s] = P[s] (dP[s] - D) scale  (saved to a scratch the size of probs);  dQ[t,h] = sum_s dS[s] K[s]
//   attention_backward_kv  one work-item per (row s, kv head, element d):
//                          dK[s,d] = sum_{h in group} sum_{t>=s} dS[h,t,s] Q[t,h,d];  dV[s,d] = sum_h sum_t P[h,t,s] dO[t,h,d]

inline int sequence_of(__global const int* seqStart, const int batch, const int row) {
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
        __global const float* ks = k + s * width;
        float dot = 0.0f;
        for (int d = 0; d < hd; d++) dot = fma(q[d], ks[d], dot);
        const float score = dot * scale;
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
    __global float* o = out + oo + r * heads * hd + h * hd;
    for (int d = 0; d < hd; d++) {
        float acc = 0.0f;
        for (int s = 0; s <= t; s++) acc = fma(p[s], v[s * width + d], acc);
        o[d] = acc;
    }
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
        __global const float* vs = v + s * width;
        float dp = 0.0f;
        for (int e = 0; e < hd; e++) dp = fma(d[e], vs[e], dp);
        ds[s] = dp;
        D += dp * p[s];
    }
    for (int s = 0; s <= t; s++) ds[s] = p[s] * (ds[s] - D) * scale;
    __global float* dq = dQkv + dqo + r * width + h * hd;
    for (int e = 0; e < hd; e++) {
        float acc = 0.0f;
        for (int s = 0; s <= t; s++) acc = fma(ds[s], k[s * width + e], acc);
        dq[e] = acc;
    }
}

__kernel void attention_backward_kv(__global float* dQkv, const int dqo, __global const float* dS,
                                    __global const float* dOut, const int doo, __global const float* qkv, const int io,
                                    __global const float* probs, const int po, __global const int* seqStart,
                                    __global const int* probStart, const int batch, const int rows, const int heads,
                                    const int kvHeads, const int hd) {
    const int item = get_global_id(0);
    if (item >= rows * kvHeads * hd) return;
    const int e = item % hd, kvh = (item / hd) % kvHeads, row = item / (hd * kvHeads);
    const int b = sequence_of(seqStart, batch, row);
    const int start = seqStart[b], T = seqStart[b + 1] - start, s = row - start;
    const int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads, outWidth = heads * hd;
    float dk = 0.0f, dv = 0.0f;
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const int base = probStart[b] + h * T * T + s;
        for (int t = s; t < T; t++) {
            const int pi = base + t * T;
            dk = fma(dS[pi], qkv[io + (start + t) * width + h * hd + e], dk);
            dv = fma(probs[po + pi], dOut[doo + (start + t) * outWidth + h * hd + e], dv);
        }
    }
    __global float* g = dQkv + dqo + row * width + heads * hd + kvh * hd + e;
    g[0] = dk;
    g[kvHeads * hd] = dv;
}
