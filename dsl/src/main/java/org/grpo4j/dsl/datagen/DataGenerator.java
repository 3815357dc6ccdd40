package org.grpo4j.dsl.datagen;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.grpo4j.dsl.eval.ProgressBar;
import org.grpo4j.dsl.eval.PromptedModel;
import org.grpo4j.generate.Generator;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.grpo.Prompt;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.tokenizer.ChatMessage;

/**
 * Runs a {@link DataGenRecipe}: prompts are cut into fixed chunks (the chunk's number seeds its sampling); each
 * chunk's n answers per prompt are generated in one batched call, scored, and its rows appended and flushed before
 * the chunk is recorded as done (see {@link Progress}).
 */
final class DataGenerator {
    /** Columns every output row gets; an input column of the same name would be overwritten, so it is refused. */
    static final List<String> WRITTEN = List.of("row_index", "generations", "finish_reasons", "rewards", "correctness");
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataGenerator() {}

    static DataGenResult run(DataGenRecipe r) {
        check(r);
        PromptedModel pm = PromptedModel.of(r.model(), r.dataset(), r.prompting(), r.scorers(), r.maxTokens(), r.device());
        for (String c : columns(r))
            if (r.dataset().hasColumn(c) && !c.equals("messages"))
                throw new IllegalArgumentException(r.dataset().source() + " already has a column '" + c + "', which generate-data writes"
                        + (c.equals(r.completionColumn()) ? "; choose another name for the kept answer with completionColumn(\"…\") (--completion-column)" : ""));
        PrintStream console = r.silent() ? null : System.out;
        List<Prompt> prompts = pm.plan().train();
        var settings = new Evaluation.Settings(r.n(), r.temperature(), 0, r.topP(), 0.0, 1.0, r.maxTokens(), r.seed(), Integer.MAX_VALUE,
                Duration.ofMillis((long) (pm.plan().config().number("reward_timeout_seconds") * 1000)));
        Evaluation sampler = new Evaluation(settings, pm.plan().rewards(), pm.plan().decoder(), pm.plan().stopTokenIds());
        int chunk = Math.max(1, r.batchCompletions() / r.n());
        try (Progress progress = Progress.open(r.output(), describe(r, pm));
             BufferedWriter out = Files.newBufferedWriter(r.output(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (Prompt p : prompts) {
                String h = progress.promptHashes.get(p.index());
                if (h != null && !h.equals(Progress.hash(p.text())))
                    throw new IllegalArgumentException(r.output() + " was made from other prompts: row " + (p.index() + 1) + " of " + r.dataset().source()
                            + " (" + r.dataset().origin(p.index()) + ") is not the prompt generated for then; continue it with the same data set, "
                            + "or choose another output file");
            }
            int resumed = progress.done.size(), writtenBefore = progress.rowsInFile;
            if (console != null && resumed > 0)
                console.println("generate-data: " + r.output() + " already covers " + resumed + " of " + prompts.size() + " prompts (" + writtenBefore
                        + " rows); continuing");
            Generator generator = resumed >= prompts.size() ? null : new Generator(pm.load(), pm.plan().decoder());
            ProgressBar bar = new ProgressBar(console, "prompts", prompts.size());
            int now = 0, written = 0, answers = 0, correct = 0;
            for (int c0 = 0, round = 0; c0 < prompts.size(); c0 += chunk, round++) {
                List<Prompt> part = new ArrayList<>();
                for (Prompt p : prompts.subList(c0, Math.min(prompts.size(), c0 + chunk))) if (!progress.done.contains(p.index())) part.add(p);
                if (part.isEmpty()) continue;
                List<Evaluation.Scored> scored = sampler.sample(generator, part, r.seed() + round);
                List<Integer> indices = new ArrayList<>();
                List<String> texts = new ArrayList<>();
                for (int p = 0; p < part.size(); p++) {
                    List<Evaluation.Scored> mine = scored.subList(p * r.n(), (p + 1) * r.n());
                    for (Evaluation.Scored s : mine) correct += s.rewards()[sampler.scorer()] >= 1 - 1e-9 ? 1 : 0;
                    answers += mine.size();
                    Map<String, Object> row = row(r, pm, part.get(p), mine, sampler.scorer(), pm.plan().rewards());
                    if (row != null) {
                        out.write(JSON.writeValueAsString(row));
                        out.newLine();
                        written++;
                    }
                    indices.add(part.get(p).index());
                    texts.add(part.get(p).text());
                }
                out.flush();
                progress.markDone(indices, texts);
                now += part.size();
                int doneAll = progress.done.size();
                bar.update(doneAll, String.format(Locale.ROOT, "kept %.0f%%", 100.0 * (writtenBefore + written) / doneAll));
            }
            DataGenResult result = new DataGenResult(r.output(), prompts.size(), now, resumed, writtenBefore + written, written,
                    answers == 0 ? Double.NaN : correct / (double) answers);
            bar.done(console == null ? null : String.format(Locale.ROOT, "generate-data: %d rows in %s; kept %.1f%% of %d prompts (keep %s); "
                    + "%s of this run's answers correct", result.written(), r.output(), 100 * result.keptFraction(), now + resumed, r.keep(),
                    Double.isNaN(result.answersCorrect()) ? "none" : String.format(Locale.ROOT, "%.1f%%", 100 * result.answersCorrect())));
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(r.output() + ": " + e.getMessage(), e);
        }
    }

    private static void check(DataGenRecipe r) {
        List<String> problems = new ArrayList<>();
        if (r.model() == null) problems.add("model: not set; .model(\"path/to/model-folder\") (--model DIR)");
        if (r.dataset() == null) problems.add("dataset: not set; .dataset(Dataset.jsonl(\"prompts.jsonl\")) (--data FILE)");
        if (r.output() == null) problems.add("output: not set; .output(\"data.jsonl\") (--out FILE)");
        if (r.n() < 1) problems.add("n = " + r.n() + " must be >= 1");
        if (!(r.temperature() > 0)) problems.add("temperature = " + r.temperature() + " must be > 0");
        if (r.maxTokens() < 1) problems.add("max tokens = " + r.maxTokens() + " must be >= 1");
        if (r.completionColumn() == null || r.completionColumn().isBlank()) problems.add("completionColumn must be a column name");
        if (!problems.isEmpty()) throw new IllegalArgumentException("generate-data: " + String.join("; ", problems));
    }

    static List<String> columns(DataGenRecipe r) {
        List<String> c = new ArrayList<>(WRITTEN);
        c.add(r.completionColumn());
        c.add("messages");
        return c;
    }

    /** The row of one prompt, or null when {@link Keep#CORRECT} finds no correct answer. */
    private static Map<String, Object> row(DataGenRecipe r, PromptedModel pm, Prompt p, List<Evaluation.Scored> answers, int scorer, List<RewardFunction> fns) {
        int chosen = choose(r.keep(), answers, scorer);
        if (chosen < 0) return null;
        Map<String, Object> row = new LinkedHashMap<>(p.row());
        row.put("row_index", p.index());
        List<String> texts = new ArrayList<>(), reasons = new ArrayList<>();
        List<Boolean> correctness = new ArrayList<>();
        Map<String, List<Double>> rewards = new LinkedHashMap<>();
        for (RewardFunction f : fns) rewards.put(f.name(), new ArrayList<>());
        for (Evaluation.Scored s : answers) {
            texts.add(s.text());
            reasons.add(s.completion().finishReason().toString());
            correctness.add(s.rewards()[scorer] >= 1 - 1e-9);
            for (int f = 0; f < fns.size(); f++) rewards.get(fns.get(f).name()).add(Double.isFinite(s.rewards()[f]) ? s.rewards()[f] : null);
        }
        row.put("generations", texts);
        row.put("finish_reasons", reasons);
        row.put("rewards", rewards);
        row.put("correctness", correctness);
        String kept = answers.get(chosen).text();
        row.put(r.completionColumn(), kept);
        List<Map<String, String>> messages = new ArrayList<>();
        for (ChatMessage m : pm.plan().promptMessages(p)) messages.add(message(m.role(), m.content()));
        messages.add(message("assistant", kept));
        row.put("messages", messages);
        return row;
    }

    private static Map<String, String> message(String role, String content) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** The answer a row keeps: see {@link Keep}; -1 = none. */
    static int choose(Keep keep, List<Evaluation.Scored> answers, int scorer) {
        return switch (keep) {
            case ALL -> 0;
            case CORRECT -> {
                for (int i = 0; i < answers.size(); i++) if (answers.get(i).rewards()[scorer] >= 1 - 1e-9) yield i;
                yield -1;
            }
            case BEST -> {
                int best = 0;
                double top = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < answers.size(); i++) {
                    double sum = 0;
                    for (double v : answers.get(i).rewards()) if (!Double.isNaN(v)) sum += v;
                    if (sum > top) {
                        top = sum;
                        best = i;
                    }
                }
                yield best;
            }
        };
    }

    /** The settings a rerun must match to continue the same output. */
    private static Map<String, Object> describe(DataGenRecipe r, PromptedModel pm) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", pm.model().toString());
        m.put("data", r.dataset().source());
        r.prompting().putInto(m);
        m.put("scorers", r.scorers().stream().map(RewardFunction::name).toList());
        m.put("answer_column", r.answerColumn());
        m.put("n", r.n());
        m.put("temperature", r.temperature());
        m.put("top_p", r.topP());
        m.put("max_tokens", r.maxTokens());
        m.put("keep", r.keep().toString());
        m.put("completion_column", r.completionColumn());
        m.put("seed", r.seed());
        m.put("batch_completions", r.batchCompletions());
        return m;
    }
}
