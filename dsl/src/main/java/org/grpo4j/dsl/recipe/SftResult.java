package org.grpo4j.dsl.recipe;

import java.nio.file.Path;
import org.grpo4j.sft.SftTrainer;

/**
 * What an SFT recipe's run did: the trainer's {@link SftTrainer.Result}, the output folder and the final model
 * folder ({@code saveModelTo}, else the last checkpoint), which loads with {@code Transformer.load} and
 * {@code Tokenizer.load} and is the {@code model} of a following GRPO recipe.
 *
 * <pre>{@code
 * SftResult sft = sftRecipe.train();
 * GrpoResult grpo = grpoRecipe.model(sft.modelDir()).train();
 * }</pre>
 */
public record SftResult(SftTrainer.Result result, Path outputDir, Path modelDir) {
    public int steps() { return result.steps(); }
    public double trainLoss() { return result.trainLoss(); }
    /** Held-out loss per completion token, NaN without held-out examples. */
    public double evalLoss() { return result.evalLoss(); }
    public boolean stopped() { return result.stopped(); }
    public Path checkpoint() { return result.lastCheckpoint(); }
    public Path metricsFile() { return outputDir.resolve("metrics.jsonl"); }
}
