package org.grpo4j.repl;

import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import java.nio.file.Files;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.grpo4j.dsl.recipe.GrpoResult;
import org.grpo4j.dsl.recipe.Recipes;
import org.grpo4j.dsl.recipe.YamlRecipes;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.train.StopSignal;

/**
 * {@code grpo train --config recipe.yaml [--name value …]} (also {@code grpo run recipe.yaml}): trains an
 * open-r1/TRL GRPO YAML recipe, as {@code accelerate launch grpo.py --config recipe.yaml --learning_rate 1e-5} does;
 * every other option overrides the recipe's field of that name. Ctrl-C or SIGTERM stops after the current step with a
 * checkpoint.
 */
public final class TrainCommand implements Command {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train an open-r1/TRL GRPO YAML recipe: --config recipe.yaml [--name value …] (overrides its fields)";
    }

    @Override
    public String usage(java.util.List<String> words) {
        return """
                usage: ./grpo train --config recipe.yaml [--name value …]
                       ./grpo run recipe.yaml [--name value …]

                Trains an open-r1 / TRL GRPO recipe (model_name_or_path, dataset_name, reward_funcs and GRPOConfig's
                settings by name). Every --name value replaces the recipe's field of that name, e.g.
                  ./grpo train --config recipe.yaml --learning_rate 1e-5 --max_steps 20 --output_dir runs/try
                A true/false setting may be given alone (--log_completions) or as --name=false.
                Ctrl-C stops after the current step and saves a checkpoint.""";
    }

    /** True/false settings may be written as bare switches, as TRL's argument parser allows. */
    @Override
    public Set<String> flags() {
        Set<String> s = new TreeSet<>();
        GrpoConfig.SCHEMA.settings().forEach((k, v) -> { if (v.kind() == org.grpo4j.train.Setting.Kind.BOOL) s.add(k); });
        s.add("chat_template_enabled");
        return s;
    }

    @Override
    public int run(Args args) {
        String config = args.get("config", null);
        if (config == null && args.positional().size() == 1) config = args.positional().getFirst();
        else if (!args.positional().isEmpty()) throw new UsageException("unexpected " + args.positional() + "; usage: ./grpo train --config recipe.yaml [--name value …]");
        if (config == null) throw new UsageException("which recipe? usage: ./grpo train --config recipe.yaml [--name value …]");
        return train(Path.of(config), args.unread());
    }

    /** Reads the recipe with its overrides and trains it; the exit status is 0 when it ran to its end or its limit. */
    public static int train(Path file, Map<String, String> overrides) {
        if (!Files.isRegularFile(file)) throw new UsageException("no such recipe file: " + file);
        YamlRecipes.Loaded l = YamlRecipes.read(file, overrides);
        if (!l.ignored().isEmpty())
            System.err.println("warning: " + file + ": ignored (not applicable to grpo4j): " + String.join(", ", l.ignored()));
        StopSignal stop = new StopSignal().onProcessSignals();
        GrpoResult r = Recipes.train(l.recipe(), stop);
        System.out.println("train: " + r.steps() + " steps" + (r.stopped() ? " (stopped: " + stop.reason() + ")" : "")
                + ", last checkpoint " + r.checkpoint() + ", metrics " + r.metricsFile());
        return r.stopped() && stop.reason().startsWith("SIG") ? 130 : 0;
    }
}
