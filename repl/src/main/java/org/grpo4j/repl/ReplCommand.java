package org.grpo4j.repl;

import java.nio.file.Path;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code grpo repl [--load FILE.grpo]} (also plain {@code grpo}): the JLine REPL on a terminal; on a pipe it reads
 * snippets line by line without prompts or escape codes and exits 1 if one failed, so it works in shell scripts.
 * The history file is {@code ~/.grpo_history}, or the {@code grpo.history} system property.
 */
public final class ReplCommand implements Command {
    /** Wires the DSL, generation engine and trainer into the REPL's commands; {@link ReplServices#basic()} until then. */
    static ReplServices services() {
        return new DslServices();
    }

    @Override
    public String name() {
        return "repl";
    }

    @Override
    public String summary() {
        return "the interactive REPL (also: ./grpo with no arguments); --load FILE.grpo first";
    }

    @Override
    public int run(Args args) throws Exception {
        String load = args.get("load", null);
        args.rejectUnknown();
        if (!args.positional().isEmpty()) throw new UsageException("usage: ./grpo repl [--load FILE.grpo]");
        Path loadPath = load == null ? null : Path.of(load);
        java.io.Console console = System.console();
        if (console == null || !console.isTerminal()) {
            return Repl.runPlain(services(), System.in, System.out, System.err, loadPath);
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).nativeSignals(true).build()) {
            if (terminal.getType().startsWith("dumb")) {
                return Repl.runPlain(services(), System.in, System.out, System.err, loadPath);
            }
            return TerminalRepl.run(terminal, services(), historyFile(), loadPath);
        }
    }

    static Path historyFile() {
        String p = System.getProperty("grpo.history");
        return p != null && !p.isBlank() ? Path.of(p) : Path.of(System.getProperty("user.home"), ".grpo_history");
    }
}
