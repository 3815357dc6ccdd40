package org.grpo4j.dsl.recipe;

import java.nio.file.Path;
import java.util.Map;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.grpo.GrpoTrainer;

/**
 * What a GRPO recipe's run did: the trainer's {@link GrpoTrainer.Result} and where its files are.
 *
 * <pre>{@code
 * GrpoResult r = Recipes.train(recipe);
 * System.out.println(r.steps() + " steps, reward " + r.metric("reward") + ", held-out accuracy " + r.accuracy());
 * }</pre>
 */
public record GrpoResult(GrpoTrainer.Result result, Path outputDir) {
    public int steps() {
        return result.steps();
    }

    /** The metrics of the last logged step (TRL names: reward, loss, kl, eval/accuracy…). */
    public Map<String, Double> metrics() {
        return result.lastMetrics();
    }

    /** One metric of the last logged step, NaN when absent. */
    public double metric(String name) {
        Double v = result.lastMetrics().get(name);
        return v == null ? Double.NaN : v;
    }

    /** The last held-out evaluation, or null without held-out prompts. */
    public Evaluation.Result evaluation() {
        return result.evaluation();
    }

    /** Held-out greedy accuracy after training (0..1), NaN without held-out prompts. */
    public double accuracy() {
        return result.evaluation() == null ? Double.NaN : result.evaluation().accuracy();
    }

    public boolean stopped() {
        return result.stopped();
    }

    /** The last checkpoint folder (a loadable model folder). */
    public Path checkpoint() {
        return result.lastCheckpoint();
    }

    public Path metricsFile() {
        return outputDir.resolve("metrics.jsonl");
    }
}
