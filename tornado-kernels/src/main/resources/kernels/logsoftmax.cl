// Log-softmax of vocabulary rows at a temperature, one work-group of WG items per row.
//   z_j = logits_j / T - max_j(logits_j) / T,   log Z = log sum_j exp(z_j)
//   logp = z_target - log Z,   entropy = log Z - sum_j p_j z_j   (the same shift on both sides)
//   lse = max + log Z (saved by the forward, so the backward is one pass: p_j = exp(logits_j / T - lse))
// backward, in place:  dlogits_j = dLogp * (1[j = target] - p_j) / T
// Exponent sums run in float: per-item partials, then a fixed-shape tree.

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void logsoftmax_gather(__global float* logp, const int lo, __global float* entropy, const int eo, const int hasEntropy,
                       __global float* lse, const int zo, const int hasLse,
                       __global const float* logits, const int xo, __global const int* targets, const int to,
                       const int vocab, const float inv) {
    __local float scratch[WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = logits + xo + r * vocab;
    float m = -INFINITY;
    for (int j = lid; j < vocab; j += WG) m = fmax(m, x[j]);
    const float max = group_max(m, scratch) * inv;
    float sum = 0.0f, weighted = 0.0f;
    for (int j = lid; j < vocab; j += WG) {
        const float z = x[j] * inv - max;
        const float e = exp(z);
        sum += e;
        weighted = fma(e, z, weighted);
    }
    sum = group_sum(sum, scratch);
    weighted = group_sum(weighted, scratch);
    if (lid == 0) {
        const float logZ = log(sum);
        logp[lo + r] = x[targets[to + r]] * inv - max - logZ;
        if (hasEntropy) entropy[eo + r] = logZ - weighted / sum;
        if (hasLse) lse[zo + r] = max + logZ;
    }
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void logsoftmax_backward(__global float* logits, const int xo, __global const float* lse, const int zo,
                         __global const float* dLogp, const int dlo, __global const int* targets, const int to,
                         const int vocab, const float inv) {
    const int r = get_group_id(0), lid = get_local_id(0);
    __global float* x = logits + xo + r * vocab;
    const float shift = lse[zo + r], g = dLogp[dlo + r] * inv;
    const int target = targets[to + r];
    for (int j = lid; j < vocab; j += WG) {
        float v = -g * exp(x[j] * inv - shift);
        if (j == target) v += g;
        x[j] = v;
    }
}
