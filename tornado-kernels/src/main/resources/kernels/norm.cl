// RMSNorm over rows of width dim, and Qwen3's per-head variant on fused QKV rows [q heads | k heads | v heads].
//   forward   out = w * x * rstd,  rstd = 1/sqrt(mean(x^2) + eps)   (rstd saved for the backward)
//   backward  dx += rstd * (dout*w - x * c),  c = rstd^2/dim * sum(dout*w*x);   dw += sum_rows dout*x*rstd
// Row kernels use one work-group of WG items per row; weight gradients use one work-item per column that adds
// the rows in order, so every sum is deterministic.

// the work-group's row x: rstd = 1/sqrt(mean(x^2) + eps), returned to every item and saved by item 0
float row_rstd(__global const float* x, const int dim, const float eps, __global float* rstd, __local float* scratch) {
    float ss = 0.0f;
    for (int j = get_local_id(0); j < dim; j += WG) ss = fma(x[j], x[j], ss);
    ss = group_sum(ss, scratch);
    const float s = 1.0f / sqrt(ss / dim + eps);
    if (get_local_id(0) == 0) *rstd = s;
    return s;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void rmsnorm_forward(__global float* out, const int oo, __global float* rstd, const int ro,
                     __global const float* in, const int io, __global const float* w, const int wo,
                     const int dim, const float eps) {
    __local float scratch[WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = in + io + r * dim;
    const float s = row_rstd(x, dim, eps, rstd + ro + r, scratch);
    __global float* o = out + oo + r * dim;
    for (int j = lid; j < dim; j += WG) o[j] = x[j] * s * w[wo + j];
}

// rmsnorm_forward that also copies its input rows into copy (the training forward's residual views)
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void rmsnorm_copy_forward(__global float* out, const int oo, __global float* rstd, const int ro,
                          __global float* copy, const int co, __global const float* in, const int io,
                          __global const float* w, const int wo, const int dim, const float eps) {
    __local float scratch[WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = in + io + r * dim;
    const float s = row_rstd(x, dim, eps, rstd + ro + r, scratch);
    __global float* o = out + oo + r * dim;
    __global float* k = copy + co + r * dim;
    for (int j = lid; j < dim; j += WG) {
        const float v = x[j];
        o[j] = v * s * w[wo + j];
        k[j] = v;
    }
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void rmsnorm_backward_input(__global float* dIn, const int dio, __global const float* dOut, const int doo,
                            __global const float* in, const int io, __global const float* w, const int wo,
                            __global const float* rstd, const int ro, const int dim) {
    __local float scratch[WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = in + io + r * dim;
    __global const float* d = dOut + doo + r * dim;
    float dot = 0.0f;
    for (int j = lid; j < dim; j += WG) dot += d[j] * w[wo + j] * x[j];
    dot = group_sum(dot, scratch);
    const float s = rstd[ro + r];
    const float c = dot * s * s / dim;
    __global float* g = dIn + dio + r * dim;
    for (int j = lid; j < dim; j += WG) g[j] += s * (d[j] * w[wo + j] - x[j] * c);
}

// Weight gradients are column sums over rows, split in two deterministic passes so a GPU has enough work-items:
// here one work-item per (block of rowsPerBlock rows, column) writes partial[block, column]; add_partials
// (elementwise.cl) then adds the blocks in order. A CPU driver uses a single block.
__kernel void rmsnorm_backward_weight(__global float* partial, __global const float* dOut, const int doo,
                                      __global const float* in, const int io, __global const float* rstd, const int ro,
                                      const int rows, const int dim, const int rowsPerBlock) {
    const int item = get_global_id(0);
    const int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
    if (item >= blocks * dim) return;
    const int j = item % dim, r0 = (item / dim) * rowsPerBlock, r1 = min(rows, r0 + rowsPerBlock);
    float acc = 0.0f;
    for (int r = r0; r < r1; r++) acc += dOut[doo + r * dim + j] * in[io + r * dim + j] * rstd[ro + r];
    partial[item] = acc;
}

// one work-item per (row, head): q and k heads are normalised, v heads copied
__kernel void qknorm_forward(__global float* out, const int oo, __global float* rstd, const int ro,
                             __global const float* qkv, const int io, __global const float* qw, const int qwo,
                             __global const float* kw, const int kwo, const int rows, const int heads,
                             const int kvHeads, const int hd, const float eps) {
    const int all = heads + 2 * kvHeads, normed = heads + kvHeads, width = all * hd;
    const int item = get_global_id(0);
    if (item >= rows * all) return;
    const int r = item / all, h = item % all;
    __global const float* x = qkv + io + r * width + h * hd;
    __global float* o = out + oo + r * width + h * hd;
    if (h >= normed) {
        for (int j = 0; j < hd; j++) o[j] = x[j];
        return;
    }
    float ss = 0.0f;
    for (int j = 0; j < hd; j++) ss = fma(x[j], x[j], ss);
    const float s = 1.0f / sqrt(ss / hd + eps);
    rstd[ro + r * normed + h] = s;
    __global const float* w = h < heads ? qw + qwo : kw + kwo;
    for (int j = 0; j < hd; j++) o[j] = x[j] * s * w[j];
}

__kernel void qknorm_backward(__global float* dQkv, const int dqo, __global const float* dOut, const int doo,
                              __global const float* qkv, const int io, __global const float* qw, const int qwo,
                              __global const float* kw, const int kwo, __global const float* rstd, const int ro,
                              const int rows, const int heads, const int kvHeads, const int hd) {
    const int all = heads + 2 * kvHeads, normed = heads + kvHeads, width = all * hd;
    const int item = get_global_id(0);
    if (item >= rows * all) return;
    const int r = item / all, h = item % all, off = r * width + h * hd;
    __global const float* d = dOut + doo + off;
    __global float* g = dQkv + dqo + off;
    if (h >= normed) {
        for (int j = 0; j < hd; j++) g[j] = d[j];
        return;
    }
    __global const float* x = qkv + io + off;
    __global const float* w = h < heads ? qw + qwo : kw + kwo;
    const float s = rstd[ro + r * normed + h];
    float dot = 0.0f;
    for (int j = 0; j < hd; j++) dot += d[j] * w[j] * x[j];
    const float c = dot * s * s / hd;
    for (int j = 0; j < hd; j++) g[j] = s * (d[j] * w[j] - x[j] * c);
}

// partial[block, c]: c < hd is q-norm weight column c, hd <= c < 2hd k-norm weight column c-hd; rows, then heads,
// in order within the block
__kernel void qknorm_backward_weight(__global float* partial, __global const float* dOut, const int doo,
                                     __global const float* qkv, const int io, __global const float* rstd, const int ro,
                                     const int rows, const int heads, const int kvHeads, const int hd, const int rowsPerBlock) {
    const int item = get_global_id(0);
    const int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
    if (item >= blocks * 2 * hd) return;
    const int c = item % (2 * hd), which = c / hd, j = c % hd;
    const int r0 = (item / (2 * hd)) * rowsPerBlock, r1 = min(rows, r0 + rowsPerBlock);
    const int normed = heads + kvHeads, width = (heads + 2 * kvHeads) * hd;
    const int h0 = which == 0 ? 0 : heads, h1 = which == 0 ? heads : normed;
    float acc = 0.0f;
    for (int r = r0; r < r1; r++)
        for (int h = h0; h < h1; h++) {
            const int off = r * width + h * hd + j;
            acc += dOut[doo + off] * qkv[io + off] * rstd[ro + r * normed + h];
        }
    partial[item] = acc;
}
