package org.grpo4j.backend;

/**
 * Every computation of the engine goes through this interface, so that a device backend can keep weights,
 * activations, gradients and optimiser state resident and the host only orchestrates (the model code in
 * {@code org.grpo4j.model} calls these ops layer by layer, llm.c style).
 *
 * <p>Conventions. All matrices are row-major. Activations are packed rows, one per token of every sequence of
 * the batch ({@link SequenceLayout}); linear weights have the Hugging Face layout {@code [out, in]}. The fused
 * projection row layouts are fixed: a QKV row is {@code [q (heads·hd) | k (kvHeads·hd) | v (kvHeads·hd)]}, a
 * gate/up row is {@code [gate (F) | up (F)]}. Backward ops that say "accumulates" add into their gradient
 * outputs ({@code +=}); the others overwrite. Ops never allocate.
 */
public interface Backend extends AutoCloseable {

    /** A human-readable description, e.g. {@code cpu (Vector API 512-bit, 2 threads)}. */
    String name();

    // ---------------------------------------------------------------- memory

    /** A new zero-filled tensor of {@code size} floats. */
    Tensor allocate(long size);

    /** A new int tensor holding a copy of {@code values}. */
    IntTensor ints(int[] values);

    /** Copies {@code n} floats from {@code src[srcOffset..]} into the start of {@code dst}. */
    void write(Tensor dst, float[] src, int srcOffset, int n);

    /** Copies the first {@code n} floats of {@code src} into {@code dst[dstOffset..]}. */
    void read(Tensor src, float[] dst, int dstOffset, int n);

    default void write(Tensor dst, float[] src) {
        write(dst, src, 0, src.length);
    }

    default float[] read(Tensor src) {
        float[] out = new float[Math.toIntExact(src.size())];
        read(src, out, 0, out.length);
        return out;
    }

    void fill(Tensor t, float value);

    /** {@code dst = src}; both the same size. */
    void copy(Tensor dst, Tensor src);

    /** {@code t *= s}. */
    void scale(Tensor t, float s);

    /** {@code dst += src}; both the same size. */
    void add(Tensor dst, Tensor src);

    /** Σ t² in double precision (gradient norms). */
    double sumOfSquares(Tensor t);

    // ---------------------------------------------------------------- linear layers

    /** {@code out[M,N] (+)= in[M,K] · w[N,K]ᵀ (+ bias[N])}; {@code bias} may be null. */
    void matmul(Tensor out, Tensor in, Tensor w, Tensor bias, int M, int N, int K, boolean accumulate);

    /** Gradient to the input of {@link #matmul}: {@code dIn[M,K] (+)= dOut[M,N] · w[N,K]}. */
    void matmulBackwardInput(Tensor dIn, Tensor dOut, Tensor w, int M, int N, int K, boolean accumulate);

    /** Gradient to the weight of {@link #matmul}, accumulates: {@code dW[N,K] += dOut[M,N]ᵀ · in[M,K]}. */
    void matmulBackwardWeight(Tensor dW, Tensor dOut, Tensor in, int M, int N, int K);

    /** Gradient to the bias of {@link #matmul}, accumulates: {@code dBias[N] += Σ_rows dOut[M,N]}. */
    void biasBackward(Tensor dBias, Tensor dOut, int M, int N);

    // ---------------------------------------------------------------- embedding

    /** {@code out[r,:] = table[tokens[r],:]} for {@code rows} rows of width {@code dim}. */
    void embedding(Tensor out, IntTensor tokens, Tensor table, int rows, int dim);

    /** Accumulates: {@code dTable[tokens[r],:] += dOut[r,:]}. Deterministic (no order-dependent sums). */
    void embeddingBackward(Tensor dTable, Tensor dOut, IntTensor tokens, int rows, int dim);

    /** {@code out[i,:] = in[index[i],:]} for {@code n} rows of width {@code dim}. */
    void gatherRows(Tensor out, Tensor in, IntTensor index, int n, int dim);

    /** Accumulates: {@code dIn[index[i],:] += dOut[i,:]}; the indices are distinct. */
    void scatterAddRows(Tensor dIn, Tensor dOut, IntTensor index, int n, int dim);

    // ---------------------------------------------------------------- normalisation

