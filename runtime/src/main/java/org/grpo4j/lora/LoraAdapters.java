package org.grpo4j.lora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;
import org.grpo4j.optim.Trainable;

/**
 * Every LoRA adapter of a model: one flat parameter block (and gradient block) holding, per layer and targeted
 * module, {@code lora_A [r, in]} then {@code lora_B [out, r]} under PEFT's tensor names; the {@code u} each
 * forward saves for the backward; and the switch that turns them off, which makes the same weights the
 * reference model (TRL's {@code disable_adapter()}). This is what the optimiser trains in a LoRA run.
 */
public final class LoraAdapters implements Trainable {

    /** One adapter: where its A and B live in the block, its shape, and its PEFT name prefix. */
    public record Adapter(int index, int layer, LoraModule module, long a, long b, int in, int out) {
        /** {@code base_model.model.model.layers.N.self_attn.q_proj}: PEFT's prefix for this adapter's tensors. */
        public String peftPrefix() {
            return "base_model.model.model.layers." + layer + "." + module.path;
        }
    }

    private final LoraConfig config;
    private final ModelConfig model;
    private final Backend backend;
    private final List<Adapter> adapters = new ArrayList<>();
    private final List<Adapter>[][] byGroup;
    private final Tensor params;
    private Tensor grads;
    private boolean enabled = true;
    private boolean dropoutActive;
    private long dropoutSeed, forwards;
    private final int maxIn, maxOut, maxGroup;

    // per-batch buffers: the saved u of every adapter, and scratch shared by all of them
    private Tensor saved, inferenceU;
    private LoraLinear.Scratch scratch;
    private int rows;

    // generation: per layer and fused projection, its adapters' A stacked [k·r, in] and their B on the diagonal of a
    // [width, k·r] block (zeros elsewhere), so a projection's adapters cost two products and a scale instead of four
    // ops per adapter (~670 small ops, most of them forking, per decode step of a 24-layer model). Rebuilt when the
    // parameters may have changed: whoever takes params(), a() or b() may write them.
    private Tensor[][] stackedA, diagonalB;
    private boolean packCurrent;

    @SuppressWarnings("unchecked")
    public LoraAdapters(LoraConfig config, ModelConfig model, Backend backend) {
        this.config = config;
        this.model = model;
        this.backend = backend;
        int r = config.r();
        long at = 0;
        int mi = 0, mo = 0, mg = 0;
        byGroup = new List[model.numLayers()][LoraModule.Group.values().length];
        for (int l = 0; l < model.numLayers(); l++) {
            for (LoraModule.Group g : LoraModule.Group.values()) byGroup[l][g.ordinal()] = new ArrayList<>();
            for (LoraModule m : LoraModule.values()) {
                if (!config.targets(m)) continue;
                int in = m.in(model), out = m.out(model);
                Adapter a = new Adapter(adapters.size(), l, m, at, at + (long) r * in, in, out);
                at += (long) r * (in + out);
                adapters.add(a);
                byGroup[l][m.group.ordinal()].add(a);
                mi = Math.max(mi, in);
                mo = Math.max(mo, out);
            }
            for (List<Adapter> g : byGroup[l]) mg = Math.max(mg, g.size());
        }
        this.maxIn = mi;
        this.maxOut = mo;
        this.maxGroup = mg;
        this.params = backend.allocate(at);
    }

    public LoraConfig config() {
        return config;
    }

    public ModelConfig modelConfig() {
        return model;
    }

    public List<Adapter> adapters() {
        return Collections.unmodifiableList(adapters);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Tensor params() {
        packCurrent = false;
        return params;
    }

    @Override
    public Tensor grads() {
        if (grads == null) grads = backend.allocate(params.size());
        return grads;
    }

    /** HF's Trainer decays every parameter but biases and norms: all of LoRA's A and B. */
    @Override
    public List<long[]> decayGroups() {
        return List.<long[]>of(new long[] {0, params.size(), 1});
    }

    public Tensor a(Adapter ad) {
        packCurrent = false;
        return aOf(ad);
    }

    public Tensor b(Adapter ad) {
        packCurrent = false;
        return bOf(ad);
    }

    private Tensor aOf(Adapter ad) {
        return params.slice(ad.a(), (long) config.r() * ad.in());
    }

    private Tensor bOf(Adapter ad) {
        return params.slice(ad.b(), (long) ad.out() * config.r());
    }

    /** PEFT's initialisation: A ~ U(−1/√in, 1/√in) (Kaiming-uniform with a = √5), B = 0, so the model starts as the base. */
    public LoraAdapters initialise(long seed) {
        for (Adapter ad : adapters) {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + ad.index());
            float[] a = new float[config.r() * ad.in()];
            double bound = 1 / Math.sqrt(ad.in());
            for (int i = 0; i < a.length; i++) a[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
            backend.write(a(ad), a);
            backend.fill(b(ad), 0f);
        }
        return this;
    }

    /** Whether the adapters take part in forward passes; off, the model is the frozen base (the reference model). */
    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean on) {
        enabled = on;
    }

