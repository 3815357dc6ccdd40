package org.grpo4j.dsl.datagen;

import java.nio.file.Path;

/**
 * What a {@code generate-data} run did: prompts in the data set, how many this run generated for (the rest were
 * done by an earlier run), rows written in total (this run and earlier ones), and the share of all answers of
 * this run that were correct.
 *
 * <pre>{@code
 * DataGenResult r = recipe.run();
 * System.out.printf("%d rows in %s (kept %.0f%%)%n", r.written(), r.output(), 100 * r.keptFraction());
 * }</pre>
 */
public record DataGenResult(Path output, int prompts, int generatedNow, int resumed, int written, int writtenNow, double answersCorrect) {
    /** Rows written per prompt processed (this run and earlier ones together). */
    public double keptFraction() {
        int done = generatedNow + resumed;
        return done == 0 ? Double.NaN : written / (double) done;
    }
}
