package org.grpo4j.grpo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.grpo4j.generate.Completion;
import org.grpo4j.train.MetricsLog;

/**
 * The third phase of a GRPO step: what is written down after an optimiser step — TRL's metrics averaged over each
 * logging window, the held-out evaluation every {@code eval_steps}, and a few sample completions. Under data
 * parallelism only rank 0 keeps books: the other ranks have no log and only run the final evaluation.
 */
final class Bookkeeping {
    private final GrpoConfig config;
    private final MetricsLog log;
    private final Supplier<Evaluation.Result> evaluate;
    private final boolean canEvaluate;
    private final Function<Completion, String> text;
    private final Map<String, List<Double>> window = new LinkedHashMap<>();
    private Map<String, Double> last = Map.of();
    private Evaluation.Result evaluation;

    Bookkeeping(GrpoConfig config, MetricsLog log, Supplier<Evaluation.Result> evaluate, boolean canEvaluate, Function<Completion, String> text) {
        this.config = config;
        this.log = log;
        this.evaluate = evaluate;
        this.canEvaluate = canEvaluate;
        this.text = text;
    }

    /** After optimiser step {@code step} (1-based) of {@code total}: its metrics, and the batch it learnt from. */
    void afterStep(int step, int total, Map<String, Double> metrics, List<Rollout> rollouts, RewardScores scores) throws IOException {
        if (log == null) return; // a rank other than 0
        for (var e : metrics.entrySet()) window.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        Integer evalEvery = config.training().evalSteps();
        boolean evalNow = evalEvery != null && step % evalEvery == 0 && canEvaluate;
        if (step % config.training().loggingSteps() == 0 || step == total || evalNow) {
            last = averaged(window);
            window.clear();
            if (evalNow) {
                evaluation = evaluate.get();
                last.putAll(evaluation.metrics());
            }
            log.log(step, last);
            if (config.completionLog().logCompletions()) log.completions(step, table(rollouts, scores));
        }
    }

    /** The held-out evaluation at the end of a run, logged at its last step. */
    void finalEvaluation(int step) throws IOException {
        if (!canEvaluate) return;
        // every rank evaluates (same weights, same answers), so every rank's result is whole; rank 0 logs it
        evaluation = evaluate.get();
        if (log == null) return;
        Map<String, Double> m = new LinkedHashMap<>(evaluation.metrics());
        log.log(step, m);
        last = new LinkedHashMap<>(last);
        last.putAll(m);
    }

    /** The metrics of the last logging step (with the evaluation's, when there was one). */
    Map<String, Double> last() {
        return last;
    }

    Evaluation.Result evaluation() {
        return evaluation;
    }

    private static Map<String, Double> averaged(Map<String, List<Double>> window) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : window.entrySet()) {
            double s = 0;
            int n = 0;
            for (double v : e.getValue())
                if (!Double.isNaN(v)) {
                    s += v;
                    n++;
                }
            out.put(e.getKey(), n == 0 ? Double.NaN : s / n);
        }
        return out;
    }

    /**
     * TRL's completions table: prompt, completion, one column per reward function (null for NaN) followed by
     * {@code <name>/reason} for a function that says why (a code reward's failed test), the summed reward, the advantage.
     */
    private List<Map<String, Object>> table(List<Rollout> rollouts, RewardScores scores) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int n = Math.min(config.completionLog().numCompletionsToPrint(), rollouts.size());
        for (int i = 0; i < n; i++) {
            Rollout r = rollouts.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", r.prompt().text());
            row.put("completion", text.apply(r.completion()));
            row.put("finish_reason", r.completion().finishReason().toString());
            for (int k = 0; k < scores.names().size(); k++) {
                double v = scores.values()[k][i]; // rollouts are in the scored order until an update shuffles its copy
                row.put(scores.names().get(k), Double.isFinite(v) ? v : null);
                if (scores.reasons()[k] != null) row.put(scores.names().get(k) + "/reason", scores.reason(k, i));
            }
            row.put("reward", Double.isFinite(r.reward()) ? r.reward() : null);
            row.put("advantage", r.advantage());
            rows.add(row);
        }
        return rows;
    }
}
