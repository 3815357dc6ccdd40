package org.grpo4j.dsl.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.grpo4j.dsl.data.CsvReader;
import org.grpo4j.dsl.data.JsonlReader;
import org.grpo4j.dsl.data.Table;

/**
 * An immutable table of rows (column name → value) for training and evaluation: read from JSON Lines or CSV, or
 * built in memory, then reshaped with {@link #rename}, {@link #select}, {@link #map}, {@link #filter},
 * {@link #shuffle}, {@link #take} and {@link #split}. Every operation returns a new data set; rows are
 * unmodifiable maps.
 *
 * <p>Files are read when the rows are first needed (by {@link #size()}, {@link #rows()}, or a recipe's
 * validation), once, then kept in memory: fine for the data sets GRPO uses (thousands of prompts). A row that
 * cannot be read stops with its file and line ({@code data/train.jsonl:17: malformed JSON: …}) unless
 * {@link #onBadRows(BadRows) onBadRows(BadRows.SKIP)} was chosen, which leaves it out and counts it in
 * {@link #skippedRows()}. Every row remembers where it came from ({@link #origin(int)}), so a recipe can name the
 * file and line of a prompt that is too long, even after filtering and shuffling.
 *
 * <p><b>Parquet is not supported</b>: no small, well-kept pure-Java reader exists (Apache parquet-java needs
 * Hadoop). Convert with {@code datasets}' {@code to_json(path, lines=True)} or {@code pandas.read_parquet(…).to_json(…, orient="records", lines=True)}.
 *
 * <pre>{@code
 * Dataset all = Dataset.jsonl("data/arithmetic.jsonl").rename(Map.of("question", "prompt"));
 * Dataset.Split s = all.filter(r -> !r.get("answer").toString().isEmpty()).split(0.1, 42);
 * System.out.println(s.train().size() + " train, " + s.test().size() + " test; columns " + all.columns());
 * }</pre>
 */
public final class Dataset {
    /** A train/test partition made by {@link #split}. */
    public record Split(Dataset train, Dataset test) {}

    /** Where the rows come from: a reader of a file under a bad-row policy, or rows in memory. */
    private interface Source {
        Table load(BadRows policy);
    }

    private final Source source;         // non-null only for a data set read directly from its source
    private final BadRows policy;
    private final Dataset parent;        // non-null for a derived data set
    private final UnaryOperator<Table> op;
    private final String describe;
    private volatile Table table;

    private Dataset(Source source, BadRows policy, Dataset parent, UnaryOperator<Table> op, String describe) {
        this.source = source;
        this.policy = policy;
        this.parent = parent;
        this.op = op;
        this.describe = describe;
    }

    // ------------------------------------------------------------------------------------------ sources

    /** A JSON Lines file: one JSON object per line. */
    public static Dataset jsonl(Path file) {
        Objects.requireNonNull(file, "file");
        return new Dataset(p -> JsonlReader.read(file, p), BadRows.STOP, null, null, file.toString());
    }

    public static Dataset jsonl(String file) {
        return jsonl(Path.of(file));
    }

    /** A CSV file with a header row (RFC 4180); every value is a string. */
    public static Dataset csv(Path file) {
        Objects.requireNonNull(file, "file");
        return new Dataset(p -> CsvReader.read(file, p), BadRows.STOP, null, null, file.toString());
    }

    public static Dataset csv(String file) {
        return csv(Path.of(file));
    }

