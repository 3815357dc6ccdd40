package org.grpo4j.repl;

import java.nio.file.Path;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/** {@code grpo run FILE.grpo} (also {@code grpo FILE.grpo}): runs a script. */
public final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a .grpo script (also: ./grpo FILE.grpo), or a GRPO YAML recipe as train --config does";
    }

    /** A YAML recipe's true/false settings may be bare switches, as with {@code train}. */
    @Override
    public java.util.Set<String> flags() {
        return new TrainCommand().flags();
    }

    @Override
    public String usage(java.util.List<String> words) {
        return """
                usage: ./grpo run FILE.grpo          (also: ./grpo FILE.grpo)
                       ./grpo run recipe.yaml [--name value …]   (an open-r1/TRL GRPO recipe, as ./grpo train --config)

                Runs a .grpo script: JShell-syntax Java with the DSL imported. Ctrl-C stops the running snippet (a
                training run in it saves a checkpoint first). --verbose shows errors with their whole stack trace.""";
    }

    @Override
    public int run(Args args) {
        if (args.positional().size() == 1 && isYaml(args.positional().getFirst()))
            return TrainCommand.train(Path.of(args.positional().getFirst()), args.unread());
        args.rejectUnknown();
        if (args.positional().size() != 1) throw new UsageException("usage: ./grpo run FILE.grpo, or ./grpo run recipe.yaml [--name value …]");
        return ScriptRunner.run(Path.of(args.positional().getFirst()), System.out, System.err, true);
    }

    static boolean isYaml(String file) {
        return file.endsWith(".yaml") || file.endsWith(".yml");
    }
}
