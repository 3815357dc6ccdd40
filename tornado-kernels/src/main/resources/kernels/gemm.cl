// Matrix products of the engine, all as  C[i,j] (+)= sum_p A(i,p) * B(p,j)  (+ bias[j])  with C row-major
// [I, J] (row stride ldc) and A, B addressed through strides, so one kernel covers the three forms:
//   NT (forward)  out[M,N] = a[M,K] . w[N,K]^T : I=M J=N P=K, A(i,p)=a[i*K+p], B(p,j)=w[j*K+p]
//   NN (dInput)   dIn[M,K] = dOut[M,N] . w[N,K] : I=M J=K P=N, A(i,p)=dOut[i*N+p], B(p,j)=w[p*K+j]
//   TN (dWeight)  dW[N,K] += dOut[M,N]^T . in[M,K] : I=N J=K P=M, A(i,p)=dOut[p*N+i], B(p,j)=in[p*K+j]
//
// Two families, picked by device type at run time (org.grpo4j.backend.opencl.Gemm):
//  - gemm_tiled: for GPUs. A work-group computes a TSM x TSN block of C; tiles of A and B pass through local
//    memory TSK deep; each work-item keeps WPTM x WPTN results in registers.
//  - gemm_rowb / gemm_dot: for CPU drivers (PoCL), which only run fast with explicit vectors. gemm_rowb (B
//    contiguous along j: NN, TN) gives each work-item RM rows x 32 columns as float16 accumulators; gemm_dot
//    (A and B both contiguous along p: NT) gives each work-item DM x DN dot products as float16 partial sums.
// Offsets and strides are in floats; every size fits an int (the Java side checks).

#ifndef TSM
#define TSM 64
#endif
#ifndef TSN
#define TSN 64
#endif
#ifndef TSK
#define TSK 16
#endif
#ifndef WPTM
#define WPTM 4
#endif
#ifndef WPTN
#define WPTN 4
#endif
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)

