// Helpers every kernel file shares; ClSession puts this text in front of each file (a #line directive keeps the
// compiler's line numbers those of the file itself). WG, the work-group size of the row-reduction kernels, is a
// compile-time define chosen per device (a power of two). Helpers are plain functions, never "inline": C99
// inline without static may leave no definition on some OpenCL compilers, and every compiler inlines them anyway.
#ifndef WG
#define WG 256
#endif

// The sum of v over the work-group, returned to every work-item; the tree has a fixed shape, so the result does
// not depend on scheduling. Every work-item of the group must call it.
float group_sum(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float group_max(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
