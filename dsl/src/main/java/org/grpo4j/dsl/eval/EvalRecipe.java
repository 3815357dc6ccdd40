package org.grpo4j.dsl.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.RewardFunction;

/**
 * An evaluation of one or more models on a data set, open-r1's {@code evaluate.py} role: greedy accuracy, pass@1
 * averaged over n samples, unbiased pass@k, maj@k, mean completion length and the truncated fraction, per model,
 * in one table; {@code results.json} and {@code details.jsonl} in the output folder when one is set. Immutable:
 * every setter returns a new recipe.
 *
 * <pre>{@code
 * EvalResults r = EvalRecipe.create()
 *         .model("examples/models/arithmetic-sft").model("runs/arithmetic-grpo")     // a run folder: its newest checkpoint
 *         .dataset(Dataset.jsonl("examples/arithmetic/data/test.jsonl").take(50))
 *         .promptTemplate("{prompt}\n").answerColumn("solution")
 *         .n(8).temperature(1.0).maxTokens(64).outputDir("runs/eval")
 *         .run();
 * System.out.println(r.table());
 * }</pre>
 *
 * @param rewards the scorers; empty = {@code accuracy} reading the gold answer from {@code answerColumn}. The first
 *                reward named {@code accuracy} (else the first) decides correctness: full score = correct
 * @param ks      the k of pass@k and maj@k; empty = 1, 2, 4, … up to n, and n
 */
public record EvalRecipe(List<Path> models, Dataset dataset, PromptedModel.Prompting prompting, String answerColumn,
                         List<RewardFunction> rewards, int n, double temperature, double topP, int maxTokens, List<Integer> ks, long seed,
                         Path outputDir, String device, boolean silent, int batchCompletions) {
    public EvalRecipe {
        models = List.copyOf(models);
        rewards = List.copyOf(rewards);
        ks = List.copyOf(ks);
    }

    /** No model or data yet; n = 8 samples at temperature 0.6 (open-r1's evaluation setting), 256 new tokens, seed 42, cpu. */
    public static EvalRecipe create() {
        return new EvalRecipe(List.of(), null, PromptedModel.Prompting.DEFAULT, null, List.of(), 8, 0.6, 1.0, 256, List.of(), 42, null, "cpu", false, 256);
    }

    /** Adds a model: a model folder, a checkpoint, or a run folder (its newest checkpoint). */
    public EvalRecipe model(Path dir) {
        List<Path> m = new ArrayList<>(models);
        m.add(dir);
        return new EvalRecipe(m, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe model(String dir) {
        return model(Path.of(dir));
    }

    public EvalRecipe dataset(Dataset d) {
        return new EvalRecipe(models, d, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe dataset(String file) {
        return dataset(Dataset.file(Path.of(file)));
    }

    public EvalRecipe prompting(PromptedModel.Prompting p) {
        return new EvalRecipe(models, dataset, p, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe promptColumn(String column) {
        return prompting(new PromptedModel.Prompting(column, null, prompting.systemPrompt(), prompting.chat()));
    }

    public EvalRecipe promptTemplate(String template) {
        return prompting(new PromptedModel.Prompting(prompting.column(), template, prompting.systemPrompt(), prompting.chat()));
    }

    public EvalRecipe systemPrompt(String text) {
        return prompting(new PromptedModel.Prompting(prompting.column(), prompting.template(), text, prompting.chat()));
    }

    public EvalRecipe chatTemplate(boolean use) {
        return prompting(new PromptedModel.Prompting(prompting.column(), prompting.template(), prompting.systemPrompt(), use));
    }

    /** The column with the gold answer, for the default accuracy scorer (default: {@code solution}, else {@code answer}). */
    public EvalRecipe answerColumn(String column) {
        return new EvalRecipe(models, dataset, prompting, column, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    /** The scorers, e.g. {@code rewards(Rewards.accuracy("answer"), Rewards.format())} or a code-execution reward. */
    public EvalRecipe rewards(RewardFunction... fns) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, List.of(fns), n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe rewards(List<? extends RewardFunction> fns) {
        return rewards(fns.toArray(RewardFunction[]::new));
    }

    public EvalRecipe n(int samples) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, samples, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe temperature(double t) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, t, topP, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe topP(double p) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, p, maxTokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe maxTokens(int tokens) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, tokens, ks, seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe ks(Integer... k) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, List.of(k), seed, outputDir, device, silent, batchCompletions);
    }

    public EvalRecipe seed(long s) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, s, outputDir, device, silent, batchCompletions);
    }

    /** Where {@code results.json} and {@code details.jsonl} go (created; files there are replaced). */
    public EvalRecipe outputDir(Path dir) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, dir, device, silent, batchCompletions);
    }

    public EvalRecipe outputDir(String dir) {
        return outputDir(Path.of(dir));
    }

    public EvalRecipe device(String d) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, d, silent, batchCompletions);
    }

    /** No progress bar and no table on standard output. */
    public EvalRecipe quiet() {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, true, batchCompletions);
    }

    /** Completions per generation call (greedy + sampled); bigger batches are faster until memory runs short. */
    public EvalRecipe batchCompletions(int completions) {
        return new EvalRecipe(models, dataset, prompting, answerColumn, rewards, n, temperature, topP, maxTokens, ks, seed, outputDir, device, silent, completions);
    }

    /** The scorers in use: the ones set, or accuracy on {@code answerColumn}. */
    public List<RewardFunction> scorers() {
        if (!rewards.isEmpty()) return rewards;
        return List.of(answerColumn == null ? Rewards.accuracy() : Rewards.accuracy(answerColumn));
    }

    /** The k values reported: those set (each within 1..n), else 1, 2, 4, … below n, and n. */
    public int[] kValues() {
        if (!ks.isEmpty()) {
            int[] out = new int[ks.size()];
            for (int i = 0; i < out.length; i++) {
                int k = ks.get(i);
                if (k < 1 || k > n) throw new IllegalArgumentException("pass@" + k + ": k must be between 1 and n = " + n);
                out[i] = k;
            }
            return out;
        }
        List<Integer> k = new ArrayList<>();
        for (int v = 1; v < n; v *= 2) k.add(v);
        k.add(n);
        return k.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Checks, generates, scores and reports (see {@link Evaluator}). */
    public EvalResults run() {
        return Evaluator.run(this);
    }
}
