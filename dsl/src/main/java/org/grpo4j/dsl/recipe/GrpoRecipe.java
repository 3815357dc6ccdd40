package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.WeightedReward;
import org.grpo4j.train.SettingsBuilder;

/**
 * A GRPO training run described as a value: the model folder, the data, how a row becomes a prompt, the reward
 * functions with their weights and every TRL {@code GRPOConfig} setting by its TRL name. Each call returns a new
 * recipe (recipes are immutable and can be shared, varied and compared). Nothing is read until
 * {@link #validate()}, {@link #build()} or {@link Recipes#train(GrpoRecipe)}; then every problem is reported at
 * once, before any work starts, each naming the setting, the value and the rule.
 *
 * <pre>{@code
 * var recipe = Recipes.grpo()
 *         .model("models/tiny-arith")
 *         .dataset(Dataset.jsonl("data/arith.jsonl"))
 *         .testSplit(0.1)
 *         .promptTemplate("Q: {question}\nA:")
 *         .reward(Rewards.accuracy("answer"))
 *         .numGenerations(8).learningRate(1e-5).maxCompletionLength(32).maxSteps(50)
 *         .outputDir("runs/arith");
 * var before = Recipes.evaluate(recipe);
 * var result = Recipes.train(recipe);
 * System.out.printf("held-out accuracy: before %.0f%% after %.0f%%%n", 100 * before.accuracy(), 100 * result.accuracy());
 * }</pre>
 */
public final class GrpoRecipe {
    private static final class Fields extends RecipeFields {
        List<WeightedReward> rewards = List.of();

        Fields copy() {
            Fields f = copyInto(new Fields());
            f.rewards = rewards;
            return f;
        }
    }

    private final Fields f;

    private GrpoRecipe(Fields f) {
        this.f = f;
    }

    /** An empty recipe; {@link Recipes#grpo()} is the usual way in. */
    public static GrpoRecipe create() {
        return new GrpoRecipe(new Fields());
    }

    private GrpoRecipe with(Consumer<Fields> change) {
        Fields n = f.copy();
        change.accept(n);
        return new GrpoRecipe(n);
    }

    // ------------------------------------------------------------------------------------------ model and data

    /** A local Hugging Face model folder ({@code config.json}, {@code *.safetensors}, tokenizer files). */
    public GrpoRecipe model(Path dir) {
        return with(x -> x.model = dir);
    }

    public GrpoRecipe model(String dir) {
        return model(Path.of(dir));
    }

    /** The folder of {@code tokenizer.json} when it is not the model folder. */
    public GrpoRecipe tokenizer(Path dir) {
        return with(x -> x.tokenizer = dir);
    }

    public GrpoRecipe tokenizer(String dir) {
        return tokenizer(Path.of(dir));
    }

    /** The training prompts. */
    public GrpoRecipe dataset(Dataset d) {
        return with(x -> x.dataset = d);
    }

    /** A {@code .jsonl} or {@code .csv} file of training prompts. */
    public GrpoRecipe dataset(String file) {
        return dataset(Dataset.file(Path.of(file)));
    }

    /** Held-out prompts for {@link Recipes#evaluate} and the evaluation at the end of training (and every eval_steps). */
    public GrpoRecipe evalDataset(Dataset d) {
        return with(x -> x.evalDataset = d);
    }

    /** Holds out this fraction of the data set for evaluation, split with the recipe's {@code seed}. */
    public GrpoRecipe testSplit(double fraction) {
        return with(x -> {
            x.testSplit = fraction;
            x.splitSeed = null;
        });
    }

    /** Holds out this fraction of the data set for evaluation, split with this seed. */
    public GrpoRecipe testSplit(double fraction, long seed) {
        return with(x -> {
            x.testSplit = fraction;
            x.splitSeed = seed;
        });
    }

    /** The column holding the prompt: text, or a list of {@code {role, content}} messages (default {@code prompt}). */
    public GrpoRecipe promptColumn(String column) {
        return with(x -> x.promptColumn = Objects.requireNonNull(column, "column"));
    }

    /** A system message put before every prompt; implies the chat template. */
    public GrpoRecipe systemPrompt(String text) {
        return with(x -> x.systemPrompt = text);
    }

    /** The prompt text from columns: {@code "Q: {question}\nA:"}; {@code {{} and {@code }}} are literal braces. */
    public GrpoRecipe promptTemplate(String template) {
        return with(x -> x.promptTemplate = template);
    }

