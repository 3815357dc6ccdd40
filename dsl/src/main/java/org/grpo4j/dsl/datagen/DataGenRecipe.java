package org.grpo4j.dsl.datagen;

import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.eval.PromptedModel;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.RewardFunction;

/**
 * A data set made by a model, open-r1's {@code generate.py} role (how OpenR1-Math-220k was made): n answers per
 * prompt, scored by the rewards, written as JSON Lines with the prompt's columns plus {@code generations},
 * {@code finish_reasons}, {@code rewards} (per function, a list), {@code correctness}, the kept answer as
 * {@code completion} and {@code messages} (ready for SFT), and {@code row_index}. {@link Keep} decides which
 * prompts are written. A rerun continues where the last one stopped: prompts already done are skipped, never
 * written twice; the progress lives in {@code OUTPUT.progress}. Immutable: each setter returns a new recipe.
 *
 * <pre>{@code
 * DataGenResult r = DataGenRecipe.create()
 *         .model("examples/models/arithmetic-sft")
 *         .dataset(Dataset.jsonl("examples/arithmetic/data/train.jsonl").take(200))
 *         .promptTemplate("{prompt}\n").answerColumn("solution").completionColumn("generated")
 *         .n(4).temperature(1.0).maxTokens(64).keep(Keep.CORRECT).output("runs/distill/data.jsonl")
 *         .run();
 * System.out.printf("kept %d of %d prompts%n", r.written(), r.prompts());
 * }</pre>
 */
public record DataGenRecipe(Path model, Dataset dataset, PromptedModel.Prompting prompting, String answerColumn, List<RewardFunction> rewards,
                            int n, double temperature, double topP, int maxTokens, Keep keep, String completionColumn, Path output, long seed,
                            String device, boolean silent, int batchCompletions) {
    public DataGenRecipe {
        rewards = List.copyOf(rewards);
    }

    /** n = 4 at temperature 0.6, 256 new tokens, keep correct answers, column {@code completion}, seed 42, cpu. */
    public static DataGenRecipe create() {
        return new DataGenRecipe(null, null, PromptedModel.Prompting.DEFAULT, null, List.of(), 4, 0.6, 1.0, 256, Keep.CORRECT, "completion", null, 42,
                "cpu", false, 256);
    }

    public DataGenRecipe model(Path dir) {
        return new DataGenRecipe(dir, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe model(String dir) {
        return model(Path.of(dir));
    }

    public DataGenRecipe dataset(Dataset d) {
        return new DataGenRecipe(model, d, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe dataset(String file) {
        return dataset(Dataset.file(Path.of(file)));
    }

    public DataGenRecipe prompting(PromptedModel.Prompting p) {
        return new DataGenRecipe(model, dataset, p, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe promptColumn(String column) {
        return prompting(new PromptedModel.Prompting(column, null, prompting.systemPrompt(), prompting.chat()));
    }

    public DataGenRecipe promptTemplate(String template) {
        return prompting(new PromptedModel.Prompting(prompting.column(), template, prompting.systemPrompt(), prompting.chat()));
    }

    public DataGenRecipe systemPrompt(String text) {
        return prompting(new PromptedModel.Prompting(prompting.column(), prompting.template(), text, prompting.chat()));
    }

    public DataGenRecipe chatTemplate(boolean use) {
        return prompting(new PromptedModel.Prompting(prompting.column(), prompting.template(), prompting.systemPrompt(), use));
    }

    /** The gold-answer column of the default accuracy scorer (default: {@code solution}, else {@code answer}). */
    public DataGenRecipe answerColumn(String column) {
        return new DataGenRecipe(model, dataset, prompting, column, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    /** The scorers; the first named {@code accuracy} (else the first) decides correctness. */
    public DataGenRecipe rewards(RewardFunction... fns) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, List.of(fns), n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe rewards(List<? extends RewardFunction> fns) {
        return rewards(fns.toArray(RewardFunction[]::new));
    }

    public DataGenRecipe n(int answers) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, answers, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe temperature(double t) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, t, topP, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe topP(double p) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, p, maxTokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe maxTokens(int tokens) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, tokens, keep, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe keep(Keep k) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, k, completionColumn, output, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe keep(String k) {
        return keep(Keep.parse(k));
    }

    /** The column that holds the kept answer (default {@code completion}); it must not be a column of the input. */
    public DataGenRecipe completionColumn(String column) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, column, output, seed, device, silent, batchCompletions);
    }

    /** The JSON Lines file written (appended to when a previous run stopped part-way). */
    public DataGenRecipe output(Path file) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, file, seed, device, silent, batchCompletions);
    }

    public DataGenRecipe output(String file) {
        return output(Path.of(file));
    }

    public DataGenRecipe seed(long s) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, s, device, silent, batchCompletions);
    }

    public DataGenRecipe device(String d) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, d, silent, batchCompletions);
    }

    /** No progress bar and no summary on standard output. */
    public DataGenRecipe quiet() {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, true, batchCompletions);
    }

    /** Answers per generation call (prompts × n); rows are written after each call. */
    public DataGenRecipe batchCompletions(int completions) {
        return new DataGenRecipe(model, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, keep, completionColumn, output, seed, device, silent, completions);
    }

    public List<RewardFunction> scorers() {
        if (!rewards.isEmpty()) return rewards;
        return List.of(answerColumn == null ? Rewards.accuracy() : Rewards.accuracy(answerColumn));
    }

    public DataGenResult run() {
        return DataGenerator.run(this);
    }
}