    /** Seeds the dropout masks (a run's {@code seed}); each forward then draws new masks. */
    public void setDropoutSeed(long seed) {
        dropoutSeed = seed;
        forwards = 0;
    }

    /** Called by the model at each forward: new dropout masks, kept until the next forward (its backward reuses them). */
    public void startForward(boolean training) {
        dropoutActive = training && config.dropout() > 0;
        forwards++;
    }

    private long maskSeed(Adapter ad) {
        return (dropoutSeed * 0x9E3779B97F4A7C15L + forwards) * 0xD1B54A32D192ED03L + ad.index() * 0x8CB92BA72F3D8DD7L;
    }

    /** Sizes the saved and scratch buffers for batches of {@code N} rows. */
    public void prepare(int N) {
        if (saved != null && rows >= N) return;
        int r = config.r();
        saved = backend.allocate((long) adapters.size() * N * r);
        inferenceU = backend.allocate((long) N * maxGroup * r);
        scratch = new LoraLinear.Scratch(backend.allocate((long) N * maxIn), backend.allocate((long) N * maxOut), backend.allocate((long) N * r));
        rows = N;
    }

    private Tensor savedU(Adapter ad, int N) {
        return saved.slice((long) ad.index() * rows * config.r(), (long) N * config.r());
    }

    /**
     * Adds the adapters of layer {@code l}'s fused projection {@code g} to its output {@code out} (rows of the
     * group's width) for input {@code x [N, in]}. A forward that may be followed by a backward keeps {@code u} for
     * {@link #backward} and applies dropout when the model is in training mode; generation does neither.
     */
    public void forward(int l, LoraModule.Group g, Tensor x, Tensor out, int N, boolean training) {
        if (!enabled) return;
        List<Adapter> group = byGroup[l][g.ordinal()];
        if (group.isEmpty()) return;
        prepare(N);
        int ld = LoraModule.groupWidth(g, model), r = config.r();
        if (!training) {
            forwardPacked(l, g, x, out, N, group.size() * r, group.getFirst().in(), ld);
            return;
        }
        float p = dropoutActive ? (float) config.dropout() : 0f;
        for (Adapter ad : group)
            LoraLinear.forward(backend, aOf(ad), bOf(ad), savedU(ad, N), x, out, ld, ad.module().column(model), N, ad.in(), ad.out(), r,
                    config.scale(), p, maskSeed(ad), scratch);
    }

    /**
     * Generation's forward of a projection's {@code kr / r} adapters: {@code u = scale · x · [A₁|A₂|…]ᵀ} in one product,
     * then {@code out += u · diag(B₁, B₂, …)ᵀ} in another. The zeros off the diagonal add exact zeros, so each output
     * is the sum the per-adapter path computes, in the same order.
     */
    private void forwardPacked(int l, LoraModule.Group g, Tensor x, Tensor out, int N, int kr, int in, int width) {
        if (!packCurrent) pack();
        Tensor u = inferenceU.slice(0, (long) N * kr);
        backend.matmul(u, x, stackedA[l][g.ordinal()], null, N, kr, in, false);
        backend.scale(u, config.scale());
        backend.matmul(out, u, diagonalB[l][g.ordinal()], null, N, width, kr, true);
    }

