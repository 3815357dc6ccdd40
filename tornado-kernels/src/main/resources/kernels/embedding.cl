// Row gathers and their backward. Token ids are checked on the host before launch (it holds them anyway).

// out[i, j] = in[index[i], j]
__kernel void gather_rows(__global float* out, const int oo, __global const float* in, const int io,
                          __global const int* index, const int n, const int dim) {
    const int item = get_global_id(0);
    if (item >= n * dim) return;
    const int i = item / dim, j = item % dim;
    out[oo + item] = in[io + index[i] * dim + j];
}

// dIn[index[i], j] += dOut[i, j]; the indices are distinct, so no two work-items share an element
__kernel void scatter_add_rows(__global float* dIn, const int dio, __global const float* dOut, const int doo,
                               __global const int* index, const int n, const int dim) {
    const int item = get_global_id(0);
    if (item >= n * dim) return;
    const int i = item / dim, j = item % dim;
    dIn[dio + index[i] * dim + j] += dOut[doo + item];
}

// Embedding backward for repeated tokens, deterministic and atomic-free: the host groups the rows by token into
// groups = [tokens (distinct) | start (distinct + 1) | order (rows)]: tokens[u] is the u-th distinct token and its
// rows are order[start[u] .. start[u+1]) in increasing row order. One work-item per (distinct token, column)
// adds its rows in order, exactly as the CPU backend does.
__kernel void embedding_backward(__global float* dTable, const int dto, __global const float* dOut, const int doo,
                                 __global const int* groups, const int distinct, const int dim) {
    const int item = get_global_id(0);
    if (item >= distinct * dim) return;
    const int u = item / dim, j = item % dim;
    __global const int* tokens = groups;
    __global const int* start = groups + distinct;
    __global const int* order = groups + 2 * distinct + 1;
    __global float* d = dTable + dto + tokens[u] * dim + j;
    float acc = *d;
    for (int k = start[u]; k < start[u + 1]; k++) acc += dOut[doo + order[k] * dim + j];
    *d = acc;
}
