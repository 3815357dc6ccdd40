package org.grpo4j.repl;

import org.grpo4j.cli.Command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.grpo4j.cli.Command;
import org.junit.jupiter.api.Test;

/** Issue 15: every command answers --help with its usage and exit status 0 (they used to ask for the option's value or start work). */
class HelpTest {
    private record Out(int code, String out) {}

    private static Out main(String... argv) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(argv);
            return new Out(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void everyCommandAnswersHelpWithItsUsage() {
        for (Command c : Main.commands()) {
            for (String h : new String[] {"--help", "-h"}) {
                Out o = main(c.name(), h);
                assertEquals(0, o.code(), c.name() + " " + h);
                assertTrue(o.out().startsWith("usage: ./grpo " + c.name()), c.name() + " " + h + " printed: " + o.out());
            }
        }
    }

    @Test
    void helpWinsOverOptionsThatTakeValues() {
        Out o = main("generate", "--model", "x", "--help");
        assertEquals(0, o.code());
        assertTrue(o.out().contains("--model"), o.out());
    }

    @Test
    void benchDescribesTheBenchmarkNamed() {
        Out o = main("bench", "train", "--help");
        assertEquals(0, o.code());
        assertTrue(o.out().startsWith("usage: ./grpo bench train"), o.out());
        Out all = main("bench", "--help");
        assertTrue(all.out().contains("matmul") && all.out().contains("train"), all.out());
    }

    @Test
    void launcherAnswersHelpForBuildAndTestWithoutRunningThem() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        for (String cmd : new String[] {"build", "test"}) {
            Process p = new ProcessBuilder(root.resolve("grpo").toString(), cmd, "--help").directory(root.toFile()).redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " --help did not return");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.startsWith("usage: ./grpo " + cmd), out);
            assertFalse(out.contains("[INFO]") || out.contains("building"), out);
        }
        assertTrue(Files.isExecutable(root.resolve("grpo")));
    }
}
