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
        for (Rewards.Builtin b : Rewards.builtins()) out.add(new RewardInfo(b.name() + "()", b.description()));
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

    @Override
    public TrainingSession startTraining(Object recipe, PrintStream log) {
        StopSignal stop = new StopSignal();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Path> checkpoint = new AtomicReference<>();
        Supplier<MetricsLog> metrics;
        int maxSteps;
        Runnable body;
        switch (recipe) {
            case GrpoRecipe r -> {
                GrpoPlan plan = r.build(); // validation errors surface here, before the thread starts
                GrpoTrainer trainer = Training.grpoTrainer(plan, stop, r.isQuiet() ? null : log);
                metrics = trainer::metricsLog;
                maxSteps = trainer.totalSteps();
                body = () -> {
                    try {
                        checkpoint.set(trainer.train().lastCheckpoint());
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
            }
            case SftRecipe r -> {
                SftPlan plan = r.build(); // validation errors surface here, before the thread starts
                AtomicReference<SftTrainer> trainer = new AtomicReference<>();
                metrics = () -> trainer.get() == null ? null : trainer.get().metricsLog();
                maxSteps = plan.config().training().maxSteps();
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
        };
    }
}
