/**
 * The OpenCL backend: {@link org.grpo4j.backend.opencl.OpenClBackend} runs every op of
 * {@link org.grpo4j.backend.Backend} as a kernel compiled at run time by the device's driver (NVIDIA's on GPUs,
 * PoCL on CPUs, which is how CI tests the very same kernels).
 *
 * <pre>
 * op (Backend)                      kernel (kernels/*.cl)                         launch
 * matmul / BackwardInput / Weight   gemm_tiled            (GPU)                   64x64 C tiles, 16x16 items, 4x4 each
 *                                   gemm_rowb, transpose  (CPU drivers)           6 rows x 32 cols per item, float16
 * biasBackward                      bias_backward + add_partials                  (row block, column); column
 * embedding, gatherRows             gather_rows                                   one item per element
 * embeddingBackward                 embedding_backward (rows grouped by token)    one item per (token, column)
 * scatterAddRows                    scatter_add_rows                              one item per element
 * rmsNorm / Backward                rmsnorm_forward, rmsnorm_backward_input       one work-group (WG) per row
 *                                   rmsnorm_backward_weight + add_partials        (row block, column); column
 * qkNorm / Backward                 qknorm_forward, qknorm_backward               one item per (row, head)
 *                                   qknorm_backward_weight + add_partials         (row block, column); column
 * rope / ropeBackward               rope (sign +1 / -1; cos/sin tables)           one item per rotated pair
 * attention                         attention_forward                             one item per (row, head)
 * attentionBackward                 attention_backward_q, attention_backward_kv   (row, head); (row, kv head, dim)
 * kvStore, attentionCached          kv_store, attention_cached (two passes, no scratch)  element; (row, head)
 * writeInts                         clEnqueueWriteBuffer (and the host copy)
 * swiglu / Backward                 swiglu_forward, swiglu_backward               one item per output
 * logSoftmaxGather / Backward       logsoftmax_gather, logsoftmax_backward        one work-group per row
 * adamw                             adamw                                         one item per parameter
 * scale, add, sumOfSquares          scale, add, sum_squares (+ host sum)          items; groups of WG
 * fill, copy, write, read           clEnqueueFillBuffer / CopyBuffer / Write / Read
 * </pre>
 *
 * Every gradient element has exactly one writer and every sum runs in a fixed order, so results are
 * deterministic (no atomics). Column sums (weight and bias gradients) run in two passes: partial sums over
 * blocks of 64 rows on GPUs (one block on CPU drivers), then the blocks added in order. Model hyperparameters (RoPE theta, eps, head counts, temperature) are kernel
 * arguments; only tile and work-group sizes (and the vector width along a head) are compile-time defines.
 * Kernels index with 32-bit ints: a tensor view must end below 2³¹ floats (8 GiB) of its allocation, which the
 * host checks before every launch.
 */
package org.grpo4j.backend.opencl;
