package org.grpo4j.dsl.data;

import java.nio.file.Files;
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
 * An immutable table of rows (column name → value) for training and evaluation: read from a Hugging Face dataset
 * folder ({@link #hf}), Parquet, JSON Lines, JSON or CSV/TSV, or built in memory, then reshaped with
 * {@link #rename}, {@link #select}, {@link #map}, {@link #filter}, {@link #parseJson}, {@link #shuffle},
 * {@link #take} and {@link #trainTestSplit}. Every operation returns a new data set; rows are unmodifiable maps.
 *
 * <p>Files are read when the rows are first needed (by {@link #size()}, {@link #rows()}, or a recipe's
 * validation), once, completely or not at all, streamed into a compact store off the Java heap ({@link RowStore}:
 * memory-mapped from a temporary file when it is large) that {@link #row} decodes from: the heap keeps about 16
 * bytes a row (where it is, where it came from), so a data set larger than the heap trains. {@link #filter},
 * {@link #shuffle}, {@link #take} and {@link #split} keep row positions, {@link #select} and {@link #rename} reshape
 * rows as they are read, {@link #map} and {@link #parseJson} write their rows to a new store. {@link #select} and
 * {@link #take} applied directly to a file are pushed into the reader: a Parquet reader then reads only those
 * columns and rows. A row that cannot be read stops with its file and line
 * ({@code data/train.jsonl:17: malformed JSON: …}) unless {@link #onBadRows(BadRows) onBadRows(BadRows.SKIP)} was
 * chosen, which leaves it out and counts it in {@link #skippedRows()}. Every row remembers where it came from
 * ({@link #origin(int)}: {@code file:line}, or {@code file row N} for Parquet), so a recipe can name the row of a
 * prompt that is too long, even after filtering and shuffling.
 *
 * <pre>{@code
 * Dataset all = Dataset.hf("NuminaMath-TIR", "train").select("problem", "solution").rename("problem", "prompt");
 * Dataset.Split s = all.filter(r -> !r.get("solution").toString().isEmpty()).trainTestSplit(0.1, 42);
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

    /**
     * Data files of one format read in order as one table: {@code columns} (null: all) and {@code limit} (-1: all
     * rows) are pushed into the readers. Parquet and CSV shards must have the same columns.
     */
    private record FileSource(List<Path> files, String format, List<String> columns, long limit, String name) implements Source {
        public Table load(BadRows policy) {
            List<List<Map<String, Object>>> parts = new ArrayList<>();
            List<List<String>> origins = new ArrayList<>();
            List<String> bad = new ArrayList<>();
            java.util.LinkedHashSet<String> cols = new java.util.LinkedHashSet<>();
            Table first = null;
            long count = 0;
            for (Path f : files) {
                long left = limit < 0 ? -1 : limit - count;
                if (left == 0) break;
                Table t = read(f, policy, left);
                if (first == null) first = t;
                else if (!format.equals("json") && !format.equals("jsonl") && !t.columns().equals(first.columns()))
                    throw new IllegalArgumentException(f + ": its columns (" + String.join(", ", t.columns()) + ") differ from those of " + first.source()
                            + " (" + String.join(", ", first.columns()) + "); the files of one split must have the same columns");
                int n = left < 0 ? t.rows().size() : (int) Math.min(left, t.rows().size());
                parts.add(RowViews.head(t.rows(), n));
                origins.add(Origins.head(t.origins(), n));
                bad.addAll(t.badRows());
                cols.addAll(t.columns());
                count += n;
            }
            return new Table(files.size() == 1 ? files.getFirst().toString() : name, RowViews.concat(parts), Origins.concat(origins),
                    columns != null ? columns : List.copyOf(cols), bad);
        }

        private Table read(Path f, BadRows policy, long left) {
            return switch (format) {
                case "parquet" -> ParquetReader.read(f, columns, left);
                case "arrow" -> ArrowReader.read(f, columns, left);
                // a folder's JSON builder takes .json (an array, or lines) and .jsonl files together
                case "jsonl", "json" -> HfFolder.extension(f).equals("json") ? JsonReader.read(f, policy, columns) : JsonlReader.read(f, policy, columns);
                case "csv", "tsv" -> CsvReader.read(f, policy, format.equals("tsv") ? '\t' : ',', columns);
                default -> throw new IllegalStateException("format " + format);
            };
        }

        FileSource select(List<String> keep) {
            return new FileSource(files, format, keep, limit, name);
        }

        FileSource take(long n) {
            return new FileSource(files, format, columns, limit < 0 ? n : Math.min(limit, n), name);
        }
    }

    private static Dataset files(List<Path> files, String format, String name) {
        return new Dataset(new FileSource(List.copyOf(files), format, null, -1, name), BadRows.STOP, null, null, name);
    }

    /** A JSON Lines file: one JSON object per line. */
    public static Dataset jsonl(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "jsonl", file.toString());
    }

    public static Dataset jsonl(String file) {
        return jsonl(Path.of(file));
    }

    /** A CSV file with a header row (RFC 4180); every value is a string. */
    public static Dataset csv(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "csv", file.toString());
    }

    public static Dataset csv(String file) {
        return csv(Path.of(file));
    }

    /** A TSV file: CSV with tabs between the fields. */
    public static Dataset tsv(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "tsv", file.toString());
    }

    /** A {@code .json} file: one JSON array of objects, or JSON Lines. */
    public static Dataset json(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "json", file.toString());
    }

    /** A Parquet file; nested columns (lists, structs) become lists and maps. */
    public static Dataset parquet(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "parquet", file.toString());
    }

    public static Dataset parquet(String file) {
        return parquet(Path.of(file));
    }

    /**
     * An Arrow IPC file: what {@code datasets}' {@code save_to_disk} writes ({@code train/data-00000-of-00001.arrow})
     * and its cache holds; the stream and the file format.
     */
    public static Dataset arrow(Path file) {
        Objects.requireNonNull(file, "file");
        return files(List.of(file), "arrow", file.toString());
    }

    /**
     * A data file by its extension: {@code .parquet}, {@code .arrow}, {@code .jsonl}/{@code .ndjson}, {@code .json},
     * {@code .csv}, {@code .tsv}; the text ones also gzipped ({@code .jsonl.gz}), decompressed as they are read.
     */
    public static Dataset file(Path file) {
        String ext = file.getFileName() == null ? "" : HfFolder.extension(file);
        return switch (ext) {
            case "jsonl", "ndjson" -> jsonl(file);
            case "json" -> json(file);
            case "csv" -> csv(file);
            case "tsv" -> tsv(file);
            case "parquet" -> parquet(file);
            case "arrow" -> arrow(file);
            default -> throw new IllegalArgumentException(file + ": unknown data file type; use a .parquet, .arrow, .jsonl, .json, .csv or .tsv file (the text ones"
                    + " may be gzipped: .jsonl.gz), or a dataset folder");
        };
    }

    /** A data file ({@link #file}) or the {@code train} split of a dataset folder ({@link #hf(Path)}). */
    public static Dataset of(Path path) {
        if (Files.isDirectory(path) || Files.isRegularFile(path)) return Files.isDirectory(path) ? hf(path) : file(path);
        String ext = HfFolder.extension(path);
        // not there: a data file's name gets "not found", anything else is looked up as a Hub name in the local cache
        return HfFolder.FORMATS.contains(ext) || ext.equals("ndjson") ? file(path) : hf(path);
    }

    public static Dataset of(String path) {
        return of(Path.of(path));
    }

    /** The {@code train} split of a Hugging Face dataset folder (see {@link HfFolder} for how splits are found). */
    public static Dataset hf(Path folder) {
        return hf(folder, null, "train");
    }

    /** One split of a Hugging Face dataset folder, or of a Hub dataset in the local cache; an unknown split lists those there are. */
    public static Dataset hf(Path folder, String split) {
        return hf(folder, null, split);
    }

    /** One split of one config (the {@code configs:} of the folder's README.md; null: the default config). */
    public static Dataset hf(Path folder, String config, String split) {
        HfFolder f = HfFolder.open(folder, config);
        List<Path> files = f.files(split);
        String name = f.root() + (f.config() != null && f.configs().size() > 1 ? " [" + f.config() + "]" : "") + " split '" + split + "'";
        return files(files, f.format(), name);
    }

    public static Dataset hf(String folder) {
        return hf(Path.of(folder));
    }

    public static Dataset hf(String folder, String split) {
        return hf(Path.of(folder), split);
    }

    public static Dataset hf(String folder, String config, String split) {
        return hf(Path.of(folder), config, split);
    }

    /**
     * Rows built in memory (copied and frozen). Values may be strings, numbers, booleans, null, lists and maps. The
     * columns are in first-seen key order, so build rows with a {@code LinkedHashMap} when the order matters
     * ({@code Map.of} has none).
     */
    public static Dataset of(List<? extends Map<String, ?>> rows) {
        List<Map<String, Object>> copy = new ArrayList<>(rows.size());
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source("row ");
        for (int i = 0; i < rows.size(); i++) {
            Map<String, ?> r = rows.get(i);
            if (r == null) throw new IllegalArgumentException("row " + (i + 1) + " is null");
            copy.add(Table.freezeRow(r));
            origins.add(here, i + 1);
        }
        Table t = Table.of("rows", copy, origins.build(), List.of());
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

    /**
     * Row {@code i} as a map that reads it when it is used (and keeps it only while the heap has room): what a
     * training prompt holds, so that the prompts of a large data set do not hold its rows.
     */
    public Map<String, Object> lazyRow(int i) {
        List<Map<String, Object>> rows = rows();
        Objects.checkIndex(i, rows.size());
        return RowViews.frozen(rows) ? new LazyRow(rows, i) : rows.get(i);
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
            List<String> cols = new ArrayList<>();
            for (String c : t.columns()) cols.add(m.getOrDefault(c, c));
            return new Table(t.source(), RowViews.mapped(t.rows(), r -> {
                Map<String, Object> n = new LinkedHashMap<>();
                r.forEach((k, v) -> n.put(m.getOrDefault(k, k), v));
                return RowMap.copyOf(n);
            }), t.origins(), cols.stream().distinct().toList(), t.badRows());
        });
    }

    public Dataset rename(String from, String to) {
        return rename(Map.of(from, to));
    }

    /** Keeps only these columns, in this order. */
    public Dataset select(String... columns) {
        List<String> keep = List.of(columns);
        if (parent == null && source instanceof FileSource fs && (fs.columns() == null || fs.columns().containsAll(keep)))
            return new Dataset(fs.select(keep), policy, null, null, describe + " | select");
        return derive("select", t -> {
            for (String c : keep) if (!t.columns().contains(c)) throw new IllegalArgumentException("select: " + missing(t, c));
            return new Table(t.source(), RowViews.mapped(t.rows(), r -> RowMap.copyOf(JsonlReader.project(r, keep))), t.origins(), keep, t.badRows());
        });
    }

    /**
     * Transforms every row: {@code f} gets the (unmodifiable) row and returns the new one, e.g. a copy with a
     * column added. An exception names the row's file and line.
     */
    public Dataset map(Function<Map<String, Object>, ? extends Map<String, ?>> f) {
        Objects.requireNonNull(f, "f");
        return derive("map", t -> {
            try (RowStore.Writer rows = RowStore.writer()) {
                for (int i = 0; i < t.rows().size(); i++) {
                    Map<String, ?> out;
                    try {
                        out = f.apply(t.rows().get(i));
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException("map failed on " + t.origins().get(i) + ": " + e, e);
                    }
                    if (out == null) throw new IllegalArgumentException("map returned null for " + t.origins().get(i) + " (use filter to drop rows)");
                    rows.add(out);
                }
                RowStore store = rows.finish();
                return new Table(t.source(), store, t.origins(), store.columns(), t.badRows());
            }
        });
    }

    /** Keeps the rows for which {@code keep} is true. */
    public Dataset filter(Predicate<Map<String, Object>> keep) {
        Objects.requireNonNull(keep, "keep");
        return derive("filter", t -> {
            int[] kept = new int[t.rows().size()];
            int n = 0;
            for (int i = 0; i < t.rows().size(); i++) {
                boolean k;
                try {
                    k = keep.test(t.rows().get(i));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("filter failed on " + t.origins().get(i) + ": " + e, e);
                }
                if (k) kept[n++] = i;
            }
            int[] at = java.util.Arrays.copyOf(kept, n);
            return new Table(t.source(), RowViews.pick(t.rows(), at), Origins.pick(t.origins(), at, n), t.columns(), t.badRows());
        });
    }

    /** The rows in a seeded random order (the same seed gives the same order). */
    public Dataset shuffle(long seed) {
        return derive("shuffle", t -> permuted(t, permutation(t.rows().size(), seed), 0, t.rows().size()));
    }

    /** The first {@code n} rows (all of them when there are fewer). */
    public Dataset take(int n) {
        if (n < 0) throw new IllegalArgumentException("take(" + n + "): n must be >= 0");
        if (parent == null && source instanceof FileSource fs) return new Dataset(fs.take(n), policy, null, null, describe + " | take");
        return derive("take", t -> {
            int k = Math.min(n, t.rows().size());
            return new Table(t.source(), RowViews.head(t.rows(), k), Origins.head(t.origins(), k), t.columns(), t.badRows());
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

    /** The name {@code datasets} gives {@link #split}: a seeded random train/test partition. */
    public Split trainTestSplit(double testFraction, long seed) {
        return split(testFraction, seed);
    }

    /**
     * Turns a column holding JSON text (e.g. {@code verification_info} stored as a string) into its value (maps,
     * lists, …); values that are already lists or maps, and nulls, stay as they are, so the same recipe reads a
     * struct column and a JSON-string column alike. Malformed JSON names the row and column.
     */
    public Dataset parseJson(String column) {
        Objects.requireNonNull(column, "column");
        return derive("parseJson", t -> {
            if (!t.columns().contains(column)) throw new IllegalArgumentException("parseJson: " + missing(t, column));
            try (RowStore.Writer rows = RowStore.writer()) {
                for (int i = 0; i < t.rows().size(); i++) {
                    Map<String, Object> r = t.rows().get(i);
                    if (!(r.get(column) instanceof String text)) {
                        rows.add(r);
                        continue;
                    }
                    Map<String, Object> n = new LinkedHashMap<>(r);
                    try {
                        n.put(column, JsonlReader.value(JSON.readTree(text)));
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException(t.origins().get(i) + ", column '" + column + "': not JSON: "
                                + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
                    }
                    rows.add(n);
                }
                return new Table(t.source(), rows.finish(), t.origins(), t.columns(), t.badRows());
            }
        });
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Each column's type as the values show it, in {@code datasets}' vocabulary: {@code string}, {@code int64},
     * {@code float64}, {@code bool}, {@code list<…>}, {@code struct<name: type, …>} (from the first 1,000 rows;
     * {@code null} when a column holds only nulls there, {@code a | b} when rows differ).
     */
    public Map<String, String> columnTypes() {
        Map<String, String> out = new LinkedHashMap<>();
        List<Map<String, Object>> rows = rows();
        for (String c : columns()) {
            java.util.LinkedHashSet<String> seen = new java.util.LinkedHashSet<>();
            for (int i = 0; i < Math.min(1000, rows.size()); i++) {
                Object v = rows.get(i).get(c);
                if (v != null) seen.add(typeName(v));
            }
            out.put(c, seen.isEmpty() ? "null" : String.join(" | ", seen));
        }
        return out;
    }

    /** A value's type as {@link #columnTypes()} names it ({@code list<int64>}, {@code struct<a: string>}, …). */
    public static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "string";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long || v instanceof Integer || v instanceof java.math.BigInteger) return "int64";
        if (v instanceof Double || v instanceof Float) return "float64";
        if (v instanceof byte[]) return "binary";
        if (v instanceof List<?> l) {
            for (Object x : l) if (x != null) return "list<" + typeName(x) + ">";
            return "list<null>";
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("struct<");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(e.getKey()).append(": ").append(typeName(e.getValue()));
                first = false;
            }
            return sb.append(">").toString();
        }
        return v.getClass().getSimpleName();
    }

    private static int testCount(int n, double f) {
        int k = (int) Math.ceil(n * f);
        return n >= 2 ? Math.min(n - 1, Math.max(1, k)) : k;
    }

    private static int[] permutation(int n, long seed) {
        // the order Collections.shuffle gives a list 0..n-1 with this seed, without boxing n integers
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Random rnd = new Random(seed);
        for (int i = n; i > 1; i--) {
            int j = rnd.nextInt(i), x = p[i - 1];
            p[i - 1] = p[j];
            p[j] = x;
        }
        return p;
    }

    private static Table permuted(Table t, int[] perm, int from, int to) {
        int[] at = java.util.Arrays.copyOfRange(perm, from, to);
        return new Table(t.source(), RowViews.pick(t.rows(), at), Origins.pick(t.origins(), at, at.length), t.columns(), t.badRows());
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
