package org.grpo4j.dsl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.bench.Stats;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/**
 * {@code grpo bench data}: reading throughput (rows/s, MB/s of file) of the same rows — shaped like NuminaMath-TIR
 * ({@code problem}, {@code solution}, {@code messages} as a list of {role, content}) — from JSON Lines (plain and
 * gzipped), CSV (the two text columns) and Parquet into {@link Dataset} rows, of Parquet with one column selected,
 * and of reading rows back in a shuffled order (what the trainer does per batch). The bounds it chases, measured in
 * the same run: reading the JSONL file's bytes (the page cache), and DuckDB scanning every Parquet value inside its
 * own engine (what is left is the conversion to Java values). It also prints what a read data set keeps on the heap
 * against the file's size: run it with a heap smaller than the files ({@code GRPO_JAVA_OPTS=-Xmx256m ./grpo bench
 * data --rows 1200000 --reps 1 --warmup 0 --formats jsonl,parquet}: a 1 GB JSONL file) to see a data set larger than
 * the heap read whole.
 */
public final class DataBenchmark implements Benchmark {
    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "data set reading: rows/s and MB/s for JSON Lines (plain, gzipped), CSV and Parquet, heap kept per row (--rows, --reps, --warmup, --formats)";
    }

    @Override
    public void run(Args args) throws Exception {
        int rows = args.getInt("rows", 50_000), reps = args.getInt("reps", 5), warmup = args.getInt("warmup", 1);
        java.util.Set<String> only = new java.util.HashSet<>(List.of(args.get("formats", "jsonl,gz,csv,parquet").split(",")));
        args.rejectUnknown();
        if (rows < 1 || reps < 1 || warmup < 0) throw new Command.UsageException("--rows and --reps must be positive, --warmup >= 0");
        for (String f : only)
            if (!List.of("jsonl", "gz", "csv", "parquet").contains(f)) throw new Command.UsageException("--formats: '" + f + "' is not one of jsonl, gz, csv, parquet");
        Path dir = Files.createTempDirectory("grpo-bench-data");
        try {
            Path jsonl = dir.resolve("train.jsonl"), gz = dir.resolve("train.jsonl.gz"), csv = dir.resolve("train.csv"), parquet = dir.resolve("train.parquet");
            write(rows, jsonl, only.contains("gz") ? gz : null, only.contains("csv") ? csv : null, parquet);
            double jsonlMb = Files.size(jsonl) / 1e6, parquetMb = Files.size(parquet) / 1e6;
            double gzMb = only.contains("gz") ? Files.size(gz) / 1e6 : 0, csvMb = only.contains("csv") ? Files.size(csv) / 1e6 : 0;
            long heapMb = Runtime.getRuntime().maxMemory() >> 20;
            System.out.printf("workload: %d rows like NuminaMath-TIR (problem, solution, messages: list of {role, content}); JSONL %.1f MB%s%s, Parquet %.1f MB"
                    + " (snappy); max heap %d MB; median of %d interleaved rounds after %d warm-up%n", rows, jsonlMb,
                    gzMb > 0 ? String.format(" (gzipped %.1f MB)", gzMb) : "", csvMb > 0 ? String.format(", CSV of the two text columns %.1f MB", csvMb) : "",
                    parquetMb, heapMb, reps, warmup);
            Dataset loaded = Dataset.jsonl(jsonl);
            require(loaded.size(), rows);
            int[] order = new int[rows];
            java.util.Random rnd = new java.util.Random(1);
            for (int i = 0; i < rows; i++) order[i] = rnd.nextInt(rows);
            // the variants take turns in every round, so a busy shared machine slows them alike and the ratios hold
            List<String> names = new java.util.ArrayList<>();
            List<Runnable> variants = new java.util.ArrayList<>();
            java.util.function.BiConsumer<String, Runnable> add = (n, v) -> {
                names.add(n);
                variants.add(v);
            };
            add.accept("bytes", () -> readBytes(jsonl));
            add.accept("jsonl", () -> require(Dataset.jsonl(jsonl).size(), rows));
            if (only.contains("gz")) add.accept("gz", () -> require(Dataset.of(gz).size(), rows));
            if (only.contains("csv")) add.accept("csv", () -> require(Dataset.csv(csv).size(), rows));
            if (only.contains("parquet")) {
                add.accept("parquet", () -> require(Dataset.parquet(parquet).size(), rows));
                add.accept("select", () -> require(Dataset.parquet(parquet).select("problem").size(), rows));
                add.accept("scan", () -> duckdbScan(parquet));
            }
            add.accept("back", () -> readBack(loaded, order));
            double[][] t = new double[variants.size()][reps];
            for (int w = 0; w < warmup; w++) for (Runnable v : variants) v.run();
            for (int r = 0; r < reps; r++)
                for (int k = 0; k < variants.size(); k++) {
                    System.gc(); // the last variant's garbage (and its mapped row stores) is not charged to this one
                    long t0 = System.nanoTime();
                    variants.get(k).run();
                    t[k][r] = (System.nanoTime() - t0) / 1e9;
                }
            java.util.function.ToDoubleFunction<String> secs = n -> Stats.median(t[names.indexOf(n)]);
            double bytesS = secs.applyAsDouble("bytes"), jsonlS = secs.applyAsDouble("jsonl");
            line("jsonl", rows, jsonlMb, jsonlS);
            if (only.contains("gz")) line("jsonl.gz (MB/s of the decompressed text)", rows, jsonlMb, secs.applyAsDouble("gz"));
            if (only.contains("csv")) line("csv (problem, solution)", rows, csvMb, secs.applyAsDouble("csv"));
            if (only.contains("parquet")) {
                line("parquet", rows, parquetMb, secs.applyAsDouble("parquet"));
                line("parquet, select(problem)", rows, parquetMb, secs.applyAsDouble("select"));
            }
            System.out.printf("rows read back in a shuffled order (the trainer's batches): %.0f rows/s%n", rows / secs.applyAsDouble("back"));
            if (only.contains("parquet")) System.out.printf("ratio parquet/jsonl (rows/s): %.2f%n", jsonlS / secs.applyAsDouble("parquet"));
            if (only.contains("gz")) System.out.printf("ratio jsonl.gz/jsonl (rows/s): %.2f%n", jsonlS / secs.applyAsDouble("gz"));
            System.out.printf("bound jsonl: reading the file's bytes %.0f MB/s; jsonl reaches %.2f of it%n", jsonlMb / bytesS, bytesS / jsonlS);
            if (only.contains("parquet")) {
                double scanS = secs.applyAsDouble("scan");
                System.out.printf("bound parquet: DuckDB scanning every value in its engine %.0f rows/s; the Java rows reach %.2f of it%n", rows / scanS,
                        scanS / secs.applyAsDouble("parquet"));
            }
            heap(rows, jsonl, jsonlMb, heapMb);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** What a data set of every column keeps on the heap once read, against the file's size and the heap's. */
    private static void heap(int rows, Path jsonl, double jsonlMb, long heapMb) {
        long before = usedHeap();
        Dataset d = Dataset.jsonl(jsonl);
        require(d.size(), rows);
        long kept = Math.max(0, usedHeap() - before);
        System.out.printf("heap kept by the read data set (all columns): %.1f MB, %.0f bytes/row, %.3f of the JSONL file's %.0f MB (the heap is %d MB: file/heap %.1f;"
                + " rows under %d MB stay in a heap array)%n", kept / 1e6, (double) kept / rows, kept / 1e6 / jsonlMb, jsonlMb, heapMb, jsonlMb * 1e6 / (heapMb << 20),
                RowStore.IN_HEAP_BYTES >> 20);
        require(d.size(), rows); // keeps d reachable until measured
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void readBack(Dataset d, int[] order) {
        long chars = 0;
        for (int i : order) chars += ((String) d.row(i).get("solution")).length();
        if (chars == 0) throw new IllegalStateException("empty rows");
    }

    private static void line(String what, int rows, double mb, double secs) {
        System.out.printf("%s: %.0f rows/s, %.1f MB/s%n", what, rows / secs, mb / secs);
    }

    private static void require(int got, int want) {
        if (got != want) throw new IllegalStateException("read " + got + " rows, expected " + want);
    }

    private static void readBytes(Path f) {
        try {
            // in 1 MB pieces: the file may be larger than the heap
            byte[] b = new byte[1 << 20];
            long n = 0;
            try (var in = Files.newInputStream(f)) {
                for (int k; (k = in.read(b)) > 0; ) n += k;
            }
            if (n == 0) throw new IllegalStateException("empty");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The same rows in every format, written by DuckDB: text of a few hundred characters that does not repeat. */
    private static void write(int rows, Path jsonl, Path gz, Path csv, Path parquet) throws Exception {
        String select = "SELECT 'Problem ' || i || ': find x if ' || md5(i::VARCHAR) || ' ' || repeat(md5((i + 1)::VARCHAR) || ' ', 3) AS problem, "
                + "'Solution: ' || repeat(md5((i * 7)::VARCHAR) || ' = ' || (i % 97) || '. ', 10) || '\\boxed{' || i || '}' AS solution, "
                + "[{'role': 'user', 'content': 'Problem ' || i || ' ' || md5(i::VARCHAR)}, {'role': 'assistant', 'content': repeat(md5((i * 3)::VARCHAR), 4)}] AS messages "
                + "FROM range(" + rows + ") t(i)";
        String from = "FROM read_parquet(" + ParquetReader.literal(parquet) + ")";
        try (Connection c = ParquetReader.connect(); Statement s = c.createStatement()) {
            s.execute("COPY (" + select + ") TO " + ParquetReader.literal(parquet) + " (FORMAT parquet)");
            s.execute("COPY (SELECT * " + from + ") TO " + ParquetReader.literal(jsonl) + " (FORMAT json)");
            if (gz != null) s.execute("COPY (SELECT * " + from + ") TO " + ParquetReader.literal(gz) + " (FORMAT json, COMPRESSION gzip)");
            if (csv != null) s.execute("COPY (SELECT problem, solution " + from + ") TO " + ParquetReader.literal(csv) + " (FORMAT csv, HEADER)");
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