    /**
     * RMSNorm over rows: {@code out = w · x / sqrt(mean(x²) + eps)}; saves {@code rstd[r] = 1/sqrt(mean(x²)+eps)}
     * for the backward. Row {@code r} of {@code in}/{@code out} starts at {@code r · dim}.
     */
    void rmsNorm(Tensor out, Tensor rstd, Tensor in, Tensor weight, int rows, int dim, float eps);

    /**
     * {@link #rmsNorm} that also copies its input into {@code copy} (same size as {@code in}): the training forward keeps
     * the residual stream before and after each sub-layer, and the norm reads it anyway, so the copy costs no second
     * pass over it.
     */
    void rmsNormCopy(Tensor out, Tensor rstd, Tensor copy, Tensor in, Tensor weight, int rows, int dim, float eps);

    /** Accumulates into {@code dIn} and {@code dWeight} the gradients of {@link #rmsNorm}. */
    void rmsNormBackward(Tensor dIn, Tensor dWeight, Tensor dOut, Tensor in, Tensor weight, Tensor rstd, int rows, int dim);

    /**
     * Qwen3's per-head RMSNorm of the q and k parts of fused QKV rows: each q head (hd floats) is normalised
     * with {@code qWeight[hd]}, each k head with {@code kWeight[hd]}; v is copied. {@code rstd} holds
     * {@code rows · (heads + kvHeads)} values.
     */
    void qkNorm(Tensor out, Tensor rstd, Tensor qkv, Tensor qWeight, Tensor kWeight, int rows, int heads, int kvHeads, int headDim, float eps);

    /** Overwrites {@code dQkv} (v part copied from {@code dOut}) and accumulates into the weights. */
    void qkNormBackward(Tensor dQkv, Tensor dqWeight, Tensor dkWeight, Tensor dOut, Tensor qkv, Tensor qWeight, Tensor kWeight,
                        Tensor rstd, int rows, int heads, int kvHeads, int headDim);

    // ---------------------------------------------------------------- rotary position embedding

    /**
     * Rotates the q and k heads of fused QKV rows in place (HF rotate-half: pairs {@code (i, i + hd/2)}), row
     * {@code r} at position {@code positions[r]}, using the tables {@code cos[p, i]}, {@code sin[p, i]} of
     * shape {@code [maxPositions, hd/2]} built from the model's {@code rope_theta}.
     */
    void rope(Tensor qkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim);

    /** The inverse rotation, in place on the q/k gradients ({@code v} untouched): RoPE is linear and orthogonal. */
    void ropeBackward(Tensor dQkv, IntTensor positions, Tensor cos, Tensor sin, int rows, int heads, int kvHeads, int headDim);

    // ---------------------------------------------------------------- attention

    /**
     * Causal grouped-query attention of every packed sequence: query head {@code h} uses kv head
     * {@code h / (heads / kvHeads)}, scale {@code 1/sqrt(hd)}. Writes {@code out[rows, heads·hd]} and saves the
     * softmax probabilities (only the causal part is meaningful) for the backward. With {@code probs == null} no
     * backward follows (a reference or no-grad pass): nothing is saved, and the outputs equal the saving call's to
     * float rounding.
     */
    void attention(Tensor out, Tensor probs, Tensor qkv, SequenceLayout layout, int heads, int kvHeads, int headDim);

    /** Overwrites {@code dQkv} with the gradients of {@link #attention} with respect to its q, k and v parts. */
    void attentionBackward(Tensor dQkv, Tensor dOut, Tensor qkv, Tensor probs, SequenceLayout layout, int heads, int kvHeads, int headDim);

    /**
     * The query block at which this backend's attention reads a batch with shared prompts in place
     * ({@link #attentionShared}) for these heads and {@code units} groups (sequences packing their prompt, each with the
     * later sequences reading it), or 0 where it does not: the caller then gathers the full layout.
     */
    default int sharedAttentionAlignment(int heads, int kvHeads, int headDim, int units) {
        return 0;
    }

