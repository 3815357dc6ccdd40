package org.grpo4j.repl;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.Status;

/**
 * The interactive REPL on a real terminal: JLine line editing (completion, highlighting, persistent history,
 * multi-line snippets) over a {@link Repl}. Ctrl-C stops a running snippet and clears a half-typed one, Ctrl-D
 * leaves.
 */
final class TerminalRepl {
    static final String PROMPT = "grpo> ";
    static final String CONTINUATION = "  ...> ";

    private TerminalRepl() {}

    /** Runs until {@code :exit} or Ctrl-D; returns the exit code (always 0: on a terminal errors were seen). */
    static int run(Terminal terminal, ReplServices services, Path history, Path load) {
        TerminalOutput ui = new TerminalOutput(terminal);
        try (Repl repl = new Repl(services, ui, null, 500)) {
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("grpo")
                    .parser(new SnippetParser(repl::shell, repl::labelling))
                    .completer(new ShellCompleter(repl::shell))
                    .highlighter(new JavaHighlighter())
                    .variable(LineReader.HISTORY_FILE, history)
                    .variable(LineReader.HISTORY_SIZE, 2000)
                    .variable(LineReader.SECONDARY_PROMPT_PATTERN, CONTINUATION)
                    .variable(LineReader.INDENTATION, 4)
                    // '!' is Java's not-operator, never history expansion
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    .option(LineReader.Option.INSERT_BRACKET, false)
                    .build();
            ui.reader = reader;
            makeParent(history);
            // between prompts the terminal is in cooked mode: Ctrl-C arrives as SIGINT and stops the snippet
            terminal.handle(Terminal.Signal.INT, sig -> repl.interrupt());
            ui.info("grpo4j REPL: Java with the DSL imported. :help lists the commands, Tab completes, Ctrl-D leaves.");
            if (load != null) {
                try {
                    repl.load(load.toString());
                } catch (Repl.CommandError e) {
                    ui.error(e.getMessage());
                }
            }
            while (!repl.exitRequested()) {
                String line;
                try {
                    line = reader.readLine(repl.prompt());
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                repl.accept(line);
                terminal.flush();
            }
            repl.endLabelling(true);
            repl.stopTrainingToLeave(); // Ctrl-D as :exit
            try {
                reader.getHistory().save();
            } catch (IOException e) {
                ui.error("could not save the history to " + history + ": " + e.getMessage());
            }
            ui.status(null);
            return 0;
        }
    }

    private static void makeParent(Path history) {
        try {
            Path parent = history.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException ignored) {
            // JLine reports an unwritable history file itself
        }
    }

    /** Output on the terminal: errors in red, hints dimmed, the training status in JLine's status bar. */
    static final class TerminalOutput implements ReplOutput {
        private final Terminal terminal;
        volatile LineReader reader;
        private Status statusBar;

        TerminalOutput(Terminal terminal) {
            this.terminal = terminal;
        }

        private void print(AttributedStyle style, String line) {
            System.out.flush();
            terminal.writer().println(new AttributedString(line, style).toAnsi(terminal));
            terminal.writer().flush();
        }

        @Override
        public void out(String line) {
            print(AttributedStyle.DEFAULT, line);
        }

        @Override
        public void error(String line) {
            print(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED), line);
        }

        @Override
        public void info(String line) {
            print(AttributedStyle.DEFAULT.faint(), line);
        }

        @Override
        public synchronized void status(String line) {
            if (statusBar == null) {
                if (line == null) return;
                statusBar = Status.getStatus(terminal);
                if (statusBar == null) {
                    async("[train] " + line);
                    return;
                }
            }
            statusBar.update(line == null ? List.of()
                    : List.of(new AttributedString(line, AttributedStyle.DEFAULT.inverse())));
        }

        @Override
        public void async(String line) {
            LineReader r = reader;
            if (r != null && r.isReading()) r.printAbove(line);
            else out(line);
        }

        @Override
        public PrintStream errStream() {
            return new PrintStream(new LineSink(this::error), true, StandardCharsets.UTF_8);
        }

        @Override
        public PrintStream logStream() {
            return new PrintStream(new LineSink(this::async), true, StandardCharsets.UTF_8);
        }

        @Override
        public boolean unicode() {
            return StandardCharsets.UTF_8.equals(terminal.encoding()) || terminal.encoding().newEncoder().canEncode('\u2581');
        }
    }

    /** An output stream that hands over whole lines, so background output never splits a prompt line. */
    static final class LineSink extends OutputStream {
        private final java.util.function.Consumer<String> sink;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

        LineSink(java.util.function.Consumer<String> sink) {
            this.sink = sink;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String line = buf.toString(StandardCharsets.UTF_8);
                buf.reset();
                sink.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            } else {
                buf.write(b);
            }
        }

        @Override
        public synchronized void flush() {
            if (buf.size() > 0) write('\n');
        }
    }
}
