package org.grpo4j.dsl.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code .json} data file as {@code datasets}' json builder does: JSON Lines (one object per line), or one
 * JSON array of objects ({@code pandas}' {@code orient="records"}), which is streamed element by element. An
 * element that is not an object is a bad row named by its line. {@link Dataset#json} is the usual way in.
 *
 * <pre>{@code
 * Table t = JsonReader.read(Path.of("train.json"), BadRows.STOP, null);   // [{"prompt": "..."}, ...]
 * }</pre>
 */
public final class JsonReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonReader() {}

    public static Table read(Path file, BadRows policy, List<String> keep) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": data file not found");
        return firstChar(file) == '[' ? array(file, policy, keep) : JsonlReader.read(file, policy, keep);
    }

    private static int firstChar(Path file) {
        try (DataFile.Counted raw = DataFile.open(file); InputStream in = raw.stream()) {
            int c;
            do c = in.read();
            while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Table array(Path file, BadRows policy, List<String> keep) {
        String name = file.toString();
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + ":");
        List<String> bad = new ArrayList<>();
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        ReadProgress progress = ReadProgress.start(file, JsonlReader.sizeOf(file));
        int line = 1;
        try (RowStore.Writer rows = RowStore.writer(); DataFile.Counted raw = DataFile.open(file); JsonParser p = new JsonFactory(JSON).createParser(raw.stream())) {
            p.nextToken(); // the [
            while (true) {
                JsonToken t = p.nextToken();
                line = p.currentTokenLocation().getLineNr();
                if (t == JsonToken.END_ARRAY) break;
                if (t == null) throw new BadRowException(name, line, "the JSON array is not closed (the file ends inside it)");
                JsonNode node = p.readValueAsTree();
                progress.bytes(raw.count());
                if (node != null && node.isObject()) {
                    Map<String, Object> row = JsonlReader.object(node);
                    seen.addAll(row.keySet());
                    rows.add(keep == null ? row : JsonlReader.project(row, keep));
                    origins.add(here, line);
                    continue;
                }
                BadRowException ex = new BadRowException(name, line, "array element " + (rows.rows() + bad.size() + 1) + " is not a JSON object");
                if (policy != BadRows.SKIP) throw ex;
                bad.add(ex.getMessage());
            }
            if (p.nextToken() != null) throw new BadRowException(name, p.currentTokenLocation().getLineNr(), "text after the closing ] of the JSON array");
            RowStore store = rows.finish();
            if (keep == null) return new Table(name, store, origins.build(), store.columns(), bad);
            JsonlReader.requireColumns(name, keep, seen);
            return new Table(name, store, origins.build(), keep, bad);
        } catch (JsonProcessingException e) {
            // a syntax error inside the array cannot be skipped: the parser cannot find the next element
            int at = e.getLocation() != null ? e.getLocation().getLineNr() : line;
            throw new BadRowException(name, at, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot read: " + e.getMessage(), e);
        } finally {
            progress.done();
        }
    }
}
