// Element-wise ops over flat ranges (offsets in floats), the SwiGLU activation, the AdamW step and the column
// sums of weight and bias gradients (partials per row block, then the blocks added in order).

__kernel void scale(__global float* x, const int xo, const int n, const float s) {
    const int i = get_global_id(0);
    if (i < n) x[xo + i] *= s;
}

__kernel void add(__global float* dst, const int dOff, __global const float* src, const int sOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) dst[dOff + i] += src[sOff + i];
}

// partial[g] = sum of x^2 over the g-th group's strided elements; the host adds the partials in double
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void sum_squares(__global float* partial, __global const float* x, const int xo, const int n) {
    __local float scratch[WG];
    float s = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) s = fma(x[xo + i], x[xo + i], s);
    s = group_sum(s, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = s;
}

// out[r, j] = silu(gate[r, j]) * up[r, j]  on rows [gate (F) | up (F)]
__kernel void swiglu_forward(__global float* out, const int oo, __global const float* gu, const int go,
                             const int rows, const int F) {
    const int i = get_global_id(0);
    if (i >= rows * F) return;
    const int r = i / F, j = i % F;
    const float x = gu[go + r * 2 * F + j];
    out[oo + i] = x / (1.0f + exp(-x)) * gu[go + r * 2 * F + F + j];
}

// d gate = dout * up * sig(g) * (1 + g (1 - sig(g))),  d up = dout * silu(g); overwrites, and writes the forward's
// output into out (what swiglu_forward writes: the backward recomputes it instead of keeping it)
__kernel void swiglu_backward(__global float* dgu, const int dgo, __global float* out, const int oo,
                              __global const float* dOut, const int doo, __global const float* gu, const int go,
                              const int rows, const int F) {
    const int i = get_global_id(0);
    if (i >= rows * F) return;
    const int r = i / F, j = i % F;
    const int g = r * 2 * F + j;
    const float x = gu[go + g], u = gu[go + g + F], d = dOut[doo + i];
    const float den = 1.0f + exp(-x), sig = 1.0f / den, silu = x / den;
    out[oo + i] = silu * u;
    dgu[dgo + g] = d * u * sig * (1.0f + x * (1.0f - sig));
    dgu[dgo + g + F] = d * silu;
}

// torch.optim.AdamW: decay = 1 - lr*wd, stepSize = lr / (1 - beta1^t), sqrtC2 = sqrt(1 - beta2^t) (host-computed)
__kernel void adamw(__global float* p, const int po, __global const float* g, const int go,
                    __global float* m, const int mo, __global float* v, const int vo, const int n,
                    const float beta1, const float beta2, const float eps, const float decay,
                    const float stepSize, const float sqrtC2) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float gi = g[go + i];
    const float mi = beta1 * m[mo + i] + (1.0f - beta1) * gi;
    const float vi = beta2 * v[vo + i] + (1.0f - beta2) * gi * gi;
    m[mo + i] = mi;
    v[vo + i] = vi;
    p[po + i] = p[po + i] * decay - stepSize * mi / (sqrt(vi) / sqrtC2 + eps);
}

// dW[j] += sum_b partial[pOff + b*stride + j], blocks in order: the second pass of the column sums
__kernel void add_partials(__global float* dW, const int dwo, __global const float* partial, const int pOff,
                           const int stride, const int blocks, const int n) {
    const int j = get_global_id(0);
    if (j >= n) return;
    float acc = 0.0f;
    for (int b = 0; b < blocks; b++) acc += partial[pOff + b * stride + j];
    dW[dwo + j] += acc;
}

// partial[block, j] = sum over the block's rows of dOut[r, j] (the bias gradient); add_partials finishes it
__kernel void bias_backward(__global float* partial, __global const float* dOut, const int doOff,
                            const int M, const int N, const int rowsPerBlock) {
    const int item = get_global_id(0);
    const int blocks = (M + rowsPerBlock - 1) / rowsPerBlock;
    if (item >= blocks * N) return;
    const int j = item % N, r0 = (item / N) * rowsPerBlock, r1 = min(M, r0 + rowsPerBlock);
    __global const float* d = dOut + doOff + j;
    float s = 0.0f;
    for (int r = r0; r < r1; r++) s += d[r * N];
    partial[item] = s;
}

// LoRA: dst[r, col0 + j] += s * src[r, j] for a rows x cols src inside rows of width ld
__kernel void add_columns(__global float* dst, const int dOff, const int ld, const int col0, __global const float* src, const int sOff,
                          const int rows, const int cols, const float s) {
    const int i = get_global_id(0);
    if (i >= rows * cols) return;
    const int r = i / cols, j = i % cols;
    dst[dOff + r * ld + col0 + j] += s * src[sOff + i];
}

// LoRA: dst[r, j] = src[r, col0 + j]
__kernel void copy_columns(__global float* dst, const int dOff, __global const float* src, const int sOff, const int ld, const int col0,
                           const int rows, const int cols) {
    const int i = get_global_id(0);
    if (i >= rows * cols) return;
    const int r = i / cols, j = i % cols;
    dst[dOff + i] = src[sOff + r * ld + col0 + j];
}

// Inverted dropout with the CPU backend's mask (org.grpo4j.backend.cpu.Dropout): element i is kept when the top 24
// bits of SplitMix64's finaliser of seed + (i + 1) * golden reach the threshold; out (+)= keep * x / (1 - p)
__kernel void dropout(__global float* out, const int oOff, __global const float* x, const int xOff, const ulong seed,
                      const int threshold, const float scale, const int n, const int accumulate) {
    const int i = get_global_id(0);
    if (i >= n) return;
    ulong z = seed + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    z ^= z >> 31;
    const float v = (int)(z >> 40) >= threshold ? x[xOff + i] * scale : 0.0f;
    out[oOff + i] = accumulate ? out[oOff + i] + v : v;
}
