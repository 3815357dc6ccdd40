package org.grpo4j.dsl.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.data.BadRows;

/**
 * Reads JSON Lines: one JSON object per line (blank lines are allowed and ignored, as Hugging Face
 * {@code datasets} does). Values become Java values: strings, {@code Long} or {@code Double}, {@code Boolean},
 * null, lists and maps. {@link org.grpo4j.dsl.data.Dataset#jsonl} is the usual way in.
 *
 * <pre>{@code
 * Table t = JsonlReader.read(Path.of("data/train.jsonl"), BadRows.SKIP);
 * t.badRows().forEach(System.err::println);   // data/train.jsonl:17: malformed JSON: ...
 * }</pre>
 */
public final class JsonlReader {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonlReader() {}

    public static Table read(Path file, BadRows policy) {
        return read(file, policy, null);
    }

    /**
     * Reads keeping only {@code keep} (null: every column); a kept column no row has is an error listing the columns.
     * The rows go to a {@link RowStore} as they are read, so the heap holds none of them; a {@code .gz} file is
     * decompressed as it is read.
     */
    public static Table read(Path file, BadRows policy, List<String> keep) {
        String name = file.toString();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(name + ": data file not found");
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + ":");
        List<String> bad = new ArrayList<>();
        ReadProgress progress = ReadProgress.start(file, sizeOf(file));
        java.util.LinkedHashSet<String> seen = new java.util.LinkedHashSet<>();
        try (RowStore.Writer rows = RowStore.writer(); DataFile.Counted raw = DataFile.open(file); BufferedReader in = raw.utf8()) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                progress.bytes(raw.count());
                if (n == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                if (line.isBlank()) continue;
                String problem;
                try {
                    JsonNode node = JSON.readTree(line);
                    if (node.isObject()) {
                        Map<String, Object> row = object(node);
                        if (keep != null) {
                            seen.addAll(row.keySet());
                            row = project(row, keep);
                        }
                        rows.add(row);
                        origins.add(here, n);
                        continue;
                    }
                    problem = "expected a JSON object, got " + kind(node);
                } catch (JsonProcessingException e) {
                    problem = "malformed JSON: " + e.getOriginalMessage();
                }
                BadRowException ex = new BadRowException(name, n, problem);
                if (policy != BadRows.SKIP) throw ex;
                bad.add(ex.getMessage());
            }
            RowStore store = rows.finish();
            if (keep == null) return new Table(name, store, origins.build(), store.columns(), bad);
            requireColumns(name, keep, seen);
            return new Table(name, store, origins.build(), keep, bad);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(name + ": not UTF-8 text (" + e.getMessage() + ")");
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(name + ": the gzip stream ends early (the file is cut short)");
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot read: " + e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The row with only these columns, in this order (a column the row lacks stays absent). */
    static Map<String, Object> project(Map<String, Object> row, List<String> keep) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String c : keep) if (row.containsKey(c)) out.put(c, row.get(c));
        return out;
    }

    static void requireColumns(String name, List<String> keep, java.util.Set<String> seen) {
        for (String c : keep)
            if (!seen.contains(c)) throw new IllegalArgumentException("dataset column '" + c + "' not found in " + name + "; columns are: " + String.join(", ", seen));
    }

    private static String kind(JsonNode n) {
        return n.isArray() ? "an array" : n.isTextual() ? "a string" : n.isNumber() ? "a number" : n.isBoolean() ? "a boolean" : n.isNull() ? "null" : n.getNodeType().toString();
    }

    static Map<String, Object> object(JsonNode node) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), value(e.getValue()));
        }
        return m;
    }

    /** A JSON value as a plain Java value. */
    public static Object value(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        if (n.isTextual()) return n.textValue();
        if (n.isBoolean()) return n.booleanValue();
        if (n.isIntegralNumber()) return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        if (n.isNumber()) return n.doubleValue();
        if (n.isArray()) {
            List<Object> l = new ArrayList<>(n.size());
            for (JsonNode x : n) l.add(value(x));
            return l;
        }
        if (n.isObject()) return object(n);
        return n.asText();
    }
}
