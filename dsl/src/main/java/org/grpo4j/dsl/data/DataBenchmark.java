package org.grpo4j.dsl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.bench.Stats;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/**
 * {@code grpo bench data}: reading throughput (rows/s, MB/s of file) of the same rows — shaped like NuminaMath-TIR
 * ({@code problem}, {@code solution}, {@code messages} as a list of {role, content}) — from JSON Lines and from
 * Parquet into {@link Dataset} rows, and of Parquet with one column selected. The bounds it chases, measured in the
 * same run: reading the JSONL file's bytes (the page cache), and DuckDB scanning every Parquet value inside its own
 * engine (what is left is the conversion to Java values).
 */
public final class DataBenchmark implements Benchmark {
    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "data set reading: rows/s and MB/s for JSON Lines and Parquet (--rows, --reps)";
    }

    @Override
    public void run(Args args) throws Exception {
        int rows = args.getInt("rows", 50_000), reps = args.getInt("reps", 5);
        args.rejectUnknown();
        if (rows < 1 || reps < 1) throw new Command.UsageException("--rows and --reps must be positive");
        Path dir = Files.createTempDirectory("grpo-bench-data");
        try {
            Path jsonl = dir.resolve("train.jsonl"), parquet = dir.resolve("train.parquet");
            write(rows, jsonl, parquet);
            double jsonlMb = Files.size(jsonl) / 1e6, parquetMb = Files.size(parquet) / 1e6;
            System.out.printf("workload: %d rows like NuminaMath-TIR (problem, solution, messages: list of {role, content}); JSONL %.1f MB, Parquet %.1f MB"
                    + " (snappy); median of %d interleaved rounds after a warm-up%n", rows, jsonlMb, parquetMb, reps);
            // the variants take turns in every round, so a busy shared machine slows them alike and the ratios hold
            Runnable[] variants = {() -> readBytes(jsonl), () -> require(Dataset.jsonl(jsonl).size(), rows), () -> require(Dataset.parquet(parquet).size(), rows),
                    () -> require(Dataset.parquet(parquet).select("problem").size(), rows), () -> duckdbScan(parquet)};
            double[][] t = new double[variants.length][reps];
            for (Runnable v : variants) v.run(); // warm-up
            for (int r = 0; r < reps; r++)
                for (int k = 0; k < variants.length; k++) {
                    long t0 = System.nanoTime();
                    variants[k].run();
                    t[k][r] = (System.nanoTime() - t0) / 1e9;
                }
            double bytesS = Stats.median(t[0]), jsonlS = Stats.median(t[1]), parquetS = Stats.median(t[2]), oneColS = Stats.median(t[3]), scanS = Stats.median(t[4]);
            line("jsonl", rows, jsonlMb, jsonlS);
            line("parquet", rows, parquetMb, parquetS);
            line("parquet, select(problem)", rows, parquetMb, oneColS);
            System.out.printf("ratio parquet/jsonl (rows/s): %.2f%n", jsonlS / parquetS);
            System.out.printf("bound jsonl: reading the file's bytes %.0f MB/s; jsonl reaches %.2f of it%n", jsonlMb / bytesS, bytesS / jsonlS);
            System.out.printf("bound parquet: DuckDB scanning every value in its engine %.0f rows/s; the Java rows reach %.2f of it%n", rows / scanS, scanS / parquetS);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void line(String what, int rows, double mb, double secs) {
        System.out.printf("%s: %.0f rows/s, %.1f MB/s%n", what, rows / secs, mb / secs);
    }

    private static void require(int got, int want) {
        if (got != want) throw new IllegalStateException("read " + got + " rows, expected " + want);
    }

    private static void readBytes(Path f) {
        try {
            if (Files.readAllBytes(f).length == 0) throw new IllegalStateException("empty");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The same rows in both formats, written by DuckDB: text of a few hundred characters that does not repeat. */
    private static void write(int rows, Path jsonl, Path parquet) throws Exception {
        String select = "SELECT 'Problem ' || i || ': find x if ' || md5(i::VARCHAR) || ' ' || repeat(md5((i + 1)::VARCHAR) || ' ', 3) AS problem, "
                + "'Solution: ' || repeat(md5((i * 7)::VARCHAR) || ' = ' || (i % 97) || '. ', 10) || '\\boxed{' || i || '}' AS solution, "
                + "[{'role': 'user', 'content': 'Problem ' || i || ' ' || md5(i::VARCHAR)}, {'role': 'assistant', 'content': repeat(md5((i * 3)::VARCHAR), 4)}] AS messages "
                + "FROM range(" + rows + ") t(i)";
        try (Connection c = ParquetReader.connect(); Statement s = c.createStatement()) {
            s.execute("COPY (" + select + ") TO " + ParquetReader.literal(parquet) + " (FORMAT parquet)");
            s.execute("COPY (SELECT * FROM read_parquet(" + ParquetReader.literal(parquet) + ")) TO " + ParquetReader.literal(jsonl) + " (FORMAT json)");
        }
    }

    private static void duckdbScan(Path parquet) {
        try (Connection c = ParquetReader.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT sum(length(problem) + length(solution) + length(messages[1].content) + length(messages[2].content)) FROM read_parquet("
                     + ParquetReader.literal(parquet) + ")")) {
            rs.next();
            if (rs.getLong(1) <= 0) throw new IllegalStateException("empty scan");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