    /** (Re)writes generation's stacked A and diagonal B blocks from the parameters; allocated on first use. */
    private void pack() {
        int L = model.numLayers(), G = LoraModule.Group.values().length, r = config.r();
        if (stackedA == null) {
            stackedA = new Tensor[L][G];
            diagonalB = new Tensor[L][G];
            for (int l = 0; l < L; l++)
                for (LoraModule.Group g : LoraModule.Group.values()) {
                    List<Adapter> group = byGroup[l][g.ordinal()];
                    if (group.isEmpty()) continue;
                    int kr = group.size() * r;
                    stackedA[l][g.ordinal()] = backend.allocate((long) kr * group.getFirst().in());
                    diagonalB[l][g.ordinal()] = backend.allocate((long) LoraModule.groupWidth(g, model) * kr);
                }
        }
        for (int l = 0; l < L; l++)
            for (LoraModule.Group g : LoraModule.Group.values()) {
                List<Adapter> group = byGroup[l][g.ordinal()];
                if (group.isEmpty()) continue;
                Tensor sa = stackedA[l][g.ordinal()], db = diagonalB[l][g.ordinal()];
                int kr = group.size() * r;
                backend.fill(db, 0f);
                for (int j = 0; j < group.size(); j++) {
                    Adapter ad = group.get(j);
                    backend.copy(sa.slice((long) j * r * ad.in(), (long) r * ad.in()), aOf(ad));
                    // rows col..col+out of the block, columns j·r..j·r+r: B_j added onto zeros is B_j exactly
                    int col = ad.module().column(model);
                    backend.addColumns(db.slice((long) col * kr, (long) ad.out() * kr), kr, j * r, bOf(ad), ad.out(), r, 1f);
                }
            }
        packCurrent = true;
    }

    /** Bytes of generation's stacked A and diagonal B blocks (allocated at the first generation). */
    public long generationPackBytes() {
        long floats = 0;
        for (int l = 0; l < model.numLayers(); l++)
            for (LoraModule.Group g : LoraModule.Group.values()) {
                List<Adapter> group = byGroup[l][g.ordinal()];
                if (group.isEmpty()) continue;
                long kr = (long) group.size() * config.r();
                floats += kr * (group.getFirst().in() + LoraModule.groupWidth(g, model));
            }
        return 4 * floats;
    }

    /** The backward of {@link #forward} (training): accumulates the adapters' gradients and adds into {@code dX}. */
    public void backward(int l, LoraModule.Group g, Tensor x, Tensor dX, Tensor dOut, int N) {
        if (!enabled) return;
        List<Adapter> group = byGroup[l][g.ordinal()];
        if (group.isEmpty()) return;
        int ld = LoraModule.groupWidth(g, model), r = config.r();
        Tensor gr = grads();
        for (Adapter ad : group)
            LoraLinear.backward(backend, aOf(ad), bOf(ad), gr.slice(ad.a(), (long) r * ad.in()), gr.slice(ad.b(), (long) ad.out() * r),
                    savedU(ad, N), x, dX, dOut, ld, ad.module().column(model), N, ad.in(), ad.out(), r, config.scale(),
                    dropoutActive ? (float) config.dropout() : 0f, maskSeed(ad), scratch);
    }

    /**
     * Folds the adapters into fp32 base weights laid out as {@code layout} ({@code W += scale · B A}), for
     * {@code grpo merge}: the merged model computes what base + adapters compute.
     */
    public void mergeInto(Tensor baseParams, ParameterLayout layout) {
        int r = config.r();
        for (Adapter ad : adapters) {
            ParameterLayout.Layer w = layout.layer(ad.layer());
            long group = switch (ad.module().group) {
                case QKV -> w.qkvWeight();
                case O -> w.oWeight();
                case GATE_UP -> w.gateUpWeight();
                case DOWN -> w.downWeight();
            };
            Tensor rowsOfW = baseParams.slice(group + (long) ad.module().column(model) * ad.in(), (long) ad.out() * ad.in());
            Tensor scaledB = backend.allocate((long) ad.out() * r);
            backend.copy(scaledB, bOf(ad));
            backend.scale(scaledB, config.scale());
            // W[out, in] += (scale B)[out, r] · A[r, in]
            backend.matmulBackwardInput(rowsOfW, scaledB, aOf(ad), ad.out(), r, ad.in(), true);
        }
    }

    /** Bytes of the per-batch buffers for {@code N} rows: every adapter's saved u, the shared scratch and generation's blocks. */
    public long activationBytes(int N) {
        return 4L * N * ((long) adapters.size() * config.r() + maxIn + maxOut + (1L + maxGroup) * config.r()) + generationPackBytes();
    }

    /** Bytes of the adapter parameters. */
    public long parameterBytes() {
        return params.size() * 4;
    }
}
