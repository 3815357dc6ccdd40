package org.grpo4j.repl;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs a {@code .grpo} script: JShell-syntax Java (statements, declarations, expressions) with the DSL imported,
 * evaluated snippet by snippet in this JVM. A first line {@code #!/usr/bin/env grpo} is allowed. The first
 * compile error or uncaught exception stops the script with {@code file:line} and a non-zero exit code.
 *
 * <pre>{@code
 * int code = ScriptRunner.run(Path.of("examples/arith.grpo"), System.out, System.err);
 * }</pre>
 */
public final class ScriptRunner {
    /** Exit codes: 0 ran to the end; 1 compile error, exception or unresolved declaration; 2 bad usage/file; 130 interrupted. */
    public static final int OK = 0, FAILED = 1, USAGE = 2, INTERRUPTED = 130;

    private ScriptRunner() {}

    /**
     * Runs {@code file}; the script's {@code System.out}/{@code System.err} go to {@code out}/{@code err} while it
     * runs (they are the process streams when called from the command line), errors go to {@code err}.
     */
    public static int run(Path file, PrintStream out, PrintStream err) {
        return run(file, out, err, false);
    }

    /**
     * As {@link #run(Path, PrintStream, PrintStream)}; with {@code onSignals} (the command line), the first Ctrl-C or
     * SIGTERM stops the running snippet — a training run in it sees the interrupt, saves a checkpoint and returns —
     * and a second one ends the process.
     */
    public static int run(Path file, PrintStream out, PrintStream err, boolean onSignals) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            err.println("grpo: no such script: " + file);
            return USAGE;
        } catch (CharacterCodingException e) {
            err.println("grpo: " + file + " is not UTF-8 text");
            return USAGE;
        } catch (IOException e) {
            err.println("grpo: cannot read " + file + ": " + e.getMessage());
            return USAGE;
        }
        try (StdStreams ignored = StdStreams.redirect(out, err);
             Shell shell = Shell.open(ScriptRunner.class.getClassLoader())) {
            if (onSignals) stopOnSignals(shell, err);
            return run(shell, file.toString(), text, err);
        }
    }

    /** Evaluates {@code text} (named {@code name} in messages) in {@code shell}; returns the exit code. */
    static int run(Shell shell, String name, String text, PrintStream err) {
        Set<String> ids = new HashSet<>();
        for (Shell.Chunk chunk : shell.split(withoutShebang(text), 1)) {
            if (!chunk.complete()) {
                System.out.flush();
                err.println(name + ":" + chunk.line() + ":1: error: the file ends inside this snippet (a missing '}', ')' or ';'?)");
                err.println(chunk.source().lines().findFirst().orElse(""));
                err.println("^");
                return FAILED;
            }
            Shell.Result r = shell.eval(chunk.source(), name, chunk.line());
            for (var s : r.snippets()) ids.add(s.id());
            if (r.ok()) continue;
            System.out.flush();
            if (r.stopped()) {
                if (r.failure() != null) Problems.format(r.failure()).forEach(err::println);
                err.println(name + ":" + chunk.line() + ": interrupted");
                return INTERRUPTED;
            }
            List<String> lines = r.error() != null ? Problems.format(r.error()) : Problems.format(r.failure());
            lines.forEach(err::println);
            return FAILED;
        }
        List<String> pending = shell.unresolved(ids);
        if (!pending.isEmpty()) {
            System.out.flush();
            pending.forEach(err::println);
            return FAILED;
        }
        return OK;
    }

    @SuppressWarnings("restriction")
    private static void stopOnSignals(Shell shell, PrintStream err) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (!once.compareAndSet(false, true)) System.exit(INTERRUPTED);
                    err.println("\ngrpo: SIG" + name + ": stopping the script (a training run saves a checkpoint first); again to abort");
                    new Thread(shell::stop, "grpo-stop").start();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // no such signal on this platform
            }
        }
    }

    /** Blanks a {@code #!} first line, keeping its newline so every later line keeps its number. */
    static String withoutShebang(String text) {
        if (!text.startsWith("#!")) return text;
        int nl = text.indexOf('\n');
        return nl < 0 ? "" : text.substring(nl);
    }
}
