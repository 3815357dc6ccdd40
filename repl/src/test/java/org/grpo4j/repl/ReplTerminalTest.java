package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REPL on a real terminal: {@code ./grpo} in a detached tmux session, driven with {@code send-keys} and read
 * with {@code capture-pane}. A private tmux server and a temporary HOME/history keep the user's setup untouched.
 */
class ReplTerminalTest {
    @TempDir
    Path home;

    private String tmux(String... args) throws IOException, InterruptedException {
        // a private server whose socket lives in the temporary directory, so nothing is left behind
        List<String> cmd = new ArrayList<>(List.of("tmux", "-S", home.resolve("tmux.sock").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    private String pane() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-t", "repl");
    }

    /** The last non-blank line of the pane: the line being edited. */
    private String editLine() throws IOException, InterruptedException {
        List<String> lines = pane().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast().stripTrailing();
    }

    private String await(String what, long seconds, Predicate<String> ok) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String p = "";
        while (System.nanoTime() < end) {
            p = pane();
            if (ok.test(p)) return p;
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; the terminal shows:\n" + p);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    private boolean hasTmux() {
        try {
            return new ProcessBuilder("tmux", "-V").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void completionHistoryAndCtrlCOnARealTerminal() throws Exception {
        assumeTrue(hasTmux(), "tmux is not installed (./grpo test installs it)");
        Path history = home.resolve("history");
        String cmd = "env HOME=" + home + " GRPO_JAVA_OPTS=-Dgrpo.history=" + history + " " + Launcher.root().resolve("grpo");
        tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "repl", cmd);
        try {
            // the first start of a fresh checkout builds the project
            await("the prompt", 240, p -> p.lines().anyMatch(l -> l.startsWith("grpo>")));

            tmux("send-keys", "-t", "repl", "-l", "var names = List.of(\"a\")");
            tmux("send-keys", "-t", "repl", "Enter");
            // keys typed before JLine prints its next prompt are echoed by the tty in cooked mode ("namgrpo> names")
            await("the variable and a fresh prompt", 30, p -> p.contains("names ==> [a]") && editLine(p).equals("grpo>"));

            tmux("send-keys", "-t", "repl", "-l", "nam");
            tmux("send-keys", "-t", "repl", "Tab");
            await("Tab to complete 'nam' to 'names'", 30, p -> editLine(p).equals("grpo> names"));
            tmux("send-keys", "-t", "repl", "Enter");
            await("the completed name evaluated", 30, p -> count(p, "names ==> [a]") == 2 && editLine(p).equals("grpo>"));

            // (tmux reads a trailing ';' and braces as its own syntax, so the typed Java avoids them)
            String loop = "for (int i = 0; ; i++) if (i == 0) System.out.println(\"looping\")";
            tmux("send-keys", "-t", "repl", "-l", loop);
            tmux("send-keys", "-t", "repl", "Enter");
            await("the loop to run", 30, p -> p.lines().anyMatch(l -> l.equals("looping")));
            // Ctrl-C stops the running snippet and the REPL lives on
            tmux("send-keys", "-t", "repl", "C-c");
            await("'stopped' and a fresh prompt", 20, p -> p.contains("stopped") && editLine(p).equals("grpo>"));

            tmux("send-keys", "-t", "repl", "Up");
            await("Up to recall the loop", 10, p -> editLine(p).equals("grpo> " + loop));
            tmux("send-keys", "-t", "repl", "Up");
            await("a second Up to recall 'names'", 10, p -> editLine(p).equals("grpo> names"));
            tmux("send-keys", "-t", "repl", "C-u");
            tmux("send-keys", "-t", "repl", "-l", ":exit");
            tmux("send-keys", "-t", "repl", "Enter");
            long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (tmux("has-session", "-t", "repl").isEmpty() && System.nanoTime() < gone) Thread.sleep(100);
            String saved = Files.readString(history);
            assertTrue(saved.contains("var names = List.of(\"a\")") && saved.contains(loop), saved);
            assertTrue(!Files.exists(home.resolve(".grpo_history")), "the history property overrides ~/.grpo_history");
        } finally {
            tmux("kill-server");
        }
    }

    private static String editLine(String pane) {
        List<String> lines = pane.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast().stripTrailing();
    }
}
