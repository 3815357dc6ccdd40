package org.grpo4j.dsl.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's {@code metrics.jsonl} as series: metric name → (step, value) points in file order. Null values (NaN
 * when logged) are left out; a line that is not a JSON object is skipped and named in {@link #problems()}, so a
 * run killed in the middle of a line still gets its report.
 *
 * <pre>{@code
 * RunMetrics m = RunMetrics.read(Path.of("runs/arithmetic-grpo/metrics.jsonl"));
 * System.out.println(m.names() + ", last reward " + m.last("reward"));
 * }</pre>
 */
public record RunMetrics(Map<String, List<double[]>> series, List<String> problems) {

    public static RunMetrics read(Path file) throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (!Files.exists(file)) return new RunMetrics(series, problems);
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int no = 0;
            while ((line = in.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode o;
                try {
                    o = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    problems.add(file + ":" + no + ": not JSON, skipped (" + e.getOriginalMessage() + ")");
                    continue;
                }
                if (o == null || !o.isObject() || !o.path("step").isNumber()) {
                    problems.add(file + ":" + no + ": not a metrics row with a numeric \"step\", skipped");
                    continue;
                }
                double step = o.get("step").asDouble();
                for (var it = o.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (e.getKey().equals("step") || !e.getValue().isNumber()) continue;
                    series.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[] {step, e.getValue().asDouble()});
                }
            }
        }
        return new RunMetrics(series, problems);
    }

    public Set<String> names() {
        return new LinkedHashSet<>(series.keySet());
    }

    public boolean has(String name) {
        return series.containsKey(name);
    }

    public List<double[]> points(String name) {
        return series.getOrDefault(name, List.of());
    }

    /** The last logged value, or NaN. */
    public double last(String name) {
        List<double[]> p = points(name);
        return p.isEmpty() ? Double.NaN : p.getLast()[1];
    }

    /** The first logged value, or NaN. */
    public double first(String name) {
        List<double[]> p = points(name);
        return p.isEmpty() ? Double.NaN : p.getFirst()[1];
    }

    /** The highest step of any metric, or 0. */
    public int lastStep() {
        double s = 0;
        for (List<double[]> p : series.values()) for (double[] x : p) s = Math.max(s, x[0]);
        return (int) s;
    }

    /** Names that start with {@code prefix} and end with {@code suffix}, in file order. */
    public List<String> matching(String prefix, String suffix) {
        List<String> out = new ArrayList<>();
        for (String n : series.keySet()) if (n.startsWith(prefix) && n.endsWith(suffix)) out.add(n);
        return out;
    }
}
