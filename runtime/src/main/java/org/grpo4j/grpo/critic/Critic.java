package org.grpo4j.grpo.critic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.quant.WeightFormat;
import org.grpo4j.optim.Trainable;
import org.grpo4j.model.ScoreHead;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.safetensors.SafetensorsWriter;
import org.grpo4j.train.DataParallel;

/**
 * PPO's value model: the policy's decoder (the same {@link Transformer}, run without its language-model head) and a
 * scalar {@link ValueHead}, initialised from the policy's weights as verl and Open-Reasoner-Zero do, with an AdamW of
 * its own. The value of completion token t is the head applied to the hidden state that predicts it (the row before
 * it, as verl's {@code values[:, -response_length - 1 : -1]}), so a value is the state's, before the token is chosen.
 *
 * <p>With LoRA (use_peft) the critic's decoder is the policy's frozen base — the same tensors, no second copy — with
 * adapters of its own ({@link Transformer#sharingFrozenBase}); only its adapters and head train.
 *
 * <p>A checkpoint keeps it in {@code critic/}: {@code config.json} and {@code model.safetensors} (the decoder; with
 * LoRA the PEFT adapter folder instead, {@code adapter_config.json} with {@code task_type: TOKEN_CLS} and
 * {@code adapter_model.safetensors}), {@code value_head.safetensors} ({@code score.weight}, {@code [1, hidden]}), and
 * the two optimisers' moments ({@code optimizer.safetensors}, {@code value_head_optimizer.safetensors}), so a resume
 * continues exactly.
 *
 * <pre>{@code
 * Critic critic = Critic.fromPolicy(policy, trainingArguments.optimizer(policy).settings(), seed);
 * float[] v = critic.values(batch);     // one per target of the batch
 * critic.backward(dLossDValues);        // gradients of the last values() call
 * }</pre>
 */
public final class Critic {
    static final String HEAD_FILE = "value_head.safetensors", HEAD_OPTIMIZER = "value_head_optimizer.safetensors", OPTIMIZER = "optimizer.safetensors";
    /** HF's {@code initializer_range} default, the std of a new head. */
    static final double HEAD_STD = 0.02;

    private final Transformer model;
    private final ValueHead head;
    private final AdamW modelOptimizer, headOptimizer;
    private TokenBatch batch;          // the last values() call's batch, for its backward
    private float[] hidden;            // and its final-norm hidden states
    private ScoreHead current;         // the head that scored them

    private Critic(Transformer model, AdamW.Settings optimizer, long seed) {
        this.model = model;
        this.head = new ValueHead(model.backend(), model.config().hiddenSize());
        head.initialise(seed, HEAD_STD);
        this.modelOptimizer = new AdamW(model.trainable(), optimizer);
        this.headOptimizer = new AdamW(head, optimizer);
    }

    /**
     * A critic initialised from the policy: a copy of its weights and a new head; for a LoRA policy (use_peft) the
     * policy's frozen base itself — shared, not copied — with fresh adapters of the policy's LoRA settings and a new
     * head, so a LoRA critic costs its adapters, head, moments and activations, not a second model.
     */
    public static Critic fromPolicy(Transformer policy, AdamW.Settings optimizer, long seed) {
        if (policy.lora() != null) return withAdapters(policy.sharingFrozenBase(), freshAdapters(policy, seed), policy, optimizer, seed);
        if (policy.frozen()) throw new IllegalArgumentException("a packed base without LoRA adapters cannot be trained, nor copied into a critic");
        Transformer m = Transformer.create(policy.config(), policy.backend());
        m.copyFrom(policy);
        m.setGradientCheckpointing(policy.gradientCheckpointing());
        return new Critic(m, optimizer, seed);
    }

    /**
     * A critic initialised from a model folder ({@code critic_model_name_or_path}, verl's {@code critic.model.path}):
     * a causal LM's (its decoder; its lm_head is never used) with a new head, or a grpo4j {@code critic/} folder of an
     * earlier run (decoder and value head). Its vocabulary must be the policy's: it reads the policy's tokens. For a
     * LoRA policy: an earlier LoRA critic's folder (PEFT adapters) goes on the policy's shared frozen base; a model
     * folder becomes a frozen base of its own in the policy's format with fresh adapters.
     */
    public static Critic fromFolder(Path dir, Transformer policy, AdamW.Settings optimizer, long seed) throws IOException {
        Critic c;
        if (policy.lora() != null && Files.exists(dir.resolve(PeftAdapter.CONFIG))) {
            c = withAdapters(policy.sharingFrozenBase(), PeftAdapter.load(dir, policy.config(), policy.backend()), policy, optimizer, seed);
        } else {
            WeightFormat format = policy.frozenBase() == null ? WeightFormat.FP32 : policy.frozenBase().format();
            Transformer m = Transformer.load(dir, policy.backend(), policy.lora() == null ? WeightFormat.FP32 : format);
            if (m.config().vocabSize() != policy.config().vocabSize())
                throw new IllegalArgumentException(dir + ": critic_model_name_or_path has vocab_size " + m.config().vocabSize() + " but the policy has "
                        + policy.config().vocabSize() + ": the critic reads the policy's tokens");
            if (policy.lora() != null) {
                c = withAdapters(m, new LoraAdapters(policy.lora().config(), m.config(), m.backend()).initialise(seed), policy, optimizer, seed);
            } else {
                m.setGradientCheckpointing(policy.gradientCheckpointing());
                c = new Critic(m, optimizer, seed);
            }
        }
        if (Files.exists(dir.resolve(HEAD_FILE))) c.loadHead(dir.resolve(HEAD_FILE));
        return c;
    }

