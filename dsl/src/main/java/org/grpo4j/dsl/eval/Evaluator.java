package org.grpo4j.dsl.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.grpo4j.dsl.math.AnswerExtractor;
import org.grpo4j.dsl.math.Expr;
import org.grpo4j.dsl.math.LatexParser;
import org.grpo4j.dsl.math.MathVerifier;
import org.grpo4j.generate.Generator;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.grpo.Prompt;
import org.grpo4j.reward.RewardFunction;

/**
 * Runs an {@link EvalRecipe}: for each model, the data set's prompts are rendered and checked, the model answers
 * each once greedily and n times sampled (batched through the engine, as training rollouts are), the scorers
 * judge every answer, and the figures go into one table; {@code results.json} (settings, and per model its
 * figures) and {@code details.jsonl} (every answer, its extracted answer and scores) go to the output folder.
 */
final class Evaluator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Evaluator() {}

    static EvalResults run(EvalRecipe r) {
        List<String> problems = new ArrayList<>();
        if (r.models().isEmpty()) problems.add("model: none; add one with .model(\"path/to/model-folder\") (or --model DIR)");
        if (r.dataset() == null) problems.add("dataset: not set; .dataset(Dataset.jsonl(\"test.jsonl\")) (or --data FILE)");
        if (r.n() < 1) problems.add("n = " + r.n() + " must be >= 1");
        if (!(r.temperature() > 0)) problems.add("temperature = " + r.temperature() + " must be > 0 for the n samples (the greedy answer is always scored)");
        if (r.maxTokens() < 1) problems.add("max tokens = " + r.maxTokens() + " must be >= 1");
        int[] ks = null;
        try {
            ks = r.kValues();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException("evaluation: " + String.join("; ", problems));
        PrintStream console = r.silent() ? null : System.out;
        Map<String, Object> settings = settings(r);
        List<EvalResults.ModelResult> rows = new ArrayList<>();
        BufferedWriter details = null;
        try {
            if (r.outputDir() != null) {
                Files.createDirectories(r.outputDir());
                details = Files.newBufferedWriter(r.outputDir().resolve("details.jsonl"), StandardCharsets.UTF_8);
            }
            for (Path model : r.models()) rows.add(evaluate(r, model, ks, console, details));
            if (details != null) details.close();
            EvalResults results = new EvalResults(rows, settings, r.outputDir());
            if (r.outputDir() != null) writeResults(results, r.outputDir().resolve("results.json"));
            if (console != null) print(results, r, console);
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("evaluation output " + r.outputDir() + ": " + e.getMessage(), e);
        }
    }

    private static EvalResults.ModelResult evaluate(EvalRecipe r, Path model, int[] ks, PrintStream console, BufferedWriter details) throws IOException {
        long t0 = System.nanoTime();
        List<RewardFunction> scorers = r.scorers();
        PromptedModel pm = PromptedModel.of(model, r.dataset(), r.prompting(), scorers, r.maxTokens(), r.device());
        if (console != null && !pm.source().equals(model)) console.println("eval: " + model + " → " + pm.source());
        List<Prompt> prompts = pm.plan().train();
        var settings = new Evaluation.Settings(r.n(), r.temperature(), 0, r.topP(), 0.0, 1.0, r.maxTokens(), r.seed(), r.batchCompletions(),
                Duration.ofMillis((long) (pm.plan().config().number("reward_timeout_seconds") * 1000)));
        Evaluation evaluation = new Evaluation(settings, pm.plan().rewards(), pm.plan().decoder(), pm.plan().stopTokenIds());
        ProgressBar bar = new ProgressBar(console, "prompts (" + model + ")", prompts.size());
        Evaluation.Samples s = evaluation.generate(new Generator(pm.load(), pm.plan().decoder()), prompts, done -> bar.update(done, ""));
        bar.done(null);
        boolean math = s.rewardNames().get(s.scorer()).equals("accuracy");
        Map<String, Double> metrics = s.metrics(ks, math ? Evaluator::extractedAnswer : null, math ? sameMath() : null);
        if (details != null) writeDetails(details, model.toString(), r, s);
        return new EvalResults.ModelResult(model.toString(), pm.source(), prompts.size(), r.n(), (System.nanoTime() - t0) * 1e-9, metrics);
    }

    /** The answer the accuracy reward would read from a completion (the verifier's first candidate), or null. */
    static String extractedAnswer(String completion) {
        if (completion == null || completion.isEmpty()) return null;
        List<AnswerExtractor.Candidate> c = AnswerExtractor.extract(completion, AnswerExtractor.Config.ANSWER);
        return c.isEmpty() ? null : c.getFirst().text();
    }

    /** Two extracted answers are the same when the verifier finds them equivalent, or (unparseable) when they are equal text. */
    static BiPredicate<String, String> sameMath() {
        Map<String, Expr> parsed = new HashMap<>();
        Function<String, Expr> parse = a -> parsed.computeIfAbsent(a, x -> {
            try {
                return LatexParser.parse(x);
            } catch (RuntimeException | StackOverflowError e) {
                return null;
            }
        });
        return (a, b) -> {
            if (a.strip().equals(b.strip())) return true;
            Expr x = parse.apply(a), y = parse.apply(b);
            try {
                return x != null && y != null && MathVerifier.DEFAULT.equivalent(x, y);
            } catch (RuntimeException | StackOverflowError e) {
                return false;
            }
        };
    }

    private static void writeDetails(BufferedWriter out, String model, EvalRecipe r, Evaluation.Samples s) throws IOException {
        List<Evaluation.Scored> all = new ArrayList<>(s.greedy());
        all.addAll(s.sampled());
        for (Evaluation.Scored x : all) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", model);
            row.put("row", r.dataset().origin(x.prompt().index()));
            row.put("sample", x.sample() < 0 ? "greedy" : x.sample());
            row.put("prompt", x.prompt().text());
            row.put("completion", x.text());
            row.put("answer", extractedAnswer(x.text()));
            Map<String, Object> scores = new LinkedHashMap<>();
            for (int f = 0; f < s.rewardNames().size(); f++) scores.put(s.rewardNames().get(f), finite(x.rewards()[f]));
            row.put("rewards", scores);
            row.put("correct", s.correct(x));
            row.put("length", x.completion().length());
            row.put("finish_reason", x.completion().finishReason().toString());
            out.write(JSON.writeValueAsString(row));
            out.newLine();
        }
        out.flush();
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static Map<String, Object> settings(EvalRecipe r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", r.dataset() == null ? null : r.dataset().source());
        r.prompting().putInto(m);
        m.put("scorers", r.scorers().stream().map(RewardFunction::name).toList());
        m.put("answer_column", r.answerColumn());
        m.put("n", r.n());
        m.put("temperature", r.temperature());
        m.put("top_p", r.topP());
        m.put("max_tokens", r.maxTokens());
        m.put("seed", r.seed());
        m.put("device", r.device());
        return m;
    }

    private static void writeResults(EvalResults results, Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", results.settings());
        List<Object> models = new ArrayList<>();
        for (EvalResults.ModelResult m : results.models()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("model", m.model());
            o.put("resolved", m.resolved().toString());
            o.put("prompts", m.prompts());
            o.put("seconds", Math.round(m.seconds() * 10) / 10.0);
            Map<String, Object> metrics = new LinkedHashMap<>();
            m.metrics().forEach((k, v) -> metrics.put(k, finite(v)));
            o.put("metrics", metrics);
            models.add(o);
        }
        root.put("results", models);
        Files.writeString(file, JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n");
    }

    private static void print(EvalResults results, EvalRecipe r, PrintStream out) {
        out.println();
        out.print(results.table());
        out.println();
        boolean several = results.models().size() > 1;
        for (EvalResults.ModelResult m : results.models()) {
            String who = several ? "  (" + m.model() + ")" : "";
            out.printf(Locale.ROOT, "accuracy: %.1f%%%s%n", 100 * m.accuracy(), who);
            out.printf(Locale.ROOT, "pass@%d: %.1f%%%s%n", m.n(), 100 * m.passAtN(), who);
        }
        if (r.outputDir() != null) out.println("results: " + r.outputDir().resolve("results.json") + ", every answer: " + r.outputDir().resolve("details.jsonl"));
    }
}
