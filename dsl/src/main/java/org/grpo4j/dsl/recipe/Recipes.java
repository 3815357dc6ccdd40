package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import java.nio.file.Path;
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
        return Training.train(recipe);
    }

    /** {@link #train(GrpoRecipe)} with a stop signal the caller controls ({@code stop.request("why")}). */
    public static GrpoResult train(GrpoRecipe recipe, StopSignal stop) {
        return Training.train(recipe, stop);
    }

    /**
     * A stop signal for {@link #train(GrpoRecipe, StopSignal)} that ends the run, with a checkpoint, once
     * {@code seconds} of wall-clock time have passed since this call, or on Ctrl-C, as {@code train(recipe)} does.
     *
     * <pre>{@code
     * GrpoResult r = train(recipe, timeLimit(600));
     * if (r.stopped()) System.out.println("stopped early at step " + r.steps());
     * }</pre>
     */
    public static StopSignal timeLimit(double seconds) {
        return Training.interruptible(seconds);
    }

    /** Checks the recipe, makes or loads the model and runs supervised fine-tuning. */
    public static SftResult train(SftRecipe recipe) {
        return Training.train(recipe);
    }

    public static SftResult train(SftRecipe recipe, StopSignal stop) {
        return Training.train(recipe, stop);
    }

    /**
     * The recipe's model as it is now, on the held-out prompts ({@code evalDataset} or {@code testSplit}): greedy
     * accuracy, pass@G and the mean of every reward. Use it before {@link #train} for a before/after comparison.
     */
    public static Evaluation.Result evaluate(GrpoRecipe recipe) {
        return Training.evaluate(recipe);
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
