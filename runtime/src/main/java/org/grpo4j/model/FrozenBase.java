package org.grpo4j.model;

import java.io.IOException;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.quant.WeightFormat;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;

/**
 * The frozen weights of a LoRA/QLoRA run in a compact format: every linear layer's fused matrix (q/k/v,
 * o, gate/up, down) as one packed tensor per layer in bf16, int8 or NF4, the embedding (and an untied
 * {@code lm_head}) in bf16 (bitsandbytes leaves them unquantised too), and the norms and biases (a few KB per
 * layer) in fp32. BF16 checkpoints are read as they are; nothing is ever widened whole.
 */
public final class FrozenBase {
    private final WeightFormat format;
    final Tensor[] qkv, o, gateUp, down;
    /**
     * The fp32 rows a matrix is read or drawn into before it is packed, one array for all matrices of a load: a new
     * array per matrix left ~1.1 GiB of garbage behind on qwen05b, and the parallel collector grows the heap (and the
     * resident set) over it before it ever runs a full collection.
     */
    private float[] staging;
    final Tensor embedding, lmHead;
    /** Norm weights and biases: the layout's tail from {@link #smallStart}, in fp32. */
    final Tensor small;
    final long smallStart;
    private long bytes;

    private FrozenBase(WeightFormat format, int layers, Tensor small, long smallStart) {
        this.format = format;
        this.qkv = new Tensor[layers];
        this.o = new Tensor[layers];
        this.gateUp = new Tensor[layers];
        this.down = new Tensor[layers];
        this.small = small;
        this.smallStart = smallStart;
        this.embedding = null;
        this.lmHead = null;
    }

    private FrozenBase(FrozenBase b, Tensor embedding, Tensor lmHead) {
        this.format = b.format;
        this.qkv = b.qkv;
        this.o = b.o;
        this.gateUp = b.gateUp;
        this.down = b.down;
        this.small = b.small;
        this.smallStart = b.smallStart;
        this.embedding = embedding;
        this.lmHead = lmHead;
        this.bytes = b.bytes;
    }

    public WeightFormat format() {
        return format;
    }

    /** Bytes of all frozen weights. */
    public long bytes() {
        return bytes;
    }

    /** Bytes {@link #load} will allocate for a model of this config in {@code format} (the memory plan). */
    public static long bytesFor(ModelConfig c, WeightFormat format) {
        int d = c.hiddenSize(), F = c.intermediateSize(), a = c.numHeads() * c.headDim();
        long perLayer = format.bytes(c.qkvDim(), d) + format.bytes(d, a) + format.bytes(2L * F, d) + format.bytes(d, F);
        long head = WeightFormat.BF16.bytes(c.vocabSize(), d) * (c.tieWordEmbeddings() ? 1 : 2);
        ParameterLayout layout = new ParameterLayout(c);
        return perLayer * c.numLayers() + head + 4 * (layout.size() - firstSmall(layout));
    }

    /** Offset of the first parameter that is not a matrix (the layout puts matrices first). */
    static long firstSmall(ParameterLayout layout) {
        for (ParameterLayout.Param p : layout.params()) if (p.shape().length == 1) return p.offset();
        return layout.size();
    }

