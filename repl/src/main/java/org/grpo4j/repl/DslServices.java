package org.grpo4j.repl;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.grpo4j.backend.Devices;
import org.grpo4j.dsl.recipe.GrpoPlan;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.dsl.recipe.SftPlan;
import org.grpo4j.dsl.recipe.SftRecipe;
import org.grpo4j.sft.SftTrainer;
import org.grpo4j.dsl.recipe.Training;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.grpo.GrpoTrainer;
import org.grpo4j.model.Transformer;
import org.grpo4j.tokenizer.Tokenizer;
import org.grpo4j.train.MetricsLog;
import org.grpo4j.train.StopSignal;
import org.grpo4j.reward.WeightedReward;

/**
 * The REPL's commands wired to the DSL, the generation engine and the trainers: {@code :rewards} lists
 * {@link Rewards#builtins()}, {@code :try} honours a DSL reward's weight, {@code :sample} generates from a model
 * folder (or a recipe's model), {@code :train} runs a GRPO or SFT recipe on a background thread.
 */
final class DslServices implements ReplServices {

    @Override
    public List<RewardInfo> builtinRewards() {
        List<RewardInfo> out = new ArrayList<>();
        for (Rewards.Builtin b : Rewards.builtins()) {
            // the call a script writes; the one built-in without a no-argument factory shows its defaults
            String call = javaName(b.name()) + (b.name().equals("soft_overlong_punishment") ? "(1024, 256)" : "()");
            out.add(new RewardInfo(call, b.description()));
        }
        return out;
    }

    @Override
    public List<WeightedReward> rewardComponents(Object value) {
        if (value instanceof Reward r) return List.of(new WeightedReward(r, r.weight()));
        if (value instanceof GrpoRecipe recipe) {
            List<WeightedReward> out = new ArrayList<>();
            for (var w : recipe.rewards()) out.add(new WeightedReward(w.function(), w.weight()));
            return out;
        }
        return ReplServices.super.rewardComponents(value);
    }

    @Override
    public List<String> sample(Object model, String prompt, int n) throws Exception {
        Path dir = switch (model) {
            case Path p -> p;
            case String s -> Path.of(s);
            case GrpoRecipe r -> r.model();
            case null, default -> throw new IllegalArgumentException(":sample needs a model folder (a String or Path) or a GRPO recipe, got "
                    + (model == null ? "null" : model.getClass().getSimpleName()));
        };
        if (!Files.exists(dir.resolve("config.json"))) throw new IllegalArgumentException(dir + " is not a model folder (no config.json)");
        Tokenizer tok = Tokenizer.load(dir);
        Transformer m = Transformer.load(dir, Devices.open("cpu"));
        int[] ids = tok.encode(prompt);
        int[] eos = tok.eosTokenId().isPresent() ? new int[] {tok.eosTokenId().getAsInt()} : m.config().eosTokenIds();
        int room = m.config().maxPositionEmbeddings() - ids.length;
        if (room < 1) throw new IllegalArgumentException("the prompt has " + ids.length + " tokens, the model's context is " + m.config().maxPositionEmbeddings());
        SamplingParams params = SamplingParams.defaults().withNumGenerations(n).withMaxCompletionLength(Math.min(128, room)).withStopTokenIds(eos)
                .withSeed(System.nanoTime());
        List<String> out = new ArrayList<>();
        for (Completion c : new Generator(m, t -> tok.decode(t, true)).generate(List.of(ids), params)) out.add(c.text());
        return out;
    }