    /**
     * {@link #attention} over the packed rows of a batch with shared prompts: {@code out} and {@code qkv} hold the packed
     * rows; each sequence's keys are its prompt's rows then its own, its outputs only its own rows'; probabilities as
     * {@link SharedPromptLayout} places them. Only where {@link #sharedAttentionAlignment} is not 0.
     */
    default void attentionShared(Tensor out, Tensor probs, Tensor qkv, SharedPromptLayout layout, int heads, int kvHeads, int headDim) {
        throw new UnsupportedOperationException("the " + name() + " backend does not read shared prompts in place");
    }

    /** {@link #attentionShared}'s backward: overwrites {@code dQkv} (packed rows; a prompt row's key/value gradient sums every sequence reading it). */
    default void attentionSharedBackward(Tensor dQkv, Tensor dOut, Tensor qkv, Tensor probs, SharedPromptLayout layout, int heads, int kvHeads, int headDim) {
        throw new UnsupportedOperationException("the " + name() + " backend does not read shared prompts in place");
    }

    // ---------------------------------------------------------------- MLP

    /** SwiGLU: {@code out[r,j] = silu(gateUp[r,j]) · gateUp[r,F+j]} for {@code rows} rows of {@code F} outputs. */
    void swiglu(Tensor out, Tensor gateUp, int rows, int F);

    /**
     * Overwrites {@code dGateUp} with the gradients of {@link #swiglu}, and {@code out} with its output (the same values
     * {@link #swiglu} writes): a backward that kept no output gets it from the same pass.
     */
    void swigluBackward(Tensor dGateUp, Tensor out, Tensor dOut, Tensor gateUp, int rows, int F);

    /**
     * The gate/up projection and {@link #swiglu} where nothing keeps the gate/up rows (a scoring pass):
     * {@code out[rows, F] = swiglu(in[rows, K] · wᵀ)} with {@code w} the fused {@code [2F, K]} weight and no bias.
     * {@code gateUp} ({@code [rows, 2F]}) is scratch: a backend that fuses the two leaves it unwritten.
     */
    default void matmulSwiglu(Tensor out, Tensor gateUp, Tensor in, Tensor w, int rows, int F, int K) {
        matmul(gateUp, in, w, null, rows, 2 * F, K, false);
        swiglu(out, gateUp, rows, F);
    }

    /** {@link #matmulSwiglu} given {@code layout}, the weight's {@link #fixedLayout} copy for the gate/up product (or null). */
    default void matmulSwiglu(Tensor out, Tensor gateUp, Tensor in, Tensor w, Tensor layout, int rows, int F, int K) {
        matmulSwiglu(out, gateUp, in, w, rows, F, K);
    }

    // ---------------------------------------------------------------- output head

    /**
     * For each of {@code rows} logits rows of width {@code vocab} (scaled by {@code 1/temperature}): the log-prob of
     * {@code targets[targetOffset + r]} into {@code logp[r]} and the entropy of the distribution into
     * {@code entropy[r]} ({@code entropy} may be null), and the row's log-sum-exp {@code log Σ_j exp(logits[r,j] /
     * temperature)} into {@code lse[r]} ({@code lse} may be null), which {@link #logSoftmaxBackward} takes instead of a
     * second softmax pass over the vocabulary. The logits are left unchanged.
     */
    void logSoftmaxGather(Tensor logp, Tensor entropy, Tensor lse, Tensor logits, IntTensor targets, int targetOffset, int rows, int vocab, float temperature);

    /**
     * In place, turns logits into their gradients given {@code dLogp[r]} and the forward's {@code lse[r]}, in one pass:
     * {@code dlogits[r,j] = dLogp[r] · (1[j = target] − exp(logits[r,j] / temperature − lse[r])) / temperature}.
     */
    void logSoftmaxBackward(Tensor logits, Tensor lse, Tensor dLogp, IntTensor targets, int targetOffset, int rows, int vocab, float temperature);

    // ---------------------------------------------------------------- optimiser