    private static LoraAdapters freshAdapters(Transformer policy, long seed) {
        return new LoraAdapters(policy.lora().config(), policy.config(), policy.backend()).initialise(seed);
    }

    /** {@code base} (frozen) with {@code adapters}; the adapters run without dropout, so a batch's values are the same in every pass. */
    private static Critic withAdapters(Transformer base, LoraAdapters adapters, Transformer policy, AdamW.Settings optimizer, long seed) {
        base.withLora(adapters);
        base.setGradientCheckpointing(policy.gradientCheckpointing());
        return new Critic(base, optimizer, seed);
    }

    public Transformer model() {
        return model;
    }

    ValueHead head() {
        return head;
    }

    /** The values of every target of {@code batch} (in its packed order); keeps what {@link #backward} needs. */
    public float[] values(TokenBatch batch) {
        this.batch = batch;
        this.hidden = model.forwardHidden(batch);
        this.current = head.head();
        int[] rows = batch.targetRows();
        float[] v = new float[rows.length];
        for (int t = 0; t < rows.length; t++) current.applyInto(hidden, rows[t], v, t);
        return v;
    }

    /** Accumulates the gradients of {@code Σ_t dValues[t] · V_t} for the last {@link #values} call. */
    public void backward(float[] dValues) {
        if (batch == null) throw new IllegalStateException("critic backward without values()");
        int[] rows = batch.targetRows();
        if (dValues.length != rows.length) throw new IllegalArgumentException("dValues has " + dValues.length + " entries, the batch has " + rows.length);
        float[] dHidden = new float[hidden.length], dHead = new float[model.config().hiddenSize()];
        for (int t = 0; t < rows.length; t++) current.backward(hidden, rows[t], dValues, t, dHead, dHidden);
        head.addGradient(dHead);
        model.backwardHidden(dHidden);
    }

    public void zeroGrad() {
        model.zeroGrad();
        model.backend().fill(head.grads(), 0f);
    }

    /**
     * Averages the gradients over the ranks, clips the decoder's and the head's together to {@code maxNorm} (torch's
     * clip_grad_norm_ over all the critic's parameters) and takes one AdamW step of each; returns the norm before clipping.
     */
    public double step(double lr, double maxNorm, Communicator comm) {
        Trainable decoder = model.trainable(); // a LoRA critic trains its adapters only
        DataParallel.combineGradients(decoder, comm, 1f / comm.size());
        DataParallel.combineGradients(head, comm, 1f / comm.size());
        var be = model.backend();
        double norm = Math.sqrt(be.sumOfSquares(decoder.grads()) + be.sumOfSquares(head.grads()));
        if (maxNorm > 0 && Double.isFinite(norm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                be.scale(decoder.grads(), (float) coef);
                be.scale(head.grads(), (float) coef);
            }
        }
        modelOptimizer.step(lr);
        headOptimizer.step(lr);
        return norm;
    }

    /** Writes the critic's folder (see the class comment). */
    public void save(Path dir) throws IOException {
        if (model.lora() != null) PeftAdapter.save(model.lora(), dir, "", "TOKEN_CLS");
        else model.save(dir, DType.F32);
        int d = model.config().hiddenSize();
        new SafetensorsWriter(Map.of("format", "pt")).add(ScoreHead.TENSOR, DType.F32, new long[] {1, d}, model.backend(), head.params()).write(dir.resolve(HEAD_FILE));
        modelOptimizer.save(dir.resolve(OPTIMIZER));
        headOptimizer.save(dir.resolve(HEAD_OPTIMIZER));
    }

    /** Restores what {@link #save} wrote into this critic (same model config). */
    public void load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": the checkpoint has no critic/ folder, but adv_estimator = gae needs one to resume");
        if (model.lora() != null) {
            LoraAdapters saved = PeftAdapter.load(dir, model.config(), model.backend());
            if (!saved.config().equals(model.lora().config()))
                throw new IOException(dir + ": the critic's adapters (" + saved.config() + ") differ from the run's LoRA settings (" + model.lora().config() + ")");
            model.backend().copy(model.lora().params(), saved.params());
        } else {
            try (SafetensorsModel w = SafetensorsModel.open(dir)) {
                model.loadWeights(w);
            }
        }
        loadHead(dir.resolve(HEAD_FILE));
        modelOptimizer.load(dir.resolve(OPTIMIZER));
        headOptimizer.load(dir.resolve(HEAD_OPTIMIZER));
    }

    private void loadHead(Path h) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(h)) {
            if (!f.tensors().containsKey(ScoreHead.TENSOR)) throw new IOException(h + ": no tensor '" + ScoreHead.TENSOR + "'");
            long[] s = f.info(ScoreHead.TENSOR).shape();
            if (s.length != 2 || s[0] != 1 || s[1] != model.config().hiddenSize())
                throw new IOException(h + ": tensor '" + ScoreHead.TENSOR + "' has shape " + f.info(ScoreHead.TENSOR).shapeString() + ", expected [1, "
                        + model.config().hiddenSize() + "]");
            head.setWeights(f.readFloats(ScoreHead.TENSOR));
        }
    }
}
