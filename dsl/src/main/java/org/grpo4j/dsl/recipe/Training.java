package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import org.grpo4j.backend.Backend;
import org.grpo4j.dsl.report.RunReport;
import org.grpo4j.grpo.Evaluation;
import org.grpo4j.grpo.GrpoTrainer;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;
import org.grpo4j.sft.SftTrainer;
import org.grpo4j.train.Checkpoints;
import org.grpo4j.train.StopSignal;

/**
 * Makes the runtime's trainers from checked recipes: loads (or creates) the model on the recipe's device and
 * hands it the plan. {@link Recipes} runs recipes through it; a host (the REPL's {@code :train}) uses it to make
 * the trainer itself and watch its metrics log while it runs.
 *
 * <pre>{@code
 * StopSignal stop = new StopSignal();
 * GrpoTrainer t = Training.grpoTrainer(recipe.build(), stop, System.out);
 * new Thread(() -> { try { t.train(); } catch (Exception e) { e.printStackTrace(); } }).start();
 * // later: t.metricsLog().history(), stop.request(":stop")
 * }</pre>
 */
public final class Training {
    private Training() {}

    static PrintStream console(boolean quiet) {
        return quiet ? null : System.out;
    }

    /** The model of a checked recipe, loaded on its device, inside a trainer. */
    public static GrpoTrainer grpoTrainer(GrpoPlan plan, StopSignal stop, PrintStream console) {
        GrpoRecipe r = plan.recipe();
        Backend backend = org.grpo4j.backend.Devices.open(r.device());
        Transformer policy;
        try {
            // a full fine-tune larger than the memory is refused with the plan's breakdown before its weights are read
            // (a LoRA/QLoRA run's plan depends on the packed base, known once it is loaded: the trainer checks that one)
            if (!plan.config().peft().usePeft())
                GrpoTrainer.memoryPlan(org.grpo4j.model.ModelConfig.load(r.model()), plan.config(), plan.train()).requireFits(org.grpo4j.model.MemoryPlan.availableHeap());
            policy = plan.config().peft().loadPolicy(r.model(), backend, plan.config().training().seed(), null);
        } catch (IOException e) {
            throw new UncheckedIOException("model " + r.model() + ": " + e.getMessage(), e);
        }
        return new GrpoTrainer(policy, plan.config(), plan.task(), console, stop);
    }

    /**
     * The run's settings as {@code settings.json}, for its report. Written when the run ends (also when it fails), so
     * the JSON machinery's start-up is not charged to the first step of a time-limited run.
     */
    public static void writeSettings(Path outDir, java.util.Map<String, ?> settings, PrintStream out) {
        if (!Files.isDirectory(outDir)) return; // the run was refused before it started: it leaves nothing behind
        try {
            RunReport.writeSettings(outDir, settings);
        } catch (IOException | RuntimeException e) {
            if (out != null) out.println("warning: could not write " + outDir.resolve("settings.json") + ": " + e);
        }
    }

    /**
     * The run's {@code report.html} (charts of its metrics, sample completions, settings); a report that cannot be
     * written is a warning, never the loss of a finished run.
     */
    public static void writeReport(Path outDir, PrintStream out) {
        try {
            Path html = RunReport.write(outDir);
            if (out != null) out.println("report: " + html);
        } catch (IOException | RuntimeException | LinkageError e) {
            if (out != null) out.println("warning: no report for " + outDir + ": " + e);
        }
    }

    /** The model of a checked SFT recipe (loaded, or new with seeded random weights) inside a trainer; {@code tokenizerDir} is copied into checkpoints. */
    public static SftTrainer sftTrainer(SftPlan plan, Transformer model, Path tokenizerDir, StopSignal stop, PrintStream console) {
        return new SftTrainer(model, plan.config(), plan.train(), plan.eval(), tokenizerDir, console, stop);
    }

    /**
     * Trains a checked SFT recipe; {@code started} receives the trainer before its first step, so that a host (the
     * REPL's {@code :train}) can watch its metrics log while it runs.
     */
    public static SftResult train(SftPlan plan, StopSignal stop, Consumer<SftTrainer> started) {
        SftRecipe recipe = plan.recipe();
        PrintStream out = console(recipe.isQuiet());
        reportSkipped(out, recipe.dataset());
        Path outDir = Path.of(plan.config().training().outputDir());
        try {
            Path tokenizerDir = recipe.tokenizerDir();
            if (plan.charTokenizer() != null) {
                tokenizerDir = outDir.resolve("tokenizer");
                plan.charTokenizer().save(tokenizerDir);
            }
            Backend backend = org.grpo4j.backend.Devices.open(recipe.device());
            Transformer model = plan.newModel()
                    ? Transformer.create(plan.modelConfig(), backend).initialise(plan.config().training().seed(), plan.initializerRange())
                    : plan.config().peft().loadPolicy(recipe.model(), backend, plan.config().training().seed(), null);
            if (out != null)
                out.println("sft: " + plan.train().size() + " examples" + (plan.eval().isEmpty() ? "" : ", " + plan.eval().size() + " held out") + ", "
                        + (plan.newModel() ? "new model " : "model ") + plan.modelConfig() + ", output " + outDir);
            SftTrainer.Result r;
            try {
                SftTrainer trainer = sftTrainer(plan, model, tokenizerDir, stop, out);
                started.accept(trainer);
                r = trainer.train();
            } finally {
                if (Recipes.isMainProcess()) writeSettings(outDir, plan.config().values(), out);
            }
            if (Recipes.isMainProcess()) writeReport(outDir, out);
            Path modelDir = r.lastCheckpoint();
            if (recipe.saveModelTo() != null && Recipes.isMainProcess()) {
                modelDir = recipe.saveModelTo();
                // a LoRA run saves its adapters (a PEFT folder; grpo merge folds them into the base)
                if (model.lora() != null) org.grpo4j.lora.PeftAdapter.save(model.lora(), modelDir, recipe.model() == null ? "" : recipe.model().toString());
                else model.save(modelDir);
                for (String f : Checkpoints.TOKENIZER_FILES) {
                    Path src = tokenizerDir == null ? null : tokenizerDir.resolve(f);
                    if (src != null && Files.exists(src)) Files.copy(src, modelDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
                if (out != null) out.println("sft: model saved to " + modelDir);
            }
            return new SftResult(r, outDir, modelDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void reportSkipped(PrintStream out, Dataset d) {
        if (out == null || d.skippedRows() == 0) return;
        out.println("skipped " + d.skippedRows() + " bad row" + (d.skippedRows() == 1 ? "" : "s") + " of " + d.source() + " (first: " + d.badRows().getFirst() + ")");
    }
}