    /** Reads and packs every weight of {@code layout} from {@code weights}; names, shapes and dtypes are checked first. */
    public static FrozenBase load(SafetensorsModel weights, ParameterLayout layout, WeightFormat format, Backend be) throws IOException {
        if (format == WeightFormat.FP32) throw new IllegalArgumentException("an fp32 base is the model's own parameter block");
        Transformer.checkTensors(weights, layout);
        ModelConfig c = layout.config();
        long smallStart = firstSmall(layout);
        float[] smallValues = new float[Math.toIntExact(layout.size() - smallStart)];
        for (ParameterLayout.Param p : layout.params())
            if (p.offset() >= smallStart) weights.fileOf(p.name()).readFloats(p.name(), smallValues, (int) (p.offset() - smallStart));
        Tensor small = be.allocate(smallValues.length);
        be.write(small, smallValues);
        FrozenBase b = new FrozenBase(format, c.numLayers(), small, smallStart);
        b.bytes = 4L * smallValues.length;
        int d = c.hiddenSize(), F = c.intermediateSize(), a = c.numHeads() * c.headDim();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            b.qkv[l] = b.pack(weights, format, be, c.qkvDim(), d, p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight");
            b.o[l] = b.pack(weights, format, be, d, a, p + "self_attn.o_proj.weight");
            b.gateUp[l] = b.pack(weights, format, be, 2 * F, d, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
            b.down[l] = b.pack(weights, format, be, d, F, p + "mlp.down_proj.weight");
        }
        Tensor emb = b.pack(weights, WeightFormat.BF16, be, c.vocabSize(), d, "model.embed_tokens.weight");
        Tensor head = c.tieWordEmbeddings() ? emb : b.pack(weights, WeightFormat.BF16, be, c.vocabSize(), d, "lm_head.weight");
        return new FrozenBase(b, emb, head);
    }

    /**
     * Random weights (benchmarks), drawn matrix by matrix straight into the format, so a random 0.5B model never
     * exists in fp32: N(0, std) matrices (the embedding too), norms 1, biases 0.
     */
    static FrozenBase random(ModelConfig c, WeightFormat format, Backend be, long seed, double std) {
        ParameterLayout layout = new ParameterLayout(c);
        long smallStart = firstSmall(layout);
        float[] smallValues = new float[Math.toIntExact(layout.size() - smallStart)];
        for (ParameterLayout.Param p : layout.params())
            if (p.offset() >= smallStart && p.name().endsWith("norm.weight"))
                java.util.Arrays.fill(smallValues, (int) (p.offset() - smallStart), (int) (p.offset() - smallStart + p.size()), 1f);
        Tensor small = be.allocate(smallValues.length);
        be.write(small, smallValues);
        FrozenBase b = new FrozenBase(format, c.numLayers(), small, smallStart);
        b.bytes = 4L * smallValues.length;
        int d = c.hiddenSize(), F = c.intermediateSize(), a = c.numHeads() * c.headDim();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (int l = 0; l < c.numLayers(); l++) {
            b.qkv[l] = b.randomMatrix(be, format, c.qkvDim(), d, rng, std);
            b.o[l] = b.randomMatrix(be, format, d, a, rng, std);
            b.gateUp[l] = b.randomMatrix(be, format, 2 * F, d, rng, std);
            b.down[l] = b.randomMatrix(be, format, d, F, rng, std);
        }
        short[] bits = new short[Math.multiplyExact(c.vocabSize(), d)];
        for (int i = 0; i < bits.length; i++) bits[i] = org.grpo4j.safetensors.DType.floatToBf16((float) (gaussian(rng) * std));
        b.bytes += WeightFormat.BF16.bytes(c.vocabSize(), d) * (c.tieWordEmbeddings() ? 1 : 2);
        Tensor emb = be.packBf16(c.vocabSize(), d, bits);
        return new FrozenBase(b, emb, c.tieWordEmbeddings() ? emb : be.packBf16(c.vocabSize(), d, bits.clone()));
    }

    private Tensor randomMatrix(Backend be, WeightFormat f, int rows, int cols, java.util.SplittableRandom rng, double std) {
        int n = Math.multiplyExact(rows, cols);
        float[] v = staging(n);
        for (int i = 0; i < n; i++) v[i] = (float) (gaussian(rng) * std);
        bytes += f.bytes(rows, cols);
        return be.pack(f, rows, cols, v, 0);
    }

    private float[] staging(int floats) {
        if (staging == null || staging.length < floats) staging = new float[floats];
        return staging;
    }

    private static double gaussian(java.util.SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    /** Packs an fp32 model's weights (tests: the same model in a compact format). */
    static FrozenBase pack(Transformer full, WeightFormat format) {
        ParameterLayout layout = full.layout();
        ModelConfig c = layout.config();
        Backend be = full.backend();
        float[] all = be.read(full.params());
        long smallStart = firstSmall(layout);
        Tensor small = be.allocate(layout.size() - smallStart);
        be.write(small, all, (int) smallStart, (int) (layout.size() - smallStart));
        FrozenBase b = new FrozenBase(format, c.numLayers(), small, smallStart);
        b.bytes = 4 * small.size();
        int d = c.hiddenSize(), F = c.intermediateSize(), a = c.numHeads() * c.headDim();
        for (int l = 0; l < c.numLayers(); l++) {
            ParameterLayout.Layer w = layout.layer(l);
            b.qkv[l] = b.packed(be, format, c.qkvDim(), d, all, w.qkvWeight());
            b.o[l] = b.packed(be, format, d, a, all, w.oWeight());
            b.gateUp[l] = b.packed(be, format, 2 * F, d, all, w.gateUpWeight());
            b.down[l] = b.packed(be, format, d, F, all, w.downWeight());
        }
        Tensor emb = b.packed(be, WeightFormat.BF16, c.vocabSize(), d, all, layout.embedding());
        Tensor head = c.tieWordEmbeddings() ? emb : b.packed(be, WeightFormat.BF16, c.vocabSize(), d, all, layout.lmHead());
        return new FrozenBase(b, emb, head);
    }

    private Tensor packed(Backend be, WeightFormat f, int rows, int cols, float[] all, long offset) {
        bytes += f.bytes(rows, cols);
        return be.pack(f, rows, cols, all, Math.toIntExact(offset));
    }

    /** One fused matrix from its HF tensors, stacked by rows. */
    private Tensor pack(SafetensorsModel weights, WeightFormat f, Backend be, int rows, int cols, String... names) throws IOException {
        bytes += f.bytes(rows, cols);
        int at = 0;
        if (f == WeightFormat.BF16) {
            short[] bits = new short[Math.multiplyExact(rows, cols)];
            for (String n : names) {
                SafetensorsFile file = weights.fileOf(n);
                file.readBf16(n, bits, at);
                at += (int) file.info(n).elements();
            }
            return be.packBf16(rows, cols, bits);
        }
        float[] v = staging(Math.multiplyExact(rows, cols));
        for (String n : names) {
            SafetensorsFile file = weights.fileOf(n);
            file.readFloats(n, v, at);
            at += (int) file.info(n).elements();
        }
        return be.pack(f, rows, cols, v, 0);
    }
}
