package org.grpo4j.dsl.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data set larger than the heap is usable: a JVM started with {@code -Xmx24m} reads every column of JSON Lines,
 * Parquet and CSV files of 35-45 MB each (50,000 rows shaped like NuminaMath-TIR), shuffles, filters and maps
 * them, and touches every value; the characters it counts are DuckDB's count of the same files. Its temporary row
 * stores leave nothing behind.
 */
class SmallHeapTest {
    static final int ROWS = 50_000;

    /** Run in the small-heap JVM: for each file, its rows, the characters of all its values, and a few reshapings. */
    public static void main(String[] args) {
        System.out.println("max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
        for (String a : args) {
            long t0 = System.nanoTime();
            Dataset d = Dataset.of(a);
            long chars = 0;
            for (Map<String, Object> r : d.rows()) chars += chars(r);
            Dataset reshaped = d.shuffle(7).filter(r -> r.get("problem").toString().hashCode() % 2 == 0)
                    .map(r -> Map.of("prompt", r.get("problem"), "n", r.size())).take(1000);
            System.out.println(Path.of(a).getFileName() + " rows " + d.size() + " chars " + chars + " columns " + d.columns() + " row 12345 "
                    + d.row(12345).get("problem") + " reshaped " + reshaped.size() + " " + reshaped.row(999).keySet()
                    + String.format(" (%.1f s)", (System.nanoTime() - t0) / 1e9));
        }
    }

    private static long chars(Object v) {
        if (v instanceof String s) return s.length();
        long n = 0;
        if (v instanceof Map<?, ?> m) for (Object x : m.values()) n += chars(x);
        if (v instanceof List<?> l) for (Object x : l) n += chars(x);
        return n;
    }

    @Test
    void filesLargerThanTheHeapAreReadWhole(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("train.jsonl"), parquet = dir.resolve("train.parquet"), csv = dir.resolve("train.csv"), tmp = dir.resolve("tmp");
        Files.createDirectories(tmp);
        String select = "SELECT 'Problem ' || i || ': ' || repeat(md5(i::VARCHAR), 4) AS problem, 'Solution ' || repeat(md5((i * 7)::VARCHAR) || ' ', 16) AS solution, "
                + "[{'role': 'user', 'content': 'Problem ' || i}, {'role': 'assistant', 'content': repeat(md5((i * 3)::VARCHAR), 3)}] AS messages FROM range(" + ROWS + ") t(i)";
        long allChars, csvChars;
        try (Connection c = ParquetReader.connect(); Statement s = c.createStatement()) {
            s.execute("COPY (" + select + ") TO " + HfFixtures.q(parquet) + " (FORMAT parquet)");
            s.execute("COPY (SELECT * FROM read_parquet(" + HfFixtures.q(parquet) + ")) TO " + HfFixtures.q(jsonl) + " (FORMAT json)");
            s.execute("COPY (SELECT problem, solution FROM read_parquet(" + HfFixtures.q(parquet) + ")) TO " + HfFixtures.q(csv) + " (FORMAT csv, HEADER)");
            try (ResultSet rs = s.executeQuery("SELECT sum(length(problem) + length(solution)), sum(length(problem) + length(solution) + length(messages[1].role) "
                    + "+ length(messages[1].content) + length(messages[2].role) + length(messages[2].content)) FROM read_parquet(" + HfFixtures.q(parquet) + ")")) {
                rs.next();
                csvChars = rs.getLong(1);
                allChars = rs.getLong(2);
            }
        }
        assertTrue(Files.size(jsonl) > 32L << 20 && Files.size(csv) > 32L << 20, "the text files are larger than the heap: " + Files.size(jsonl) + ", " + Files.size(csv));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx24m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), SmallHeapTest.class.getName()));
        cmd.addAll(List.of(jsonl.toString(), parquet.toString(), csv.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        System.out.print(out);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
        String row = " row 12345 Problem 12345: ";
        assertTrue(out.contains("max heap 2"), out); // 24 MB, less what the collector keeps for itself
        assertTrue(out.contains("train.jsonl rows " + ROWS + " chars " + allChars + " columns [problem, solution, messages]" + row), out);
        assertTrue(out.contains("train.parquet rows " + ROWS + " chars " + allChars + " columns [problem, solution, messages]" + row), out);
        assertTrue(out.contains("train.csv rows " + ROWS + " chars " + csvChars + " columns [problem, solution]" + row), out);
        assertTrue(out.contains("reshaped 1000 [prompt, n]") || out.contains("reshaped 1000 [n, prompt]"), out);
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(f -> f.getFileName().toString().startsWith("grpo-rows-")).toList(), "row stores are unlinked once mapped");
        }
    }
}