    /**
     * Whether the prompt goes through the tokenizer's chat template as a user message. Default: yes when a system
     * prompt is set or the prompt column holds chat messages, otherwise the text is used as it is.
     */
    public GrpoRecipe chatTemplate(boolean use) {
        return with(x -> x.chatTemplate = use);
    }

    // ------------------------------------------------------------------------------------------ rewards

    /** Adds a reward; its {@link Reward#weight()} becomes its {@code reward_weights} entry. */
    public GrpoRecipe reward(Reward r) {
        return reward(r, r.weight());
    }

    /** Adds any reward function with a weight. */
    public GrpoRecipe reward(RewardFunction r, double weight) {
        Objects.requireNonNull(r, "reward");
        return with(x -> {
            List<WeightedReward> l = new ArrayList<>(x.rewards);
            l.add(new WeightedReward(r, weight));
            x.rewards = List.copyOf(l);
        });
    }

    /** Replaces the rewards with these (each weighted by its {@link Reward#weight()}). */
    public GrpoRecipe rewards(Reward... rewards) {
        List<WeightedReward> l = new ArrayList<>();
        for (Reward r : rewards) l.add(new WeightedReward(r, r.weight()));
        return with(x -> x.rewards = List.copyOf(l));
    }

    /** Replaces the rewards with these, each with weight 1 unless it is a {@link Reward}. */
    public GrpoRecipe rewards(List<? extends RewardFunction> rewards) {
        List<WeightedReward> l = new ArrayList<>();
        for (RewardFunction r : rewards) l.add(new WeightedReward(Objects.requireNonNull(r, "reward"), r instanceof Reward w ? w.weight() : 1.0));
        return with(x -> x.rewards = List.copyOf(l));
    }

    // ------------------------------------------------------------------------------------------ settings

    /**
     * Any TRL {@code GRPOConfig} setting by name ({@link GrpoConfig#SCHEMA}). A wrong name or kind, e.g.
     * {@code set("num_generation", 8)}, is kept as a problem ("did you mean 'num_generations'?") that checking the
     * recipe reports together with all its others, and that the recipe's printed form shows at once.
     */
    public GrpoRecipe set(String name, Object value) {
        return with(x -> x.set(GrpoConfig.SCHEMA, name, value));
    }

    /** What {@link #set} could not take, in the order it was set. */
    java.util.List<String> settingProblems() {
        return java.util.List.copyOf(f.settingProblems);
    }

    /** Several settings at once, by TRL name. */
    public GrpoRecipe set(Map<String, ?> settings) {
        GrpoRecipe r = this;
        for (Map.Entry<String, ?> e : settings.entrySet()) r = r.set(e.getKey(), e.getValue());
        return r;
    }

    public GrpoRecipe numGenerations(int g) { return set("num_generations", g); }
    public GrpoRecipe learningRate(double lr) { return set("learning_rate", lr); }
    public GrpoRecipe beta(double beta) { return set("beta", beta); }
    public GrpoRecipe epsilon(double epsilon) { return set("epsilon", epsilon); }
    /** grpo | bnpo | dr_grpo | dapo | cispo | sapo */
    public GrpoRecipe lossType(String type) { return set("loss_type", type); }
    public GrpoRecipe maxCompletionLength(int tokens) { return set("max_completion_length", tokens); }
    public GrpoRecipe maxPromptLength(int tokens) { return set("max_prompt_length", tokens); }
    public GrpoRecipe temperature(double t) { return set("temperature", t); }
    public GrpoRecipe perDeviceTrainBatchSize(int completions) { return set("per_device_train_batch_size", completions); }
    public GrpoRecipe gradientAccumulationSteps(int steps) { return set("gradient_accumulation_steps", steps); }
    public GrpoRecipe maxSteps(int steps) { return set("max_steps", steps); }
    public GrpoRecipe numTrainEpochs(double epochs) { return set("num_train_epochs", epochs); }
    public GrpoRecipe loggingSteps(int steps) { return set("logging_steps", steps); }
    public GrpoRecipe saveSteps(int steps) { return set("save_steps", steps); }
    public GrpoRecipe evalSteps(int steps) { return set("eval_steps", steps); }
    public GrpoRecipe outputDir(String dir) { return set("output_dir", dir); }
    public GrpoRecipe outputDir(Path dir) { return set("output_dir", dir.toString()); }
    public GrpoRecipe seed(long seed) { return set("seed", seed); }

