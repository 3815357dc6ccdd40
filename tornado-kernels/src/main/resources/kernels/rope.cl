// Rotary position embedding, Hugging Face rotate-half layout, in place on the q and k heads of fused QKV rows:
// element i of a head pairs with element i + hd/2 (pairs = hd/2: "half" is a type name in OpenCL C) and both
// turn by the angle pos * theta^(-2i/hd). The angles
// come as tables cos[p, i], sin[p, i] of shape [positions, hd/2] that the model builds from its rope_theta, so
// no hyperparameter lives here. sign = -1 applies the inverse rotation (the backward).
__kernel void rope(__global float* qkv, const int io, __global const int* positions,
                   __global const float* cosTable, const int co, __global const float* sinTable, const int so,
                   const int rows, const int heads, const int kvHeads, const int hd, const float sign) {
    const int pairs = hd / 2, rotated = heads + kvHeads, width = (heads + 2 * kvHeads) * hd;
    const int item = get_global_id(0);
    if (item >= rows * rotated * pairs) return;
    const int i = item % pairs, h = (item / pairs) % rotated, r = item / (pairs * rotated);
    const int t = positions[r] * pairs + i;
    const float c = cosTable[co + t], s = sign * sinTable[so + t];
    __global float* x = qkv + io + r * width + h * hd;
    const float x0 = x[i], x1 = x[i + pairs];
    x[i] = x0 * c - x1 * s;
    x[i + pairs] = x1 * c + x0 * s;
}
