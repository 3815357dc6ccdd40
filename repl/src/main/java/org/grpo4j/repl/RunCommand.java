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
        return "run a .grpo script (also: ./grpo FILE.grpo)";
    }

    @Override
    public int run(Args args) {
        args.rejectUnknown();
        if (args.positional().size() != 1) throw new UsageException("usage: ./grpo run FILE.grpo");
        return ScriptRunner.run(Path.of(args.positional().getFirst()), System.out, System.err, true);
    }
}
