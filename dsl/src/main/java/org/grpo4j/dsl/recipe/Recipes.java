package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.datagen.DataGenRecipe;
import org.grpo4j.dsl.datagen.DataGenResult;
import org.grpo4j.dsl.eval.EvalRecipe;
import org.grpo4j.dsl.eval.EvalResults;
import org.grpo4j.dsl.report.RunReport;
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
        Path outDir = Path.of(outputDir);
        GrpoResult result;
        try {
            result = new GrpoResult(Training.grpoTrainer(plan, stop, out).train(), outDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (isMainProcess()) Training.writeSettings(outDir, plan.config().values(), out);
        }
        if (isMainProcess()) Training.writeReport(outDir, out);
        return result;
    }

    /**
     * Whether this process writes the run's files: true in one process, and on rank 0 of an MPI job (accelerate's
     * {@code is_main_process}). A script that writes its own files guards them with it:
     * <pre>{@code if (isMainProcess()) Files.writeString(Path.of("summary.txt"), "done");}</pre>
     */
    public static boolean isMainProcess() {
        return org.grpo4j.distributed.Communicator.fromEnvironment().isRoot();
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

            @Override
            public double secondsLeft() {
                return seconds - (System.nanoTime() - start) * 1e-9;
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

    /**
     * An evaluation of models on a data set ({@code grpo eval} in the DSL): greedy accuracy, pass@k, maj@k, lengths;
     * see {@link EvalRecipe}.
     *
     * <pre>{@code
     * var r = evaluation().model("examples/models/arithmetic-sft").dataset(Dataset.jsonl("examples/arithmetic/data/test.jsonl"))
     *         .promptTemplate("{prompt}\n").answerColumn("solution").n(4).temperature(1.0).maxTokens(64).run();
     * }</pre>
     */
    public static EvalRecipe evaluation() {
        return EvalRecipe.create();
    }

    /** {@code model} on {@code data} with the defaults of {@link EvalRecipe#create()} (prompt column {@code prompt}, accuracy). */
    public static EvalResults evaluate(String model, Dataset data) {
        return EvalRecipe.create().model(model).dataset(data).run();
    }

    public static EvalResults evaluate(EvalRecipe recipe) {
        return recipe.run();
    }

    /**
     * A data set made from a model's verified answers ({@code grpo generate-data} in the DSL); see {@link DataGenRecipe}.
     *
     * <pre>{@code
     * generateData(generateData().model("examples/models/arithmetic-sft").dataset("prompts.jsonl").promptTemplate("{prompt}\n")
     *         .answerColumn("solution").completionColumn("generated").n(4).output("runs/distill/data.jsonl"));
     * }</pre>
     */
    public static DataGenRecipe generateData() {
        return DataGenRecipe.create();
    }

    public static DataGenResult generateData(DataGenRecipe recipe) {
        return recipe.run();
    }

    /** Writes {@code runDir/report.html} (charts, sample completions, settings) for a training run's output folder. */
    public static Path report(String runDir) {
        try {
            return RunReport.write(Path.of(runDir));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(runDir + ": " + e.getMessage(), e);
        }
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
