package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.sft.SftConfig;
import org.grpo4j.train.SettingsBuilder;

/**
 * A supervised fine-tuning run (TRL's {@code SFTTrainer}) as an immutable value: an existing model folder, or a
 * new small model with a character tokenizer built from the data; prompt/completion columns (or a
 * {@code messages} column); every TRL {@code SFTConfig} setting by name; and where the final model folder goes.
 * Each call returns a new recipe; {@link #validate()} / {@link #build()} report every problem before any work.
 *
 * <pre>{@code
 * SftResult r = Recipes.sft()
 *         .newModel("qwen2", 64, 2, 4, 2, 176)          // hidden, layers, heads, kv heads, ffn
 *         .charTokenizer()                               // vocabulary = the characters of the data
 *         .dataset(Dataset.jsonl("data/arith-sft.jsonl")) // columns prompt, completion
 *         .learningRate(3e-3).maxSteps(300).set("max_length", 64)
 *         .outputDir("runs/sft").saveModelTo("models/tiny-arith")
 *         .train();
 * System.out.println("loss " + r.trainLoss() + "; model in " + r.modelDir());
 * }</pre>
 */
public final class SftRecipe {
    /** The shape of a new model; its vocabulary size comes from the tokenizer and its context from {@code max_length}. */
    public record NewModel(Architecture architecture, int hiddenSize, int numLayers, int numHeads, int numKvHeads, int intermediateSize) {}

    /** The std of the normal distribution a new model's weights are drawn from (HF's {@code initializer_range}) unless set. */
    public static final double INITIALIZER_RANGE = 0.02;
    /** A new model's RMSNorm ε ({@code rms_norm_eps}) unless set. */
    public static final double RMS_NORM_EPS = 1e-6;
    /** A new model's RoPE base ({@code rope_theta}) unless set. */
    public static final double ROPE_THETA = 10_000;
    /** The special tokens of {@link #charTokenizer()} unless set: ChatML's, so the end of turn {@code <|im_end|>} is EOS. */
    public static final List<String> CHAR_SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private static final class Fields extends RecipeFields {
        Path saveModelTo;
        ModelConfig modelConfig;
        NewModel newModel;
        boolean charTokenizer;
        List<String> extraCorpus = List.of();
        List<String> charSpecialTokens = CHAR_SPECIAL_TOKENS;
        // a new model's settings beyond its shape, null = the default; SftPlan checks and applies them
        Double initializerRange, rmsNormEps, ropeTheta;
        Boolean tieWordEmbeddings;
        Integer maxPositionEmbeddings;
        String completionColumn = "completion";

        Fields copy() {
            Fields f = copyInto(new Fields());
            f.saveModelTo = saveModelTo;
            f.modelConfig = modelConfig;
            f.newModel = newModel;
            f.charTokenizer = charTokenizer;
            f.extraCorpus = extraCorpus;
            f.charSpecialTokens = charSpecialTokens;
            f.initializerRange = initializerRange;
            f.rmsNormEps = rmsNormEps;
            f.ropeTheta = ropeTheta;
            f.tieWordEmbeddings = tieWordEmbeddings;
            f.maxPositionEmbeddings = maxPositionEmbeddings;
            f.completionColumn = completionColumn;
            return f;
        }
    }

    private final Fields f;

    private SftRecipe(Fields f) {
        this.f = f;
    }

    /** An empty recipe; {@link Recipes#sft()} is the usual way in. */
    public static SftRecipe create() {
        return new SftRecipe(new Fields());
    }

    private SftRecipe with(Consumer<Fields> change) {
        Fields n = f.copy();
        change.accept(n);
        return new SftRecipe(n);
    }

    // ------------------------------------------------------------------------------------------ model and tokenizer

    /** Fine-tunes an existing Hugging Face model folder. */
    public SftRecipe model(Path dir) {
        return with(x -> { x.model = dir; x.newModel = null; x.modelConfig = null; });
    }

    public SftRecipe model(String dir) {
        return model(Path.of(dir));
    }

    /** Trains a new model of exactly this config (its vocab_size must cover the tokenizer), from random weights. */
    public SftRecipe newModel(ModelConfig config) {
        return with(x -> { x.modelConfig = Objects.requireNonNull(config, "config"); x.newModel = null; x.model = null; });
    }