    /**
     * Trains LoRA adapters of rank {@code r} (scale {@code alpha / r}) beside the frozen base instead of every weight
     * ({@code use_peft}, {@code lora_r}, {@code lora_alpha}); other LoRA settings by name, e.g.
     * {@code .lora(16, 32).set("lora_target_modules", "all-linear").set("load_in_4bit", true)} for QLoRA.
     */
    public GrpoRecipe lora(int r, double alpha) { return set("use_peft", true).set("lora_r", r).set("lora_alpha", alpha); }
    public GrpoRecipe gradientCheckpointing(boolean on) { return set("gradient_checkpointing", on); }

    /** {@code cpu} (default), or {@code opencl} / {@code opencl:N} where the OpenCL backend is part of the build. */
    public GrpoRecipe device(String device) {
        return with(x -> x.device = Objects.requireNonNull(device, "device"));
    }

    /** No progress lines on the console (metrics.jsonl is still written). */
    public GrpoRecipe quiet() {
        return quiet(true);
    }

    public GrpoRecipe quiet(boolean quiet) {
        return with(x -> x.quiet = quiet);
    }

    // ------------------------------------------------------------------------------------------ reading it back

    public Path model() { return f.model; }
    /** The tokenizer folder: the one set, else the model folder. */
    public Path tokenizerDir() { return f.tokenizer != null ? f.tokenizer : f.model; }
    public Dataset dataset() { return f.dataset; }
    public Dataset evalDataset() { return f.evalDataset; }
    /** The held-out fraction, or null. */
    public Double testSplit() { return f.testSplit; }
    public String promptColumn() { return f.promptColumn; }
    public String systemPrompt() { return f.systemPrompt; }
    public String promptTemplate() { return f.promptTemplate; }
    /** True/false when set, null for the default (see {@link #chatTemplate(boolean)}). */
    public Boolean chatTemplate() { return f.chatTemplate; }
    public List<WeightedReward> rewards() { return f.rewards; }
    /** The settings set explicitly, by TRL name, in the order they were set. */
    public Map<String, Object> settings() { return Collections.unmodifiableMap(f.settings); }
    public String device() { return f.device; }
    public boolean isQuiet() { return f.quiet; }

    Long splitSeed() { return f.splitSeed; }

    Prompting prompting() {
        return f.prompting();
    }

    /**
     * The trainer settings: TRL's defaults, the settings set here, and {@code reward_weights} from the rewards'
     * weights unless set explicitly. Fails with every invalid combination listed.
     */
    public GrpoConfig config() {
        SettingsBuilder<GrpoConfig> b = GrpoConfig.builder();
        f.settings.forEach(b::set);
        if (!f.settings.containsKey("reward_weights") && !f.rewards.isEmpty()) {
            List<Double> w = new ArrayList<>();
            for (WeightedReward r : f.rewards) w.add(r.weight());
            b.set("reward_weights", w);
        }
        return b.build();
    }

    // ------------------------------------------------------------------------------------------ checking and running

    /**
     * Reads the model's config, the tokenizer and the data, formats and tokenises every prompt, and checks it all;
     * returns what a trainer needs. Every problem found is listed in one {@link RecipeException}.
     */
    public GrpoPlan build() {
        return GrpoPlan.of(this);
    }

    /** {@link #build()} for its checks only; returns this recipe. */
    public GrpoRecipe validate() {
        build();
        return this;
    }

    /** Trains; the same as {@link Recipes#train(GrpoRecipe)}. */
    public GrpoResult train() {
        return Recipes.train(this);
    }

    /** Held-out evaluation of the model before training; the same as {@link Recipes#evaluate(GrpoRecipe)}. */
    public Evaluation.Result evaluate() {
        return Recipes.evaluate(this);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("GrpoRecipe(model ").append(f.model);
        if (f.dataset != null) sb.append(", dataset ").append(f.dataset);
        List<String> names = new ArrayList<>();
        for (WeightedReward r : f.rewards) names.add(r.function().name() + (r.weight() == 1.0 ? "" : "×" + r.weight()));
        sb.append(", rewards ").append(names);
        if (!f.settings.isEmpty()) sb.append(", ").append(f.settings);
        if (!f.settingProblems.isEmpty()) sb.append(", INVALID: ").append(String.join("; ", f.settingProblems));
        return sb.append(", device ").append(f.device).append(')').toString();
    }
}
