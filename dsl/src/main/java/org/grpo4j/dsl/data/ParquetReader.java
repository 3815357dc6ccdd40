package org.grpo4j.dsl.data;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads Parquet files with DuckDB's JDBC driver (an in-process, in-memory database; nothing is written to disk).
 * Only the columns asked for are read (DuckDB skips the other column chunks), and rows arrive in chunks of a few
 * thousand and go on to a {@link RowStore}, so the heap holds no rows, whatever the file's size. Values become the same Java values as JSON Lines
 * rows: strings, {@code Long}, {@code Double}, {@code Boolean}, null, lists (Parquet lists) and ordered maps
 * (structs and maps); dates and timestamps become their ISO text, binary stays {@code byte[]} (inside a list or
 * struct, as DuckDB's JSON text of it: nested values travel as JSON).
 * {@link Dataset#parquet} and {@link Dataset#hf} are the usual ways in.
 *
 * <pre>{@code
 * Table t = ParquetReader.read(Path.of("data/train-00000-of-00001.parquet"), List.of("problem", "solution"), -1);
 * Map<String, String> types = ParquetReader.schema(Path.of("data/train-00000-of-00001.parquet"));
 * }</pre>
 */
public final class ParquetReader {
    private ParquetReader() {}

    static Connection connect() {
        try {
            Class.forName("org.duckdb.DuckDBDriver");
            java.util.Properties p = new java.util.Properties();
            // rows come in chunks as they are read, instead of the whole result first being built in native memory
            p.setProperty("jdbc_stream_results", "true");
            return DriverManager.getConnection("jdbc:duckdb:", p);
        } catch (ClassNotFoundException | SQLException e) {
            throw new IllegalStateException("cannot start DuckDB (which reads Parquet): " + e.getMessage(), e);
        }
    }

    static String literal(Path file) {
        return "'" + file.toString().replace("'", "''") + "'";
    }

    static String ident(String column) {
        return "\"" + column.replace("\"", "\"\"") + "\"";
    }

    /** Column name → DuckDB type ({@code VARCHAR}, {@code STRUCT(role VARCHAR, content VARCHAR)[]}, …), in file order. */
    public static Map<String, String> schema(Path file) {
        requireFile(file);
        try (Connection c = connect()) {
            return schema(c, file);
        } catch (SQLException e) {
            throw broken(file, e);
        }
    }

    private static Map<String, String> schema(Connection c, Path file) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + literal(file) + ")")) {
            while (rs.next()) out.put(rs.getString("column_name"), rs.getString("column_type"));
        }
        return out;
    }

    /** The number of rows, from the file's footer (the data is not read). */
    public static long count(Path file) {
        requireFile(file);
        try (Connection c = connect()) {
            return count(c, file);
        } catch (SQLException e) {
            throw broken(file, e);
        }
    }

    private static long count(Connection c, Path file) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM read_parquet(" + literal(file) + ")")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The rows of one file: {@code columns} (null for all) in that order, at most {@code limit} rows ({@code -1}: all).
     * A column the file lacks is an error naming the file and its columns.
     */
    public static Table read(Path file, List<String> columns, long limit) {
        requireFile(file);
        try (Connection c = connect()) {
            return read(c, file, columns, limit);
        } catch (SQLException e) {
            throw broken(file, e);
        }
    }

    private static Table read(Connection c, Path file, List<String> columns, long limit) throws SQLException {
        Map<String, String> schema = schema(c, file);
        List<String> cols = columns == null ? List.copyOf(schema.keySet()) : columns;
        for (String col : cols)
            if (!schema.containsKey(col))
                throw new IllegalArgumentException("dataset column '" + col + "' not found in " + file + "; columns are: " + String.join(", ", schema.keySet()));
        StringBuilder sql = new StringBuilder("SELECT ");
        boolean[] nested = new boolean[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            // nested values come as DuckDB's JSON text: 1.5x faster than walking JDBC's Array and Struct objects
            nested[i] = isNested(schema.get(cols.get(i)));
            sql.append(i == 0 ? "" : ", ").append(nested[i] ? "to_json(" + ident(cols.get(i)) + ")::VARCHAR" : ident(cols.get(i)));
        }
        if (cols.isEmpty()) sql.append("1");
        sql.append(" FROM read_parquet(").append(literal(file)).append(")");
        if (limit >= 0) sql.append(" LIMIT ").append(limit);
        long total = limit >= 0 ? Math.min(limit, count(c, file)) : count(c, file);
        ReadProgress progress = ReadProgress.start(file, total);
        String name = file.toString();
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + " row ");
        String[] keys = cols.toArray(String[]::new);
        int row = 0;
        try (RowStore.Writer rows = RowStore.writer(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                Object[] r = new Object[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    Object v;
                    try {
                        v = nested[i] ? json(rs.getString(i + 1)) : value(rs.getObject(i + 1));
                    } catch (SQLException | RuntimeException e) {
                        throw new IllegalArgumentException(name + " row " + (row + 1) + ", column '" + cols.get(i) + "': cannot read the value: " + e.getMessage(), e);
                    }
                    r[i] = v;
                }
                rows.add(keys, r);
                origins.add(here, ++row);
                progress.rows(row);
            }
            return new Table(name, rows.finish(), origins.build(), cols, List.of());
        } finally {
            progress.done();
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** A list, struct, map or union type ({@code VARCHAR[]}, {@code STRUCT(…)}, {@code MAP(…)}, {@code INTEGER[3]}). */
    static boolean isNested(String duckdbType) {
        return duckdbType.endsWith("]") || duckdbType.startsWith("STRUCT") || duckdbType.startsWith("MAP") || duckdbType.startsWith("UNION");
    }

    private static Object json(String text) {
        if (text == null) return null;
        try {
            return JsonlReader.value(JSON.readTree(text));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("DuckDB wrote malformed JSON for a nested value: " + e.getMessage(), e);
        }
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": data file not found");
    }

    private static IllegalArgumentException broken(Path file, SQLException e) {
        String m = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
        return new IllegalArgumentException(file + ": cannot read as Parquet: " + m, e);
    }

    /** A scalar DuckDB JDBC value as a plain Java value (the same kinds JSON Lines rows hold); nested ones come as JSON. */
    static Object value(Object v) throws SQLException {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return (double) f;
        if (v instanceof BigDecimal d) return d.doubleValue();
        if (v instanceof java.math.BigInteger) return v;
        if (v instanceof byte[]) return v;
        if (v instanceof java.sql.Blob b) return b.getBytes(1, (int) b.length());
        return v.toString();
    }
}