    /** A JSONL ({@code .jsonl}, {@code .json} with one object per line) or CSV ({@code .csv}) file, by its extension. */
    public static Dataset file(Path file) {
        String n = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) return jsonl(file);
        if (n.endsWith(".csv")) return csv(file);
        if (n.endsWith(".parquet"))
            throw new IllegalArgumentException(file + ": Parquet is not supported (no pure-Java reader without Hadoop); convert it to JSON Lines");
        throw new IllegalArgumentException(file + ": unknown data file type; use a .jsonl or .csv file");
    }

    /**
     * Rows built in memory (copied and frozen). Values may be strings, numbers, booleans, null, lists and maps. The
     * columns are in first-seen key order, so build rows with a {@code LinkedHashMap} when the order matters
     * ({@code Map.of} has none).
     */
    public static Dataset of(List<? extends Map<String, ?>> rows) {
        List<Map<String, Object>> copy = new ArrayList<>(rows.size());
        List<String> origins = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<String, ?> r = rows.get(i);
            if (r == null) throw new IllegalArgumentException("row " + (i + 1) + " is null");
            copy.add(Table.freezeRow(r));
            origins.add("row " + (i + 1));
        }
        Table t = Table.of("rows", copy, origins, List.of());
        return new Dataset(p -> t, BadRows.STOP, null, null, "rows");
    }

    // ------------------------------------------------------------------------------------------ reading

    private Table table() {
        Table t = table;
        if (t == null) {
            synchronized (this) {
                t = table;
                if (t == null) table = t = parent == null ? source.load(policy) : op.apply(parent.table());
            }
        }
        return t;
    }

    /** How bad rows are treated; returns a data set that reads its file again under the new policy. */
    public Dataset onBadRows(BadRows policy) {
        Objects.requireNonNull(policy, "policy");
        if (parent == null) return new Dataset(source, policy, null, null, describe);
        return new Dataset(null, policy, parent.onBadRows(policy), op, describe);
    }

    /** All rows, unmodifiable, in order. */
    public List<Map<String, Object>> rows() {
        return table().rows();
    }

    public Map<String, Object> row(int i) {
        return rows().get(i);
    }

    /** Where row {@code i} came from: {@code file:line} for file rows, {@code row N} for rows built in memory. */
    public String origin(int i) {
        return table().origins().get(i);
    }

    public int size() {
        return rows().size();
    }

    /** Column names: the CSV header, or the union of the rows' keys in first-seen order. */
    public List<String> columns() {
        return table().columns();
    }

    public boolean hasColumn(String name) {
        return columns().contains(name);
    }

    /** The values of one column, in row order (null where a row lacks it). */
    public List<Object> column(String name) {
        requireColumn(name, "column");
        List<Object> out = new ArrayList<>(size());
        for (Map<String, Object> r : rows()) out.add(r.get(name));
        return Collections.unmodifiableList(out);
    }

    /** Rows left out while reading (with {@link BadRows#SKIP}). */
    public int skippedRows() {
        return table().badRows().size();
    }

    /** The messages of the skipped rows, {@code file:line: problem}. */
    public List<String> badRows() {
        return table().badRows();
    }

    /** The file (or {@code rows}) this data set was read from, for messages. */
    public String source() {
        return table().source();
    }

    /** The message a missing column gets: names the data set and lists its columns. */
    public String missingColumn(String name) {
        return "dataset column '" + name + "' not found in " + source() + "; columns are: " + String.join(", ", columns());
    }

    private void requireColumn(String name, String what) {
        if (!hasColumn(name)) throw new IllegalArgumentException(what + ": " + missingColumn(name));
    }

    // ------------------------------------------------------------------------------------------ reshaping

    private Dataset derive(String what, UnaryOperator<Table> f) {
        return new Dataset(null, policy, this, f, describe + " | " + what);
    }

    /** Renames columns ({@code old → new}); a column not in the data is an error naming the columns there are. */
    public Dataset rename(Map<String, String> renames) {
        Map<String, String> m = Map.copyOf(renames);
        return derive("rename", t -> {
            for (String from : m.keySet()) if (!t.columns().contains(from)) throw new IllegalArgumentException("rename: " + missing(t, from));
            List<Map<String, Object>> rows = new ArrayList<>(t.rows().size());
            for (Map<String, Object> r : t.rows()) {
                Map<String, Object> n = new LinkedHashMap<>();
                r.forEach((k, v) -> n.put(m.getOrDefault(k, k), v));
                rows.add(Collections.unmodifiableMap(n));
            }
            List<String> cols = new ArrayList<>();
            for (String c : t.columns()) cols.add(m.getOrDefault(c, c));
            return new Table(t.source(), rows, t.origins(), cols.stream().distinct().toList(), t.badRows());
        });
    }

    public Dataset rename(String from, String to) {
        return rename(Map.of(from, to));
    }

    /** Keeps only these columns, in this order. */
    public Dataset select(String... columns) {
        List<String> keep = List.of(columns);
        return derive("select", t -> {
            for (String c : keep) if (!t.columns().contains(c)) throw new IllegalArgumentException("select: " + missing(t, c));
            List<Map<String, Object>> rows = new ArrayList<>(t.rows().size());
            for (Map<String, Object> r : t.rows()) {
                Map<String, Object> n = new LinkedHashMap<>();
                for (String c : keep) if (r.containsKey(c)) n.put(c, r.get(c));
                rows.add(Collections.unmodifiableMap(n));
            }
            return new Table(t.source(), rows, t.origins(), keep, t.badRows());
        });
    }

    /**
     * Transforms every row: {@code f} gets the (unmodifiable) row and returns the new one, e.g. a copy with a
     * column added. An exception names the row's file and line.
     */
    public Dataset map(Function<Map<String, Object>, ? extends Map<String, ?>> f) {
        Objects.requireNonNull(f, "f");
        return derive("map", t -> {
            List<Map<String, Object>> rows = new ArrayList<>(t.rows().size());
            for (int i = 0; i < t.rows().size(); i++) {
                Map<String, ?> out;
                try {
                    out = f.apply(t.rows().get(i));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("map failed on " + t.origins().get(i) + ": " + e, e);
                }
                if (out == null) throw new IllegalArgumentException("map returned null for " + t.origins().get(i) + " (use filter to drop rows)");
                rows.add(Table.freezeRow(out));
            }
            return Table.of(t.source(), rows, t.origins(), t.badRows());
        });
    }

    /** Keeps the rows for which {@code keep} is true. */
    public Dataset filter(Predicate<Map<String, Object>> keep) {
        Objects.requireNonNull(keep, "keep");
        return derive("filter", t -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            List<String> origins = new ArrayList<>();
            for (int i = 0; i < t.rows().size(); i++) {
                boolean k;
                try {
                    k = keep.test(t.rows().get(i));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("filter failed on " + t.origins().get(i) + ": " + e, e);
                }
                if (k) {
                    rows.add(t.rows().get(i));
                    origins.add(t.origins().get(i));
                }
            }
            return new Table(t.source(), rows, origins, t.columns(), t.badRows());
        });
    }

    /** The rows in a seeded random order (the same seed gives the same order). */
    public Dataset shuffle(long seed) {
        return derive("shuffle", t -> permuted(t, permutation(t.rows().size(), seed), 0, t.rows().size()));
    }

    /** The first {@code n} rows (all of them when there are fewer). */
    public Dataset take(int n) {
        if (n < 0) throw new IllegalArgumentException("take(" + n + "): n must be >= 0");
        return derive("take", t -> {
            int k = Math.min(n, t.rows().size());
            return new Table(t.source(), t.rows().subList(0, k), t.origins().subList(0, k), t.columns(), t.badRows());
        });
    }

    /**
     * A seeded random partition, as {@code datasets}' {@code train_test_split}: {@code ceil(size × testFraction)}
     * rows go to the test set, the rest to the training set, both in the shuffled order.
     */
    public Split split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1))
            throw new IllegalArgumentException("split: testFraction = " + testFraction + " must be between 0 and 1 (exclusive)");
        Dataset train = derive("split(train)", t -> {
            int n = t.rows().size();
            return permuted(t, permutation(n, seed), testCount(n, testFraction), n);
        });
        Dataset test = derive("split(test)", t -> {
            int n = t.rows().size();
            return permuted(t, permutation(n, seed), 0, testCount(n, testFraction));
        });
        return new Split(train, test);
    }

    private static int testCount(int n, double f) {
        int k = (int) Math.ceil(n * f);
        return n >= 2 ? Math.min(n - 1, Math.max(1, k)) : k;
    }

    private static int[] permutation(int n, long seed) {
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) idx.add(i);
        Collections.shuffle(idx, new Random(seed));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = idx.get(i);
        return p;
    }

    private static Table permuted(Table t, int[] perm, int from, int to) {
        List<Map<String, Object>> rows = new ArrayList<>(to - from);
        List<String> origins = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            rows.add(t.rows().get(perm[i]));
            origins.add(t.origins().get(perm[i]));
        }
        return new Table(t.source(), rows, origins, t.columns(), t.badRows());
    }

    private static String missing(Table t, String name) {
        return "dataset column '" + name + "' not found in " + t.source() + "; columns are: " + String.join(", ", t.columns());
    }

    @Override
    public String toString() {
        Table t = table;
        return "Dataset(" + describe + (t == null ? ", not read yet)" : ", " + t.rows().size() + " rows, columns " + t.columns()
                + (t.badRows().isEmpty() ? "" : ", " + t.badRows().size() + " bad rows skipped") + ")");
    }
}
