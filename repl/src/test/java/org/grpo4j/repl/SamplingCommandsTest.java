package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code grpo eval}, {@code grpo generate-data} and {@code grpo report} through the command line's entry point. */
class SamplingCommandsTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final String MODEL = ROOT.resolve("examples/models/arithmetic-sft").toString();

    record Run(int code, String out, String err) {}

    static synchronized Run main(String... argv) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(argv);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static Path questions(Path dir, int n) throws Exception {
        Path f = dir.resolve("q.jsonl");
        Files.write(f, Files.readAllLines(ROOT.resolve("examples/arithmetic/data/test.jsonl")).subList(0, n));
        return f;
    }

    @Test
    void evalPrintsAccuracyAndPassAtKAndWritesItsFiles(@TempDir Path dir) throws Exception {
        Path data = questions(dir, 4), out = dir.resolve("eval");
        Run r = main("eval", "--model", MODEL, "--data", data.toString(), "--prompt-template", "{prompt}\\n", "--answer-column", "solution",
                "-n", "2", "--temperature", "1.0", "--max-tokens", "64", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*\\naccuracy: \\d+\\.\\d%\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\npass@2: \\d+\\.\\d%\\n.*"), r.out());
        assertTrue(Files.exists(out.resolve("results.json")) && Files.readAllLines(out.resolve("details.jsonl")).size() == 4 * 3);
        Run bad = main("eval", "--model", MODEL, "--data", data.toString(), "--reward", "acuracy");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'acuracy' is not a built-in reward"), bad.err());
        Run typo = main("eval", "--model", MODEL, "--data", data.toString(), "--temprature", "1");
        assertTrue(typo.err().contains("unknown option --temprature"), typo.err());
    }

    @Test
    void generateDataWritesRowsAndARerunContinues(@TempDir Path dir) throws Exception {
        Path data = questions(dir, 3), out = dir.resolve("made.jsonl");
        String[] argv = {"generate-data", "--model", MODEL, "--data", data.toString(), "--prompt-template", "{prompt}\\n", "--answer-column", "solution",
                "--completion-column", "generated", "-n", "2", "--temperature", "1.0", "--max-tokens", "64", "--keep", "best", "--out", out.toString()};
        Run r = main(argv);
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(3, Files.readAllLines(out).size());
        assertTrue(r.out().contains("kept 100.0% of 3 prompts (keep best)"), r.out());
        Run again = main(argv);
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("already covers 3 of 3 prompts"), again.out());
        assertEquals(3, Files.readAllLines(out).size());
        Run keep = main("generate-data", "--model", MODEL, "--data", data.toString(), "--out", dir.resolve("x.jsonl").toString(), "--keep", "some");
        assertEquals(2, keep.code());
        assertTrue(keep.err().contains("choose correct, best or all"), keep.err());
    }

    @Test
    void reportWritesTheHtmlAndHelpListsTheCommands(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":1,\"reward\":0.5,\"kl\":0.0}\n{\"step\":2,\"reward\":0.75,\"kl\":0.01}\n");
        Run r = main("report", dir.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.exists(dir.resolve("report.html")) && Files.exists(dir.resolve("report/reward.png")) && Files.exists(dir.resolve("report/kl.png")));
        Run none = main("report", dir.resolve("nowhere").toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("not found"), none.err());
        Run help = main("--help");
        for (String c : List.of("eval", "generate-data", "report")) assertTrue(help.out().contains("\n  " + c + " "), help.out());
    }
}
