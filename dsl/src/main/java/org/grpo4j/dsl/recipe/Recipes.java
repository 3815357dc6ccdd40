package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.train.StopSignal;

/**
 * Where recipes start, and how they run. {@code .grpo} scripts and the REPL import these methods statically, so
 * a script reads {@code var result = train(grpo().model(…)…);}.
 *
 * <pre>{@code
 * GrpoRecipe recipe = Recipes.grpo()
 *         .model("models/tiny-arith")
 *         .dataset(Dataset.jsonl("data/arith.jsonl")).testSplit(0.1).promptColumn("question")
 *         .rewards(Rewards.accuracy("answer"), Rewards.format().weighted(0.5))
 *         .numGenerations(8).maxSteps(50).outputDir("runs/arith");
 * Evaluation.Result before = Recipes.evaluate(recipe);
 * GrpoResult after = Recipes.train(recipe);
 * System.out.printf("held-out accuracy: before %.0f%% after %.0f%%%n", 100 * before.accuracy(), 100 * after.accuracy());
 * }</pre>
 */
public final class Recipes {
    private Recipes() {}

    /** A new, empty GRPO recipe (prompts column {@code prompt}, TRL's default settings, device cpu). */
    public static GrpoRecipe grpo() {
        return GrpoRecipe.create();
    }

    /** A new, empty SFT recipe (columns {@code prompt} and {@code completion}, TRL's default settings, device cpu). */
    public static SftRecipe sft() {
        return SftRecipe.create();
    }

    /**
     * Checks the recipe, loads the model and trains; returns when the run ends (or is stopped: Ctrl-C in a script,
     * an interrupt of the calling thread, after which a checkpoint is saved). Progress lines go to standard output
     * unless the recipe is {@code quiet()}.
     */
    public static GrpoResult train(GrpoRecipe recipe) {
        return train(recipe, timeLimit(Double.POSITIVE_INFINITY));
    }

    /** {@link #train(GrpoRecipe)} with a stop signal the caller controls ({@code stop.request("why")}). */
    public static GrpoResult train(GrpoRecipe recipe, StopSignal stop) {
        GrpoPlan plan = recipe.build();
        PrintStream out = Training.console(recipe.isQuiet());
        Training.reportSkipped(out, recipe.dataset());
        if (recipe.evalDataset() != null) Training.reportSkipped(out, recipe.evalDataset());
        String outputDir = plan.config().training().outputDir();
        if (out != null)
            out.println("grpo: " + plan.train().size() + " prompts" + (plan.eval().isEmpty() ? "" : ", " + plan.eval().size() + " held out")
                    + ", rewards " + plan.rewards().stream().map(f -> f.name()).toList() + ", output " + outputDir);
        try {
            return new GrpoResult(Training.grpoTrainer(plan, stop, out).train(), Path.of(outputDir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A stop signal for {@link #train(GrpoRecipe, StopSignal)} that ends the run, with a checkpoint, once
     * {@code seconds} of wall-clock time have passed since this call, or on Ctrl-C or an interrupt of the calling
     * thread (JShell's stop, a script runner's Ctrl-C), as {@code train(recipe)} does.
     *
     * <pre>{@code
     * GrpoResult r = train(recipe, timeLimit(600));
     * if (r.stopped()) System.out.println("stopped early at step " + r.steps());
     * }</pre>
     */
    public static StopSignal timeLimit(double seconds) {
        if (!(seconds > 0)) throw new IllegalArgumentException("time limit = " + seconds + " s must be positive");
        Thread runner = Thread.currentThread();
        long start = System.nanoTime();
        return new StopSignal() {
            @Override
            public boolean requested() {
                if (!super.requested()) {
                    if (runner.isInterrupted()) request("interrupted");
                    else if ((System.nanoTime() - start) * 1e-9 > seconds) request("time limit of " + seconds + " s");
                }
                return super.requested();
            }
        };
    }

    /** Checks the recipe, makes or loads the model and runs supervised fine-tuning. */
    public static SftResult train(SftRecipe recipe) {
        return train(recipe, timeLimit(Double.POSITIVE_INFINITY));
    }

    public static SftResult train(SftRecipe recipe, StopSignal stop) {
        return Training.train(recipe.build(), stop, trainer -> {});
    }

    /**
     * The recipe's model as it is now, on the held-out prompts ({@code evalDataset} or {@code testSplit}): greedy
     * accuracy, pass@G and the mean of every reward. Use it before {@link #train} for a before/after comparison.
     */
    public static Evaluation.Result evaluate(GrpoRecipe recipe) {
        GrpoPlan plan = recipe.build();
        if (plan.eval().isEmpty())
            throw new RecipeException("GRPO recipe", List.of("evaluate: no held-out prompts; set .evalDataset(...) or .testSplit(0.1)"));
        return Training.grpoTrainer(plan, new StopSignal(), null).evaluate();
    }

    /** A TRL / open-r1 GRPO YAML recipe (see {@link YamlRecipes}); fields not applicable here are listed on standard error. */
    public static GrpoRecipe fromYaml(Path file) {
        YamlRecipes.Loaded l = YamlRecipes.read(file);
        if (!l.ignored().isEmpty())
            System.err.println("warning: " + file + ": ignored (not applicable to grpo4j): " + String.join(", ", l.ignored()));
        return l.recipe();
    }

    public static GrpoRecipe fromYaml(String file) {
        return fromYaml(Path.of(file));
    }
}