    /**
     * Completions to label: {@code n} sampled with the recipe's sampling settings, two per prompt drawn at random, from
     * the newest checkpoint of its run (a model or a LoRA adapter) when there is one, else from its model.
     */
    @Override
    public Sampled labelCandidates(Object source, int n) throws Exception {
        if (!(source instanceof GrpoRecipe r))
            throw new IllegalArgumentException(":label samples with a GRPO recipe's model on its prompts (or reads a completions .jsonl file), got "
                    + (source == null ? "null" : source.getClass().getSimpleName()));
        GrpoPlan plan = r.build();
        List<org.grpo4j.grpo.Prompt> prompts = new ArrayList<>(plan.train());
        java.util.Collections.shuffle(prompts, new java.util.Random(System.nanoTime()));
        int perPrompt = Math.min(2, n);
        prompts = prompts.subList(0, Math.min(prompts.size(), (n + perPrompt - 1) / perPrompt));
        List<int[]> ids = new ArrayList<>();
        for (var p : prompts) ids.add(p.ids());
        Path run = Path.of(plan.config().training().outputDir()), from = r.model();
        org.grpo4j.dsl.eval.ModelFolder.Resolved folder = new org.grpo4j.dsl.eval.ModelFolder.Resolved(from, null);
        if (Files.isDirectory(run)) {
            try {
                folder = org.grpo4j.dsl.eval.ModelFolder.resolve(run);
                from = folder.adapter() != null ? folder.adapter() : folder.model();
            } catch (IllegalArgumentException noCheckpoint) {
                // the run has not saved a checkpoint yet: the recipe's model is the current one
            }
        }
        Transformer m = new org.grpo4j.dsl.eval.PromptedModel(folder.model(), folder.adapter(), plan, "cpu").load();
        SamplingParams params = plan.config().sampling().params(perPrompt, plan.stopTokenIds(), System.nanoTime());
        List<org.grpo4j.reward.Sample> out = new ArrayList<>();
        for (Completion c : new Generator(m, plan.decoder()).generate(ids, params)) {
            var p = prompts.get(c.promptIndex());
            if (out.size() < n) out.add(new org.grpo4j.reward.Sample(p.text(), c.text(), c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        return new Sampled(from.toString(), out);
    }

    @Override
    public List<String> describeLearned(Object reward, Path labels) {
        if (!(reward instanceof org.grpo4j.dsl.reward.learned.TribuoReward t)) return List.of(String.valueOf(reward));
        var examples = org.grpo4j.dsl.reward.learned.TribuoReward.examples(labels);
        if (!t.classifies()) return List.of(t + ": trained on " + examples.size() + " scored completions of " + labels);
        long good = examples.stream().filter(e -> e.value() == 1).count();
        String line = t + ": trained on " + examples.size() + " labelled completions of " + labels + " (" + good + " good, " + (examples.size() - good) + " bad)";
        int folds = Math.min(5, examples.size());
        double cv = examples.size() >= 10 ? org.grpo4j.dsl.reward.learned.TribuoReward.crossValidatedAccuracy(examples, folds, 1) : Double.NaN;
        return List.of(line, Double.isNaN(cv) ? "  (10 or more labels of each kind give an estimate of its accuracy on unseen completions)"
                : String.format(java.util.Locale.ROOT, "  accuracy on completions it was not trained on (%d-fold cross-validation): %.1f%%", folds, 100 * cv));
    }

    @Override
    public TrainingSession startTraining(Object recipe, PrintStream log) {
        StopSignal stop = new StopSignal();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Path> checkpoint = new AtomicReference<>();
        Supplier<MetricsLog> metrics;
        int maxSteps;
        Path outDir;
        Runnable body;
        switch (recipe) {
            case GrpoRecipe r -> {
                GrpoPlan plan = r.build(); // validation errors surface here, before the thread starts
                // progress lines go to output_dir/train.log; the REPL shows the run on its status line, not over the prompt
                PrintStream file = r.isQuiet() ? null : trainLog(Path.of(plan.config().training().outputDir()), log);
                GrpoTrainer trainer = Training.grpoTrainer(plan, stop, file);
                metrics = trainer::metricsLog;
                maxSteps = trainer.totalSteps();
                outDir = Path.of(plan.config().training().outputDir());
                Path reportDir = outDir;
                body = () -> {
                    try {
                        checkpoint.set(trainer.train().lastCheckpoint());
                        Training.writeSettings(reportDir, plan.config().values(), r.isQuiet() ? null : log);
                        Training.writeReport(reportDir, r.isQuiet() ? null : log); // also after :stop, which waits for this
                    } catch (Throwable t) {
                        failure.set(t);
                    } finally {
                        if (file != null) file.close();
                    }
                };
            }
            case SftRecipe r -> {
                SftPlan plan = r.build(); // validation errors surface here, before the thread starts
                AtomicReference<SftTrainer> trainer = new AtomicReference<>();
                metrics = () -> trainer.get() == null ? null : trainer.get().metricsLog();
                maxSteps = plan.config().training().maxSteps();
                outDir = Path.of(plan.config().training().outputDir());
                body = () -> {
                    try {
                        checkpoint.set(Training.train(plan, stop, trainer::set).checkpoint());
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
            }
            case null, default -> throw new IllegalArgumentException(":train needs a GRPO or SFT recipe (Recipes.grpo()... or Recipes.sft()...), got "
                    + (recipe == null ? "null" : recipe.getClass().getSimpleName()));
        }
        Path runDir = outDir;
        Thread thread = new Thread(body, "grpo-train");
        thread.setDaemon(true);
        thread.start();
        long started = System.nanoTime();
        return new TrainingSession() {
            @Override
            public TrainingStatus status() {
                List<TrainingStatus> h = history();
                return h.isEmpty() ? null : h.get(h.size() - 1);
            }

            @Override
            public List<TrainingStatus> history() {
                MetricsLog m = metrics.get();
                if (m == null) return List.of();
                List<TrainingStatus> out = new ArrayList<>();
                double elapsed = (System.nanoTime() - started) * 1e-9;
                for (Map<String, Double> row : m.history()) {
                    int step = (int) Math.round(row.getOrDefault("step", 0.0));
                    double tokens = row.getOrDefault("num_tokens", 0.0);
                    Duration eta = maxSteps > 0 && step > 0 ? Duration.ofMillis((long) (elapsed / step * (maxSteps - step) * 1000)) : null;
                    out.add(new TrainingStatus(step, maxSteps, row.getOrDefault("reward", Double.NaN), row.getOrDefault("kl", 0.0),
                            row.getOrDefault("completions/mean_length", Double.NaN), elapsed > 0 ? tokens / elapsed : 0, eta, row));
                }
                return out;
            }

            @Override
            public boolean isRunning() {
                return thread.isAlive();
            }

            @Override
            public Path stop() throws Exception {
                stop.request(":stop");
                thread.join();
                return checkpoint.get();
            }

            @Override
            public Optional<Throwable> failure() {
                return Optional.ofNullable(failure.get());
            }

            @Override
            public Path outputDir() {
                return runDir;
            }
        };
    }

    /** The Java factory of an open-r1 reward name: {@code tag_count} → {@code tagCount}, the name a script calls. */
    static String javaName(String openR1Name) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : openR1Name.toCharArray()) {
            if (c == '_') up = true;
            else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    @Override
    public List<String> evaluate(Object recipe) {
        return switch (recipe) {
            case org.grpo4j.dsl.eval.EvalRecipe r -> {
                org.grpo4j.dsl.eval.EvalResults res = r.quiet().run();
                List<String> out = new ArrayList<>(res.table().lines().toList());
                for (var m : res.models())
                    out.add(String.format(java.util.Locale.ROOT, "accuracy: %.1f%%   pass@%d: %.1f%%   (%s, %.0f s)", 100 * m.accuracy(), m.n(),
                            100 * m.passAtN(), m.model(), m.seconds()));
                yield out;
            }
            case GrpoRecipe r -> {
                var e = org.grpo4j.dsl.recipe.Recipes.evaluate(r);
                List<String> out = new ArrayList<>();
                out.add(String.format(java.util.Locale.ROOT, "accuracy: %.1f%%   pass@%d: %.1f%%   (%s, %d held-out prompts)", 100 * e.accuracy(), e.k(),
                        100 * e.passAtK(), r.model(), e.prompts()));
                e.meanRewards().forEach((k, v) -> out.add(String.format(java.util.Locale.ROOT, "  %-24s %.3f", k, v)));
                yield out;
            }
            case null, default -> throw new IllegalArgumentException(":eval needs an evaluation (evaluation().model(…).dataset(…)) or a GRPO recipe with "
                    + "held-out prompts, got " + (recipe == null ? "null" : recipe.getClass().getSimpleName()));
        };
    }

    @Override
    public boolean plot(List<Map<String, Double>> history, String metric, Path png) throws Exception {
        Map<String, List<double[]>> series = new java.util.LinkedHashMap<>();
        for (Map<String, Double> row : history) {
            Double v = row.get(metric), step = row.get("step");
            if (v != null && step != null && !v.isNaN()) series.computeIfAbsent(metric, k -> new ArrayList<>()).add(new double[] {step, v});
        }
        if (png.getParent() != null) Files.createDirectories(png.getParent());
        return org.grpo4j.dsl.report.Charts.write(new org.grpo4j.dsl.report.RunMetrics(series, List.of()),
                new org.grpo4j.dsl.report.Charts.Spec("plot", metric, metric, List.of(metric)), png);
    }

    /** Appends to {@code outDir/train.log}; says where on {@code notice}. */
    private static PrintStream trainLog(Path outDir, PrintStream notice) {
        try {
            Files.createDirectories(outDir);
            Path f = outDir.resolve("train.log");
            notice.println("progress: the status line, :metrics; the trainer's log: " + f);
            return new PrintStream(Files.newOutputStream(f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true,
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write the training log in " + outDir + ": " + e.getMessage(), e);
        }
    }
}