    /**
     * Trains a new model from random weights: {@code architecture} is {@code qwen2}, {@code qwen3} or {@code llama};
     * head_dim = hidden / heads; tied embeddings, RMSNorm ε 1e-6, RoPE θ 10000, max_position_embeddings = max_length
     * and weights drawn with std 0.02 unless {@link #tieWordEmbeddings}, {@link #rmsNormEps}, {@link #ropeTheta},
     * {@link #maxPositionEmbeddings}, {@link #initializerRange} say otherwise.
     */
    public SftRecipe newModel(String architecture, int hidden, int layers, int heads, int kvHeads, int ffn) {
        Architecture a;
        try {
            a = Architecture.valueOf(architecture.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("newModel: architecture '" + architecture + "' is not one of qwen2, qwen3, llama");
        }
        NewModel m = new NewModel(a, hidden, layers, heads, kvHeads, ffn);
        return with(x -> { x.newModel = m; x.modelConfig = null; x.model = null; });
    }

    /**
     * The std of the normal distribution a new model's weights are drawn from (HF's {@code initializer_range};
     * default {@value #INITIALIZER_RANGE}); RMSNorm weights start at 1. Only for a new model: a loaded one keeps its weights.
     * A small model learns faster from a wider start: {@code newModel("llama", 128, 4, 4, 4, 384).initializerRange(0.08)}.
     */
    public SftRecipe initializerRange(double std) { return with(x -> x.initializerRange = std); }

    /** A new model's RMSNorm ε ({@code rms_norm_eps}; default {@value #RMS_NORM_EPS}); only with {@link #newModel(String, int, int, int, int, int)}. */
    public SftRecipe rmsNormEps(double eps) { return with(x -> x.rmsNormEps = eps); }

    /** A new model's RoPE base ({@code rope_theta}; default {@value #ROPE_THETA}); only with {@link #newModel(String, int, int, int, int, int)}. */
    public SftRecipe ropeTheta(double theta) { return with(x -> x.ropeTheta = theta); }

    /** Whether a new model's output head is its embedding ({@code tie_word_embeddings}; default true); only with {@link #newModel(String, int, int, int, int, int)}. */
    public SftRecipe tieWordEmbeddings(boolean tied) { return with(x -> x.tieWordEmbeddings = tied); }

    /**
     * The longest sequence a new model is made for ({@code max_position_embeddings}; default {@code max_length}), e.g.
     * longer than the SFT examples so that a later GRPO run can write more; only with {@link #newModel(String, int, int, int, int, int)}.
     */
    public SftRecipe maxPositionEmbeddings(int positions) { return with(x -> x.maxPositionEmbeddings = positions); }

    /** The tokenizer folder (default: the model folder). */
    public SftRecipe tokenizer(Path dir) {
        return with(x -> { x.tokenizer = dir; x.charTokenizer = false; });
    }

    public SftRecipe tokenizer(String dir) {
        return tokenizer(Path.of(dir));
    }

    /**
     * Builds a character tokenizer ({@link org.grpo4j.tokenizer.CharTokenizer}) from every string value of the data
     * set rows (and the held-out rows, the system prompt and the template's own text), with the special tokens
     * {@code <|endoftext|>}, {@code <|im_start|>} and {@code <|im_end|>} (ChatML template, EOS {@code <|im_end|>}).
     * It is saved with every checkpoint and with the final model.
     */
    public SftRecipe charTokenizer() {
        return with(x -> { x.charTokenizer = true; x.tokenizer = null; });
    }

    /** {@link #charTokenizer()} whose vocabulary also covers the characters of {@code corpus}. */
    public SftRecipe charTokenizer(Collection<String> corpus) {
        List<String> c = List.copyOf(corpus);
        return with(x -> { x.charTokenizer = true; x.tokenizer = null; x.extraCorpus = c; });
    }

    /**
     * {@link #charTokenizer(Collection)} with these special tokens (ids 1, 2, … after {@code <unk>}) instead of ChatML's.
     * The EOS token, which ends every completion, is {@code <|im_end|>} when {@code <|im_start|>} and {@code <|im_end|>}
     * are both among them (with a ChatML chat template), else {@code <|endoftext|>} when it is among them, else the
     * first; without ChatML's pair the chat template is plain {@code role: content} lines. A plain-text model that
     * ends its answers with {@code <|endoftext|>}: {@code .charTokenizer(extraText, List.of("<|endoftext|>"))}.
     */
    public SftRecipe charTokenizer(Collection<String> corpus, List<String> specialTokens) {
        List<String> c = List.copyOf(corpus);
        List<String> specials = Collections.unmodifiableList(new ArrayList<>(specialTokens)); // nulls reach the check, not an NPE here
        return with(x -> { x.charTokenizer = true; x.tokenizer = null; x.extraCorpus = c; x.charSpecialTokens = specials; });
    }

    // ------------------------------------------------------------------------------------------ data

    public SftRecipe dataset(Dataset d) { return with(x -> x.dataset = d); }
    public SftRecipe dataset(String file) { return dataset(Dataset.file(Path.of(file))); }
    public SftRecipe evalDataset(Dataset d) { return with(x -> x.evalDataset = d); }
    public SftRecipe testSplit(double fraction) { return with(x -> { x.testSplit = fraction; x.splitSeed = null; }); }
    public SftRecipe testSplit(double fraction, long seed) { return with(x -> { x.testSplit = fraction; x.splitSeed = seed; }); }
    /** The prompt column (default {@code prompt}); a data set with only a {@code messages} column is used as conversations. */
    public SftRecipe promptColumn(String column) { return with(x -> x.promptColumn = Objects.requireNonNull(column)); }
    /** The column the model learns to produce (default {@code completion}). */
    public SftRecipe completionColumn(String column) { return with(x -> x.completionColumn = Objects.requireNonNull(column)); }
    public SftRecipe systemPrompt(String text) { return with(x -> x.systemPrompt = text); }
    /** The prompt text from columns: {@code "Q: {question}\nA:"}. */
    public SftRecipe promptTemplate(String template) { return with(x -> x.promptTemplate = template); }
    public SftRecipe chatTemplate(boolean use) { return with(x -> x.chatTemplate = use); }

    // ------------------------------------------------------------------------------------------ settings

    /** Any TRL {@code SFTConfig} setting by name ({@link SftConfig#SCHEMA}); a misspelt name suggests the right one. */
    public SftRecipe set(String name, Object value) {
        return with(x -> x.set(SftConfig.SCHEMA, name, value));
    }

    /** What {@link #set} could not take, in the order it was set. */
    java.util.List<String> settingProblems() {
        return java.util.List.copyOf(f.settingProblems);
    }

    public SftRecipe set(Map<String, ?> settings) {
        SftRecipe r = this;
        for (Map.Entry<String, ?> e : settings.entrySet()) r = r.set(e.getKey(), e.getValue());
        return r;
    }

    public SftRecipe learningRate(double lr) { return set("learning_rate", lr); }
    public SftRecipe perDeviceTrainBatchSize(int n) { return set("per_device_train_batch_size", n); }
    public SftRecipe gradientAccumulationSteps(int n) { return set("gradient_accumulation_steps", n); }
    public SftRecipe maxSteps(int steps) { return set("max_steps", steps); }
    public SftRecipe numTrainEpochs(double epochs) { return set("num_train_epochs", epochs); }
    public SftRecipe maxLength(int tokens) { return set("max_length", tokens); }
    public SftRecipe loggingSteps(int steps) { return set("logging_steps", steps); }
    public SftRecipe saveSteps(int steps) { return set("save_steps", steps); }
    public SftRecipe evalSteps(int steps) { return set("eval_steps", steps); }
    public SftRecipe packing(boolean packing) { return set("packing", packing); }
    public SftRecipe seed(long seed) { return set("seed", seed); }
    /** LoRA adapters of rank {@code r}, scale {@code alpha / r}, beside the frozen base ({@code use_peft}); see {@link GrpoRecipe#lora}. */
    public SftRecipe lora(int r, double alpha) { return set("use_peft", true).set("lora_r", r).set("lora_alpha", alpha); }
    public SftRecipe gradientCheckpointing(boolean on) { return set("gradient_checkpointing", on); }
    public SftRecipe outputDir(String dir) { return set("output_dir", dir); }
    public SftRecipe outputDir(Path dir) { return set("output_dir", dir.toString()); }

    /** Where the final model goes, as a Hugging Face model folder with the tokenizer files. */
    public SftRecipe saveModelTo(Path dir) { return with(x -> x.saveModelTo = dir); }
    public SftRecipe saveModelTo(String dir) { return saveModelTo(Path.of(dir)); }
    public SftRecipe device(String device) { return with(x -> x.device = Objects.requireNonNull(device)); }
    public SftRecipe quiet() { return quiet(true); }
    public SftRecipe quiet(boolean quiet) { return with(x -> x.quiet = quiet); }

    // ------------------------------------------------------------------------------------------ reading it back

    public Path model() { return f.model; }
    public ModelConfig newModelConfig() { return f.modelConfig; }
    public NewModel newModelShape() { return f.newModel; }
    public boolean usesCharTokenizer() { return f.charTokenizer; }
    List<String> extraCorpus() { return f.extraCorpus; }
    /** The special tokens of the character tokenizer (ids 1, 2, … after {@code <unk>}). */
    public List<String> charSpecialTokens() { return f.charSpecialTokens; }
    /** The new model's init std, or null for {@link #INITIALIZER_RANGE}. */
    public Double initializerRange() { return f.initializerRange; }
    /** The new model's {@code rms_norm_eps}, or null for {@link #RMS_NORM_EPS}. */
    public Double rmsNormEps() { return f.rmsNormEps; }
    /** The new model's {@code rope_theta}, or null for {@link #ROPE_THETA}. */
    public Double ropeTheta() { return f.ropeTheta; }
    /** The new model's {@code tie_word_embeddings}, or null for tied. */
    public Boolean tieWordEmbeddings() { return f.tieWordEmbeddings; }
    /** The new model's {@code max_position_embeddings}, or null for {@code max_length}. */
    public Integer maxPositionEmbeddings() { return f.maxPositionEmbeddings; }
    /** The tokenizer folder set, else the model folder; null with a character tokenizer or a new model. */
    public Path tokenizerDir() { return f.charTokenizer ? null : f.tokenizer != null ? f.tokenizer : f.model; }
    public Dataset dataset() { return f.dataset; }
    public Dataset evalDataset() { return f.evalDataset; }
    public Double testSplit() { return f.testSplit; }
    Long splitSeed() { return f.splitSeed; }
    public String promptColumn() { return f.promptColumn; }
    public String completionColumn() { return f.completionColumn; }
    public String systemPrompt() { return f.systemPrompt; }
    public String promptTemplate() { return f.promptTemplate; }
    public Boolean chatTemplate() { return f.chatTemplate; }
    public Map<String, Object> settings() { return Collections.unmodifiableMap(f.settings); }
    public Path saveModelTo() { return f.saveModelTo; }
    public String device() { return f.device; }
    public boolean isQuiet() { return f.quiet; }

    Prompting prompting() {
        return f.prompting();
    }

    /** TRL's SFT defaults with this recipe's settings; fails with every invalid combination listed. */
    public SftConfig config() {
        SettingsBuilder<SftConfig> b = SftConfig.builder();
        f.settings.forEach(b::set);
        return b.build();
    }

    /** Checks everything and prepares the examples; every problem is listed in one {@link RecipeException}. */
    public SftPlan build() {
        return SftPlan.of(this);
    }

    public SftRecipe validate() {
        build();
        return this;
    }

    /** Trains; the same as {@link Recipes#train(SftRecipe)}. */
    public SftResult train() {
        return Recipes.train(this);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(f.model != null ? "model " + f.model : f.newModel != null ? "new " + f.newModel : f.modelConfig != null ? "new " + f.modelConfig : "no model");
        if (f.dataset != null) parts.add("dataset " + f.dataset);
        if (!f.settings.isEmpty()) parts.add(f.settings.toString());
        return "SftRecipe(" + String.join(", ", parts) + ")";
    }
}