    /**
     * One AdamW step (torch.optim.AdamW): {@code p -= lr·wd·p}; {@code m = b1·m + (1−b1)·g}; {@code v = b2·v + (1−b2)·g²};
     * {@code p -= lr · (m / (1−b1^t)) / (sqrt(v / (1−b2^t)) + eps)}; all four tensors the same size.
     */
    void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step);

    /**
     * One AdamW step over a whole parameter block in one pass: {@code groups} are its {@code {offset, size, decays}}
     * ranges ({@code decays == 1}: weight decay {@code weightDecay}, else none), and the gradient is first scaled by
     * {@code gradScale} in place (the clipping coefficient; {@code 1}: untouched), exactly as {@link #scale} then
     * {@link #adamw} per group would. A CPU step of a small model is then one hand-off instead of one per group, and
     * clipping costs no separate pass over the gradients.
     */
    default void adamw(Tensor params, Tensor grads, Tensor m, Tensor v, java.util.List<long[]> groups, float gradScale,
                       float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        if (gradScale != 1f) scale(grads, gradScale);
        for (long[] g : groups)
            adamw(params.slice(g[0], g[1]), grads.slice(g[0], g[1]), m.slice(g[0], g[1]), v.slice(g[0], g[1]),
                    lr, beta1, beta2, eps, g[2] == 1 ? weightDecay : 0f, step);
    }

    // ---------------------------------------------------------------- generation (KV cache)

    /** Copies {@code n} ints from the start of {@code src} into the start of {@code dst} (per-step token ids, positions, slots). */
    default void writeInts(IntTensor dst, int[] src, int n) {
        throw notImplemented("writeInts");
    }

    /**
     * Stores the k and v parts of {@code rows} fused QKV rows (after q/k norm and RoPE) in a KV cache: row {@code r}'s
     * k heads go to slot {@code slots[r]} of {@code kCache}, its v heads to slot {@code slots[r]} of {@code vCache}.
     * A slot is one token of one sequence. Each cache is a tensor of {@code cacheRows · kvHeads · hd} floats whose
     * layout belongs to the backend (the CPU backend keeps k transposed, {@code [kvHeads·hd, cacheRows]}, and v
     * row-major); only this op and {@link #attentionCached} touch them.
     */
    default void kvStore(Tensor kCache, Tensor vCache, Tensor qkv, IntTensor slots, int rows, int heads, int kvHeads, int headDim) {
        throw notImplemented("kvStore");
    }

    /**
     * Grouped-query attention of {@code rows} query rows over cached keys and values (inference, nothing saved).
     * Query row {@code r} is the q part of fused QKV row {@code r}; it attends to two runs of cache slots, in order:
     * {@code [segments[4r], segments[4r] + segments[4r+1])} (a prefix shared by several rows, e.g. the prompt of a
     * group of samples) then {@code [segments[4r+2], segments[4r+2] + segments[4r+3])} (the row's own tokens,
     * including itself, stored by {@link #kvStore} before this call). Either run may be empty. Query head {@code h}
     * uses kv head {@code h / (heads / kvHeads)}, scale {@code 1/sqrt(hd)}; writes {@code out[rows, heads·hd]}.
     * Causal prefill is the special case of prefix runs that end at each row's own position.
     */
    default void attentionCached(Tensor out, Tensor qkv, Tensor kCache, Tensor vCache, IntTensor segments, int rows, int heads, int kvHeads, int headDim) {
        throw notImplemented("attentionCached");
    }

    /**
     * Bytes of the copy of an {@code out × in} weight that {@link #decodeLayout} would build, 0 where this backend has
     * no decode layout for it (the default, and packed weights on the CPU).
     */
    default long decodeLayoutBytes(Tensor weight, int out, int in) {
        return 0;
    }

    /**
     * A copy of {@code weight} laid out for the few-row products of batched decode, written into {@code reuse} when it
     * is a copy of the same size, else newly allocated; null where {@link #decodeLayoutBytes} is 0. It is a snapshot:
     * the caller rebuilds it after the weight changes and passes it only to {@link #matmulDecode}.
     */
    default Tensor decodeLayout(Tensor weight, int out, int in, Tensor reuse) {
        return null;
    }

    /**
     * {@link #matmul} in a decode step, given {@code layout}, the weight's {@link #decodeLayout} copy (or null): the
     * same values as {@code matmul(out, in, w, bias, M, N, K, accumulate)}.
     */
    default void matmulDecode(Tensor out, Tensor in, Tensor w, Tensor layout, Tensor bias, int M, int N, int K, boolean accumulate) {
        matmul(out, in, w, bias, M, N, K, accumulate);
    }

    /**
     * Bytes of the copy of an {@code out × in} weight that {@link #fixedLayout} would build, 0 where this backend packs
     * the weight inside every product (the default, and packed weights on the CPU). {@code gateUp}: the fused gate/up
     * weight, laid out for {@link #matmulSwiglu}.
     */
    default long fixedLayoutBytes(Tensor weight, int out, int in, boolean gateUp) {
        return 0;
    }

    /**
     * A copy of a weight that stays fixed (a reference model's), laid out so that the products read it instead of
     * packing the weight each time; written into {@code reuse} when it is a copy of the same size, else newly
     * allocated; null where {@link #fixedLayoutBytes} is 0. A snapshot: the caller rebuilds it after the weight changes
     * and passes it to {@link #matmulFixed} ({@link #matmulSwiglu} for {@code gateUp}).
     */
    default Tensor fixedLayout(Tensor weight, int out, int in, boolean gateUp, Tensor reuse) {
        return null;
    }

    /**
     * {@link #matmul} given {@code layout}, the weight's {@link #fixedLayout} copy (not the gate/up one): the same values
     * as {@code matmul(out, in, w, bias, M, N, K, accumulate)}.
     */
    default void matmulFixed(Tensor out, Tensor in, Tensor w, Tensor layout, Tensor bias, int M, int N, int K, boolean accumulate) {
        matmul(out, in, w, bias, M, N, K, accumulate);
    }

    /**
     * How many decode steps over disjoint rows (each with its own workspace, sharing the KV cache and the decode
     * layouts) may run at once on separate Java threads, each calling the ops above from its own thread: 1 (the
     * default) where ops must be issued from one thread at a time, e.g. one device queue.
     */
    default int decodeLanes() {
        return 1;
    }

    // ---------------------------------------------------------------- frozen weights and LoRA

    /**
     * Packs a frozen {@code rows × cols} weight (fp32 values at {@code values[offset..]}) into {@code format} (bf16,
     * int8, NF4). The result stands in for an fp32 weight in {@link #matmul}, {@link #matmulBackwardInput} and
     * {@link #embedding}, which widen it tile by tile inside the product.
     */
    default PackedTensor pack(org.grpo4j.quant.WeightFormat format, int rows, int cols, float[] values, int offset) {
        throw lacks("packed " + format.settingName() + " weights (a frozen base for LoRA/QLoRA)");
    }

    /** Wraps bf16 bit patterns (a BF16 safetensors tensor) as a frozen weight, without widening them. */
    default PackedTensor packBf16(int rows, int cols, short[] bits) {
        throw lacks("bf16 weights (a frozen base for LoRA)");
    }

    /** {@code dst[r, col0 + j] += scale · src[r, j]} for a {@code rows × cols} src inside rows of width {@code ldDst}. */
    default void addColumns(Tensor dst, int ldDst, int col0, Tensor src, int rows, int cols, float scale) {
        throw lacks("addColumns (LoRA)");
    }

    /** {@code dst[r, j] = src[r, col0 + j]}: a column block of rows of width {@code ldSrc}, packed. */
    default void copyColumns(Tensor dst, Tensor src, int ldSrc, int col0, int rows, int cols) {
        throw lacks("copyColumns (LoRA)");
    }

    /**
     * Inverted dropout, {@code out (+)= mask ⊙ in / (1 − p)} over {@code n} values, where the mask is a function of
     * {@code seed} and the element index only ({@link org.grpo4j.backend.cpu.Dropout}), so a backward recomputes it.
     */
    default void dropout(Tensor out, Tensor in, long seed, float p, int n, boolean accumulate) {
        throw lacks("dropout (LoRA with lora_dropout > 0)");
    }

    private UnsupportedOperationException lacks(String what) {
        return new UnsupportedOperationException("the " + name() + " backend does not implement " + what + "; use the CPU backend");
    }

    // The generation ops arrived after the first backends: a backend that lacks them fails with a clear message
    // when generation is used, and still compiles and trains.
    private UnsupportedOperationException notImplemented(String op) {
        return new UnsupportedOperationException("the " + name() + " backend does not implement " + op + " (generation with a KV cache); generate on the CPU backend");
    }

    @Override
    void close();
}
