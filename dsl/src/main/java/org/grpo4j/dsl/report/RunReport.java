package org.grpo4j.dsl.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run folder's report: {@code report.html} (one page, inline style, no scripts, nothing fetched) with PNG charts
 * in {@code report/} beside it — reward and each reward function's mean, reward std, KL, entropy, clip ratios,
 * completion lengths and the truncated fraction, learning rate, grad norm, step time by phase, loss, held-out
 * figures — then sample completions at a few steps ({@code completions.jsonl}), evaluation results
 * ({@code eval/results.json}, {@code results.json}, {@code summary.json}) and the run's settings
 * ({@code settings.json}). Charts of metrics the run did not log are left out.
 *
 * <pre>{@code
 * Path html = RunReport.write(Path.of("runs/arithmetic-grpo"));   // runs/arithmetic-grpo/report.html
 * }</pre>
 */
public final class RunReport {
    static final String CHART_DIR = "report";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReport() {}

    /** Writes the settings a run used as {@code settings.json} (the report's settings table). */
    public static void writeSettings(Path runDir, Map<String, ?> settings) throws IOException {
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("settings.json"), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(new TreeMap<>(settings)) + "\n");
    }

    /** Reads the run folder and writes {@code report.html} and its charts; returns the HTML file. */
    public static Path write(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) throw new IllegalArgumentException("run folder '" + runDir + "' not found");
        Path metricsFile = runDir.resolve("metrics.jsonl");
        if (!Files.exists(metricsFile) && !Files.exists(runDir.resolve("completions.jsonl")))
            throw new IllegalArgumentException(runDir + " holds no metrics.jsonl or completions.jsonl: not a training run folder (output_dir)");
        RunMetrics m = RunMetrics.read(metricsFile);
        Path charts = runDir.resolve(CHART_DIR);
        Files.createDirectories(charts);
        List<Charts.Spec> drawn = new ArrayList<>();
        for (Charts.Spec s : specs(m))
            if (Charts.write(m, s, charts.resolve(s.file() + ".png"))) drawn.add(s);
        Html page = new Html(runDir.toAbsolutePath().normalize().getFileName() + " — grpo4j run report");
        summary(page, runDir, m);
        page.h2("Training curves");
        if (drawn.isEmpty()) page.p("No metrics were logged yet (metrics.jsonl is missing or empty).");
        page.open("div class=\"charts\"");
        for (Charts.Spec s : drawn) page.img(CHART_DIR + "/" + s.file() + ".png", s.title(), Charts.WIDTH, Charts.HEIGHT);
        page.close("div");
        completions(page, runDir.resolve("completions.jsonl"));
        evaluation(page, runDir, m);
        settings(page, runDir.resolve("settings.json"));
        if (!m.problems().isEmpty()) {
            page.h2("Skipped lines");
            page.list(m.problems());
        }
        Path html = runDir.resolve("report.html");
        Files.writeString(html, page.toString(), StandardCharsets.UTF_8);
        return html;
    }

    /** The charts, in reading order; each lists every name the GRPO and SFT trainers log for it. */
    static List<Charts.Spec> specs(RunMetrics m) {
        List<Charts.Spec> s = new ArrayList<>();
        List<String> reward = new ArrayList<>(List.of("reward"));
        reward.addAll(m.matching("rewards/", "/mean"));
        s.add(new Charts.Spec("reward", "Reward (total and per function, mean over the batch)", "reward", reward));
        List<String> std = new ArrayList<>(List.of("reward_std", "frac_reward_zero_std"));
        std.addAll(m.matching("rewards/", "/std"));
        s.add(new Charts.Spec("reward_std", "Reward spread (std within groups; share of groups with zero std)", "", std));
        s.add(new Charts.Spec("loss", "Loss", "loss", List.of("loss", "eval_loss")));
        s.add(new Charts.Spec("kl", "KL to the reference model", "KL", List.of("kl")));
        s.add(new Charts.Spec("entropy", "Entropy of the policy (per token)", "nats", List.of("entropy")));
        s.add(new Charts.Spec("clip_ratio", "Clip ratios (share of tokens whose ratio was clipped)", "share", m.matching("clip_ratio", "")));
        s.add(new Charts.Spec("length", "Completion length (tokens)", "tokens",
                List.of("completions/mean_length", "completions/min_length", "completions/max_length", "completions/mean_terminated_length"),
                List.of("mean", "min", "max", "mean of terminated")));
        s.add(new Charts.Spec("truncated", "Truncated completions (hit max_completion_length)", "share", List.of("completions/clipped_ratio"),
                List.of("truncated fraction")));
        s.add(new Charts.Spec("learning_rate", "Learning rate", "lr", List.of("learning_rate")));
        s.add(new Charts.Spec("grad_norm", "Gradient norm (before clipping)", "norm", List.of("grad_norm")));
        List<String> time = new ArrayList<>(List.of("step_time"));
        time.addAll(m.matching("timing/", ""));
        s.add(new Charts.Spec("step_time", "Step time by phase (seconds)", "s", time));
        List<String> eval = new ArrayList<>(List.of("eval/accuracy"));
        eval.addAll(m.matching("eval/pass@", ""));
        s.add(new Charts.Spec("eval", "Held-out evaluation", "share", eval));
        return s;
    }

    private static void summary(Html page, Path runDir, RunMetrics m) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"run folder", runDir.toAbsolutePath().normalize().toString()});
        rows.add(new String[] {"last logged step", Integer.toString(m.lastStep())});
        for (String k : List.of("reward", "rewards/accuracy/mean", "loss", "completions/mean_length"))
            if (m.has(k)) rows.add(new String[] {k, Html.num(m.first(k)) + " → " + Html.num(m.last(k)) + "  (first → last logged step)"});
        if (m.has("eval/accuracy")) rows.add(new String[] {"held-out accuracy (last evaluation)", Html.percent(m.last("eval/accuracy"))});
        page.table(List.of("", ""), rows, false);
    }

    /** Up to four rows at each of up to four steps: the first, two in between and the last. */
    private static void completions(Html page, Path file) throws IOException {
        page.h2("Sample completions");
        if (!Files.exists(file)) {
            page.p("No completions.jsonl in this run (log_completions was off).");
            return;
        }
        TreeMap<Integer, List<JsonNode>> bySteps = new TreeMap<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                try {
                    JsonNode o = JSON.readTree(line);
                    if (o != null && o.isObject()) bySteps.computeIfAbsent(o.path("step").asInt(), k -> new ArrayList<>()).add(o);
                } catch (IOException e) {
                    // a line cut short by a killed run: the others still make the table
                }
            }
        }
        if (bySteps.isEmpty()) {
            page.p("No sample completions were logged in this run (completions.jsonl is empty; SFT logs none).");
            return;
        }
        List<Integer> steps = new ArrayList<>(bySteps.keySet());
        List<Integer> shown = new ArrayList<>();
        for (int i = 0; i < 4 && i < steps.size(); i++) {
            int at = steps.size() <= 4 ? i : (int) Math.round(i * (steps.size() - 1) / 3.0);
            if (!shown.contains(steps.get(at))) shown.add(steps.get(at));
        }
        List<String> cols = new ArrayList<>();
        for (int step : shown) for (JsonNode o : bySteps.get(step)) for (var it = o.fieldNames(); it.hasNext(); ) {
            String c = it.next();
            if (!cols.contains(c)) cols.add(c);
        }
        List<String[]> rows = new ArrayList<>();
        for (int step : shown)
            for (JsonNode o : bySteps.get(step).subList(0, Math.min(4, bySteps.get(step).size()))) {
                String[] r = new String[cols.size()];
                for (int c = 0; c < r.length; c++) {
                    JsonNode v = o.get(cols.get(c));
                    r[c] = v == null || v.isNull() ? "" : v.isNumber() && !v.isIntegralNumber() ? Html.num(v.asDouble()) : v.isValueNode() ? v.asText() : v.toString();
                }
                rows.add(r);
            }
        page.p("Steps " + shown + " of " + steps.size() + " logged steps; up to four completions each.");
        page.table(cols, rows, true);
    }

    private static void evaluation(Html page, Path runDir, RunMetrics m) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String k : m.matching("eval/", "")) rows.add(new String[] {k + " (last logged)", Html.num(m.last(k))});
        Path summary = runDir.resolve("summary.json");
        if (Files.exists(summary)) readFlat(summary, "summary.json", rows);
        List<Path> results = new ArrayList<>();
        for (Path p : List.of(runDir.resolve("results.json"), runDir.resolve("eval/results.json"))) if (Files.exists(p)) results.add(p);
        if (rows.isEmpty() && results.isEmpty()) return;
        page.h2("Evaluation");
        if (!rows.isEmpty()) page.table(List.of("figure", "value"), rows, false);
        for (Path p : results) evalResults(page, runDir.relativize(p).toString(), p);
    }

    /** A {@code grpo eval} results.json: one row per model, one column per metric. */
    private static void evalResults(Html page, String name, Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            page.p(name + " could not be read: " + e.getMessage());
            return;
        }
        List<String> cols = new ArrayList<>(List.of("model", "prompts"));
        for (JsonNode r : root.path("results")) for (var it = r.path("metrics").fieldNames(); it.hasNext(); ) {
            String c = it.next();
            if (!cols.contains(c)) cols.add(c);
        }
        List<String[]> rows = new ArrayList<>();
        for (JsonNode r : root.path("results")) {
            String[] row = new String[cols.size()];
            row[0] = r.path("model").asText();
            row[1] = r.path("prompts").asText();
            for (int c = 2; c < cols.size(); c++) {
                JsonNode v = r.path("metrics").get(cols.get(c));
                row[c] = v == null || v.isNull() ? "" : org.grpo4j.dsl.eval.EvalResults.isRate(cols.get(c)) ? Html.percent(v.asDouble()) : Html.num(v.asDouble());
            }
            rows.add(row);
        }
        page.p(name + " (" + root.path("settings").path("n").asText("?") + " samples per prompt, data " + root.path("settings").path("data").asText("?") + ")");
        page.table(cols, rows, false);
    }

    private static void readFlat(Path file, String name, List<String[]> rows) {
        try {
            JsonNode o = JSON.readTree(file.toFile());
            for (var it = o.fields(); it.hasNext(); ) {
                var e = it.next();
                rows.add(new String[] {name + ": " + e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()});
            }
        } catch (IOException e) {
            rows.add(new String[] {name, "unreadable: " + e.getMessage()});
        }
    }

    private static void settings(Html page, Path file) throws IOException {
        page.h2("Settings");
        if (!Files.exists(file)) {
            page.p("No settings.json in this run folder (runs started through the recipe DSL write one).");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        JsonNode o = JSON.readTree(file.toFile());
        Map<String, String> sorted = new LinkedHashMap<>();
        for (var it = o.fields(); it.hasNext(); ) {
            var e = it.next();
            sorted.put(e.getKey(), e.getValue().isNull() ? "—" : e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        }
        sorted.forEach((k, v) -> rows.add(new String[] {k, v}));
        page.table(List.of("setting", "value"), rows, false);
    }
}
