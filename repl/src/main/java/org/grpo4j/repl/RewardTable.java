package org.grpo4j.repl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.grpo4j.reward.Sample;
import org.grpo4j.reward.WeightedReward;

/**
 * Scores samples with a reward pipeline and lays the result out as a table: one row per completion (an excerpt),
 * one column per reward function, and the weighted total (Σ w·r, NaN left out; NaN when every function said NaN),
 * plus a mean row when there are several completions. Used by {@code :try} and {@code :sample}.
 */
final class RewardTable {
    static final int EXCERPT = 40;

    private RewardTable() {}

    /** A reward function broke the contract (wrong number of values). */
    static final class ScoringError extends RuntimeException {
        ScoringError(String message) {
            super(message);
        }
    }

    /**
     * Scores; {@code scores[k][i]} is function k's reward for sample i. A function's exception propagates
     * unchanged (its stack is the user's code); {@code current[0]} names the function that was running.
     */
    static double[][] score(List<WeightedReward> parts, List<Sample> samples, String[] current) {
        double[][] scores = new double[parts.size()][];
        for (int k = 0; k < parts.size(); k++) {
            String name = name(parts.get(k));
            current[0] = name;
            double[] r = parts.get(k).function().score(samples);
            if (r == null || r.length != samples.size()) {
                throw new ScoringError("reward " + name + " returned " + (r == null ? "null" : r.length + " values")
                        + " for " + samples.size() + " samples");
            }
            scores[k] = r;
        }
        return scores;
    }

    /** Σ w·r over the functions for sample {@code i}, NaN-skipping (TRL's nansum); NaN if all are NaN. */
    static double total(List<WeightedReward> parts, double[][] scores, int i) {
        double sum = 0;
        boolean any = false;
        for (int k = 0; k < parts.size(); k++) {
            double v = scores[k][i];
            if (Double.isNaN(v)) continue;
            sum += parts.get(k).weight() * v;
            any = true;
        }
        return any ? sum : Double.NaN;
    }

    static List<String> render(List<WeightedReward> parts, List<Sample> samples, double[][] scores) {
        List<String> header = new ArrayList<>(List.of("#", "completion"));
        for (WeightedReward p : parts) header.add(name(p) + (p.weight() == 1.0 ? "" : " x" + fmtWeight(p.weight())));
        header.add("total");
        List<List<String>> rows = new ArrayList<>();
        int n = samples.size();
        double[] totals = new double[n];
        for (int i = 0; i < n; i++) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), excerpt(samples.get(i).completion())));
            for (double[] s : scores) row.add(num(s[i]));
            totals[i] = total(parts, scores, i);
            row.add(num(totals[i]));
            rows.add(row);
        }
        if (n > 1) {
            List<String> mean = new ArrayList<>(List.of("", "mean"));
            for (double[] s : scores) mean.add(num(nanmean(s)));
            mean.add(num(nanmean(totals)));
            rows.add(mean);
        }
        int[] w = new int[header.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = header.get(c).length();
            for (List<String> r : rows) w[c] = Math.max(w[c], r.get(c).length());
        }
        List<String> out = new ArrayList<>();
        out.add(line(header, w));
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < w.length; c++) rule.append(c == 0 ? "" : "  ").append("-".repeat(w[c]));
        out.add(rule.toString());
        for (int i = 0; i < rows.size(); i++) {
            if (n > 1 && i == rows.size() - 1) out.add(rule.toString());
            out.add(line(rows.get(i), w));
        }
        return out;
    }

    /** Reads {@code completion} plus the other fields (the dataset row) from each line of a JSONL file. */
    static List<Sample> readJsonl(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Sample> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank()) continue;
            Map<String, Object> row;
            try {
                Object v = json.readValue(l, Object.class);
                if (!(v instanceof Map<?, ?> m)) throw new IOException(file + ":" + (i + 1) + ": expected a JSON object");
                row = new LinkedHashMap<>();
                for (var e : m.entrySet()) row.put(String.valueOf(e.getKey()), e.getValue());
            } catch (JsonProcessingException e) {
                throw new IOException(file + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
            }
            Object completion = row.remove("completion");
            if (!(completion instanceof String c)) {
                throw new IOException(file + ":" + (i + 1) + ": " + (completion == null ? "no \"completion\" field (the text to score)"
                        : "\"completion\" must be a string"));
            }
            String prompt = row.get("prompt") instanceof String p ? p : "";
            out.add(new Sample(prompt, c, null, "eos", row));
        }
        if (out.isEmpty()) throw new IOException(file + ": no rows");
        return out;
    }

    static String name(WeightedReward p) {
        String n;
        try {
            n = p.function().name();
        } catch (RuntimeException e) {
            n = null;
        }
        return n == null || n.isBlank() ? "reward" : n;
    }

    /** The first {@link #EXCERPT} characters on one line, quoted, newlines shown as {@code \n}. */
    static String excerpt(String s) {
        String flat = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        if (flat.length() > EXCERPT) flat = flat.substring(0, EXCERPT - 3) + "...";
        return "\"" + flat + "\"";
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String fmtWeight(double w) {
        return w == Math.rint(w) ? Long.toString((long) w) : Double.toString(w);
    }

    static double nanmean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (!Double.isNaN(x)) { s += x; n++; }
        return n == 0 ? Double.NaN : s / n;
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) b.append("  ");
            String v = cells.get(c);
            boolean left = c == 1;
            if (left) b.append(v).append(" ".repeat(w[c] - v.length()));
            else b.append(" ".repeat(w[c] - v.length())).append(v);
        }
        return b.toString().stripTrailing();
    }
}