__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void gemm_tiled(const int I, const int J, const int P,
                __global const float* A, const int aOff, const int sai, const int sap,
                __global const float* B, const int bOff, const int sbp, const int sbj,
                __global float* C, const int cOff, const int ldc,
                __global const float* bias, const int biasOff, const int hasBias, const int accumulate) {
    const int tj = get_local_id(0), ti = get_local_id(1);
    const int j0 = get_group_id(0) * TSN, i0 = get_group_id(1) * TSM;
    const int tid = ti * RTSN + tj;
    __local float As[TSK][TSM];
    __local float Bs[TSK][TSN];
    float acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; wm++)
        for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = 0.0f;
    A += aOff;
    B += bOff;
    for (int p0 = 0; p0 < P; p0 += TSK) {
        // consecutive work-items load consecutive addresses, whichever way the operand is laid out
        for (int e = tid; e < TSK * TSM; e += RTSM * RTSN) {
            int pp, ii;
            if (sai == 1) { ii = e % TSM; pp = e / TSM; } else { pp = e % TSK; ii = e / TSK; }
            const int gi = i0 + ii, gp = p0 + pp;
            As[pp][ii] = (gi < I && gp < P) ? A[gi * sai + gp * sap] : 0.0f;
        }
        for (int e = tid; e < TSK * TSN; e += RTSM * RTSN) {
            int pp, jj;
            if (sbj == 1) { jj = e % TSN; pp = e / TSN; } else { pp = e % TSK; jj = e / TSK; }
            const int gj = j0 + jj, gp = p0 + pp;
            Bs[pp][jj] = (gj < J && gp < P) ? B[gp * sbp + gj * sbj] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TSK; k++) {
            float a[WPTM], b[WPTN];
            for (int wm = 0; wm < WPTM; wm++) a[wm] = As[k][ti + wm * RTSM];
            for (int wn = 0; wn < WPTN; wn++) b[wn] = Bs[k][tj + wn * RTSN];
            for (int wm = 0; wm < WPTM; wm++)
                for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = fma(a[wm], b[wn], acc[wm][wn]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int wm = 0; wm < WPTM; wm++) {
        const int i = i0 + ti + wm * RTSM;
        if (i >= I) continue;
        for (int wn = 0; wn < WPTN; wn++) {
            const int j = j0 + tj + wn * RTSN;
            if (j >= J) continue;
            float v = acc[wm][wn];
            if (hasBias) v += bias[biasOff + j];
            __global float* c = C + cOff + i * ldc + j;
            *c = accumulate ? *c + v : v;
        }
    }
}

#ifndef RM
#define RM 6
#endif

// B(p,j) = B[bOff + p*sbp + j]; work-item (ib, jb) owns rows [ib*RM, ib*RM+RM) x columns [jb*32, jb*32+32):
// 2*RM float16 accumulators (12 of the 32 AVX-512 registers for RM = 6), per p two vector loads of B and RM
// broadcasts of A. Blocks at the right edge narrower than 32 columns take the scalar path.
__kernel void gemm_rowb(const int I, const int J, const int P,
                        __global const float* A, const int aOff, const int sai, const int sap,
                        __global const float* B, const int bOff, const int sbp,
                        __global float* C, const int cOff, const int ldc,
                        __global const float* bias, const int biasOff, const int hasBias, const int accumulate) {
    const int i0 = get_global_id(0) * RM, j0 = get_global_id(1) * 32;
    if (i0 >= I || j0 >= J) return;
    __global const float* a[RM];
    for (int r = 0; r < RM; r++) a[r] = A + aOff + min(i0 + r, I - 1) * sai; // clamped rows are computed, not stored
    __global const float* b = B + bOff + j0;
    if (j0 + 32 <= J) {
        float16 acc0[RM], acc1[RM];
        for (int r = 0; r < RM; r++) acc0[r] = acc1[r] = (float16)(0.0f);
        for (int p = 0; p < P; p++) {
            const float16 b0 = vload16(0, b + p * sbp), b1 = vload16(1, b + p * sbp);
            for (int r = 0; r < RM; r++) {
                const float16 av = (float16)(a[r][p * sap]);
                acc0[r] = fma(av, b0, acc0[r]);
                acc1[r] = fma(av, b1, acc1[r]);
            }
        }
        for (int r = 0; r < RM; r++) {
            if (i0 + r >= I) break;
            __global float* c = C + cOff + (i0 + r) * ldc + j0;
            float16 v0 = acc0[r], v1 = acc1[r];
            if (hasBias) {
                v0 += vload16(0, bias + biasOff + j0);
                v1 += vload16(1, bias + biasOff + j0);
            }
            if (accumulate) {
                v0 += vload16(0, c);
                v1 += vload16(1, c);
            }
            vstore16(v0, 0, c);
            vstore16(v1, 1, c);
        }
    } else {
        for (int r = 0; r < RM && i0 + r < I; r++) {
            for (int j = j0; j < J; j++) {
                float s = 0.0f;
                for (int p = 0; p < P; p++) s = fma(a[r][p * sap], b[p * sbp + (j - j0)], s);
                if (hasBias) s += bias[biasOff + j];
                __global float* c = C + cOff + (i0 + r) * ldc + j;
                *c = accumulate ? *c + s : s;
            }
        }
    }
}

// out[c, r] = in[r, c] for an R x Cols matrix, through 16x16 local tiles
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void transpose(__global float* out, const int oo, __global const float* in, const int io, const int R, const int Cols) {
    __local float tile[16][17];
    const int c = get_global_id(0), r = get_global_id(1);
    const int lc = get_local_id(0), lr = get_local_id(1);
    if (r < R && c < Cols) tile[lr][lc] = in[io + r * Cols + c];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int oc = get_group_id(1) * 16 + lc, orow = get_group_id(0) * 16 + lr; // out row = in column
    if (orow < Cols && oc < R) out[oo + orow * R + oc] = tile[lc][lr];
}

#ifndef DM
#define DM 4
#endif
#ifndef DN
#define DN 4
#endif

float hsum16(const float16 v) {
    const float8 h = v.lo + v.hi;
    const float4 q = h.lo + h.hi;
    return (q.x + q.y) + (q.z + q.w);
}

// A(i,p) = A[aOff + i*lda + p], B(p,j) = B[bOff + j*ldb + p]; work-item (jb, ib) owns DM x DN outputs
__kernel void gemm_dot(const int I, const int J, const int P,
                       __global const float* A, const int aOff, const int lda,
                       __global const float* B, const int bOff, const int ldb,
                       __global float* C, const int cOff, const int ldc,
                       __global const float* bias, const int biasOff, const int hasBias, const int accumulate) {
    const int j0 = get_global_id(0) * DN, i0 = get_global_id(1) * DM;
    if (i0 >= I || j0 >= J) return;
    __global const float* a[DM];
    __global const float* b[DN];
    for (int r = 0; r < DM; r++) a[r] = A + aOff + min(i0 + r, I - 1) * lda;
    for (int c = 0; c < DN; c++) b[c] = B + bOff + min(j0 + c, J - 1) * ldb;
    float16 acc[DM][DN];
    for (int r = 0; r < DM; r++)
        for (int c = 0; c < DN; c++) acc[r][c] = (float16)(0.0f);
    const int P16 = P & ~15;
    for (int p = 0; p < P16; p += 16) {
        float16 bv[DN];
        for (int c = 0; c < DN; c++) bv[c] = vload16(0, b[c] + p);
        for (int r = 0; r < DM; r++) {
            const float16 av = vload16(0, a[r] + p);
            for (int c = 0; c < DN; c++) acc[r][c] = fma(av, bv[c], acc[r][c]);
        }
    }
    for (int r = 0; r < DM; r++) {
        const int i = i0 + r;
        if (i >= I) break;
        for (int c = 0; c < DN; c++) {
            const int j = j0 + c;
            if (j >= J) break;
            float s = hsum16(acc[r][c]);
            for (int p = P16; p < P; p++) s = fma(a[r][p], b[c][p], s);
            if (hasBias) s += bias[biasOff + j];
            __global float* out = C + cOff + i * ldc + j;
            *out = accumulate ? *out + s : s;
        }
    }
}
