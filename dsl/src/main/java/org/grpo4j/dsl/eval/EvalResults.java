package org.grpo4j.dsl.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of an evaluation, one row per model: {@code accuracy} (greedy), {@code pass@k}, {@code maj@k},
 * {@code mean_length} (tokens), {@code truncated} (share of samples cut at the token limit) and
 * {@code rewards/NAME} (mean over the greedy answers).
 *
 * <pre>{@code
 * EvalResults r = evaluate("examples/models/arithmetic-sft", Dataset.jsonl("examples/arithmetic/data/test.jsonl").take(20));
 * System.out.println(r.table());
 * double acc = r.first().metric("accuracy");
 * }</pre>
 */
public record EvalResults(List<ModelResult> models, Map<String, Object> settings, Path outputDir) {
    /** One model's row. */
    public record ModelResult(String model, Path resolved, int prompts, int n, double seconds, Map<String, Double> metrics) {
        public double metric(String name) {
            Double v = metrics.get(name);
            if (v == null) throw new IllegalArgumentException("no metric '" + name + "'; there are " + metrics.keySet());
            return v;
        }

        public double accuracy() {
            return metric("accuracy");
        }

        /** pass@n: at least one of the n samples correct. */
        public double passAtN() {
            return metric("pass@" + n);
        }
    }

    public EvalResults {
        models = List.copyOf(models);
    }

    public ModelResult first() {
        return models.getFirst();
    }

    /** The table shown on the terminal: rates as percentages, lengths in tokens, one column per metric. */
    public String table() {
        LinkedHashSet<String> cols = new LinkedHashSet<>();
        for (ModelResult m : models) cols.addAll(m.metrics().keySet());
        List<String> header = new ArrayList<>(List.of("model", "prompts"));
        header.addAll(cols);
        List<List<String>> rows = new ArrayList<>();
        for (ModelResult m : models) {
            List<String> row = new ArrayList<>(List.of(m.model(), Integer.toString(m.prompts())));
            for (String c : cols) row.add(format(c, m.metrics().get(c)));
            rows.add(row);
        }
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) w[i] = Math.max(w[i], r.get(i).length());
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        sb.append(rule).append('\n');
        for (List<String> r : rows) line(sb, r, w);
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            if (i > 0) sb.append("  ");
            sb.append(i == 0 ? c + " ".repeat(w[i] - c.length()) : " ".repeat(w[i] - c.length()) + c);
        }
        sb.append('\n');
    }

    /** Rates as percentages; lengths and reward means as numbers. */
    static String format(String metric, Double v) {
        if (v == null) return "";
        if (v.isNaN()) return "n/a";
        if (isRate(metric)) return String.format(Locale.ROOT, "%.1f%%", 100 * v);
        return String.format(Locale.ROOT, metric.equals("mean_length") ? "%.1f" : "%.3f", v);
    }

    /** Whether a metric is a share (shown as a percentage): accuracy, pass@k, maj@k, truncated. */
    public static boolean isRate(String metric) {
        return metric.equals("accuracy") || metric.startsWith("pass@") || metric.startsWith("maj@") || metric.equals("truncated");
    }
}
