package org.grpo4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training metrics under TRL's names: appended to {@code output_dir/metrics.jsonl} (one JSON object per logged
 * step) and printed as one line with a progress bar and ETA; sample completions go to
 * {@code output_dir/completions.jsonl}. The history stays in memory for the REPL's {@code :metrics}.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter metrics, completions;
    private final PrintStream console;
    private final int totalSteps;
    private final long started = System.nanoTime();
    private final int startStep;
    private final List<Map<String, Double>> history = Collections.synchronizedList(new ArrayList<>());

    private volatile java.util.function.DoubleSupplier secondsLeft = () -> Double.POSITIVE_INFINITY;

    /**
     * Opens the run's logs at {@code startStep} (0 for a fresh run, the checkpoint's step on resume): rows of later
     * steps — written by the run after its last checkpoint, before it was stopped — are dropped, so the resumed run
     * rewrites them once and {@code metrics.jsonl} holds each step once; the kept rows are the history.
     */
    public MetricsLog(Path outputDir, int totalSteps, int startStep, PrintStream console) throws IOException {
        Files.createDirectories(outputDir);
        keepUpTo(outputDir.resolve("metrics.jsonl"), startStep, history);
        keepUpTo(outputDir.resolve("completions.jsonl"), startStep, null);
        // plain streams, not channels: a stop by interrupt (Ctrl-C in a script) must not close the logs mid-run
        this.metrics = appender(outputDir.resolve("metrics.jsonl"));
        this.completions = appender(outputDir.resolve("completions.jsonl"));
        this.console = console;
        this.totalSteps = totalSteps;
        this.startStep = startStep;
    }

    /** Records the metrics of optimiser step {@code step} (1-based) and prints the progress line. */
    public synchronized void log(int step, Map<String, Double> values) throws IOException {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("step", (double) step);
        row.putAll(values);
        history.add(row);
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        values.forEach((k, v) -> {
            if (v == null || v.isNaN() || v.isInfinite()) o.putNull(k);
            else o.put(k, v);
        });
        metrics.write(JSON.writeValueAsString(o));
        metrics.newLine();
        metrics.flush();
        if (console != null) console.println(progressLine(step, values));
    }

    /** Appends sample completions (prompt, completion, per-function rewards, advantage, …) of a step. */
    public synchronized void completions(int step, List<Map<String, Object>> rows) throws IOException {
        for (Map<String, Object> r : rows) {
            Map<String, Object> withStep = new LinkedHashMap<>();
            withStep.put("step", step);
            withStep.putAll(r);
            completions.write(JSON.writeValueAsString(withStep));
            completions.newLine();
        }
        completions.flush();
    }

    private static BufferedWriter appender(Path file) throws IOException {
        return new BufferedWriter(new java.io.OutputStreamWriter(new java.io.FileOutputStream(file.toFile(), true), StandardCharsets.UTF_8));
    }

    /** Rewrites {@code file} with its rows of steps up to {@code step} (through a temporary file); adds them to {@code into}. */
    private static void keepUpTo(Path file, int step, List<Map<String, Double>> into) throws IOException {
        if (!Files.exists(file)) return;
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                continue; // a line cut short by a kill
            }
            if (n.path("step").asInt(Integer.MAX_VALUE) > step) continue;
            kept.add(line);
            if (into != null) {
                Map<String, Double> row = new LinkedHashMap<>();
                n.properties().forEach(e -> row.put(e.getKey(), e.getValue().isNull() ? Double.NaN : e.getValue().asDouble()));
                into.add(row);
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Where the ETA stops: a time limit ends the run before its last step ({@code StopSignal#secondsLeft}). */
    public void limitEta(java.util.function.DoubleSupplier secondsLeft) {
        this.secondsLeft = secondsLeft;
    }

    public List<Map<String, Double>> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    /** Seconds per step so far and the estimated time left. */
    String progressLine(int step, Map<String, Double> v) {
        int width = 20, filled = totalSteps > 0 ? (int) Math.round(width * Math.min(1.0, step / (double) totalSteps)) : 0;
        double elapsed = (System.nanoTime() - started) * 1e-9;
        int done = Math.max(1, step - startStep);
        double eta = totalSteps > 0 ? elapsed / done * Math.max(0, totalSteps - step) : Double.NaN;
        eta = Math.min(eta, Math.max(0, secondsLeft.getAsDouble()));
        StringBuilder sb = new StringBuilder();
        sb.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ");
        sb.append(step).append('/').append(totalSteps);
        for (String k : new String[] {"loss", "reward", "reward_std", "kl", "entropy", "completions/mean_length", "grad_norm", "learning_rate",
                "critic/vf_loss", "critic/vf_explained_var"}) {
            Double x = v.get(k);
            if (x != null) sb.append(" | ").append(k.replace("completions/", "")).append(' ').append(format(x));
        }
        sb.append(String.format(" | %.2f s/step | ETA %s", elapsed / done, duration(eta)));
        return sb.toString();
    }

    static String format(double x) {
        if (Double.isNaN(x)) return "nan";
        double a = Math.abs(x);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format("%.3e", x) : String.format("%.4f", x);
    }

    static String duration(double s) {
        if (!Double.isFinite(s)) return "?";
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
    }

    @Override
    public void close() throws IOException {
        metrics.close();
        completions.close();
    }
}
