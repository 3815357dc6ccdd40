package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code grpo data inspect} on a dataset folder and on a file, as a user runs it. */
class DataCommandTest {
    record Result(int exit, String out, String err) {}

    static Result grpo(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static void parquet(Path file, String select) throws Exception {
        Files.createDirectories(file.getParent());
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (" + select + ") TO '" + file + "' (FORMAT parquet)");
        }
    }

    @Test
    void inspectPrintsSplitsRowCountsTypesAndPrompts(@TempDir Path dir) throws Exception {
        String rows = "SELECT i || '+' || i || '=?' AS problem, CAST(2 * i AS VARCHAR) AS solution, "
                + "[{'role': 'user', 'content': i || '+' || i || '=?'}] AS messages FROM range(%d) t(i)";
        parquet(dir.resolve("data/train-00000-of-00002.parquet"), rows.formatted(150));
        parquet(dir.resolve("data/train-00001-of-00002.parquet"), rows.formatted(150));
        parquet(dir.resolve("data/test-00000-of-00001.parquet"), rows.formatted(20));
        Result r = grpo("data", "inspect", dir.toString(), "--rows", "2", "--prompt-column", "problem", "--system-prompt", "Add.");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.contains("train rows: 300"), r.out());
        assertTrue(lines.contains("test rows: 20"), r.out());
        assertTrue(lines.contains("  messages: list<struct<role: string, content: string>>"), r.out());
        assertTrue(lines.contains("  problem: string"), r.out());
        int second = lines.indexOf("[2] " + dir.resolve("data/train-00000-of-00002.parquet") + " row 2");
        assertTrue(second > 0, r.out());
        assertEquals(List.of("  prompt:", "    | system: Add.", "    | user: 1+1=?", "  problem: \"1+1=?\"", "  solution: \"2\""), lines.subList(second + 1, second + 6));

        Result bad = grpo("data", "inspect", dir.toString(), "--split", "validation");
        assertEquals(2, bad.exit());
        assertEquals("grpo data: --split validation: no such split; splits are: train, test", bad.err().strip());
    }

    @Test
    void inspectReadsASingleFileAsTheTrainSplit(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("train.jsonl"), "{\"prompt\": \"2+2\", \"answer\": 4}\n{\"prompt\": \"3+3\", \"answer\": 6}\n");
        Result r = grpo("data", "inspect", f.toString(), "--rows", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().toList().containsAll(List.of("train rows: 2", "  answer: int64", "    | 2+2")), r.out());
        Path gz = dir.resolve("train.jsonl.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(f));
        }
        Result z = grpo("data", "inspect", gz.toString(), "--rows", "1");
        assertEquals(0, z.exit(), z.err());
        assertTrue(z.out().startsWith(gz + ": one jsonl.gz file, "), z.out());
        assertTrue(z.out().lines().toList().containsAll(List.of("train rows: 2", "  answer: int64", "    | 2+2")), z.out());
        Result missing = grpo("data", "inspect", dir.resolve("nope").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains(dir.resolve("nope") + ": "), missing.err());
    }
}
