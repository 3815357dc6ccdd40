package org.grpo4j.dsl.data;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grpo4j.dsl.data.BadRows;

/**
 * Reads CSV as RFC 4180 describes it: a header row names the columns; fields are separated by commas; a field in
 * double quotes may hold commas, line breaks and quotes written twice ({@code ""}); records end with CRLF or LF.
 * Every value is a string (no type guessing: {@code "007"} stays {@code "007"}). Empty lines are ignored. A
 * record with a different number of fields than the header, text after a closing quote, or a quote left open at
 * the end of the file is a bad row reported with the line the record starts on. A quote inside an unquoted
 * field is kept as text, as Python's {@code csv} module does. {@link org.grpo4j.dsl.data.Dataset#csv} is the usual way in.
 *
 * <pre>{@code
 * Table t = CsvReader.parse("inline.csv", "q,a\n\"1, 2\",3\n", BadRows.STOP);
 * t.rows().getFirst().get("q");   // "1, 2"
 * }</pre>
 */
public final class CsvReader {
    private CsvReader() {}

    public static Table read(Path file, BadRows policy) {
        return read(file, policy, ',', null);
    }

    /**
     * Reads with this field separator ({@code '\t'} for TSV) keeping only the columns {@code keep} (null: all). The
     * file is streamed record by record into a {@link RowStore}: the heap holds no rows; {@code .gz} is decompressed.
     */
    public static Table read(Path file, BadRows policy, char separator, List<String> keep) {
        String name = file.toString();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(name + ": data file not found");
        ReadProgress progress = ReadProgress.start(file, JsonlReader.sizeOf(file));
        try (DataFile.Counted raw = DataFile.open(file); Reader in = raw.utf8()) {
            return parse(name, in, policy, separator, keep, () -> progress.bytes(raw.count()));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(name + ": not UTF-8 text");
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(name + ": the gzip stream ends early (the file is cut short)");
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot read: " + e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    /** One record: its fields, the line it starts on, and what is wrong with it (null if nothing). */
    private record Record(List<String> fields, int line, String problem) {}

    public static Table parse(String name, String text, BadRows policy) {
        return parse(name, text, policy, ',');
    }

    public static Table parse(String name, String text, BadRows policy, char separator) {
        try {
            return parse(name, new StringReader(text), policy, separator, null, () -> {});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Table parse(String name, Reader text, BadRows policy, char separator, List<String> keep, Runnable progress) throws IOException {
        Records records = new Records(text, separator);
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + ":");
        List<String> bad = new ArrayList<>();
        Record header = records.next();
        if (header == null) throw new IllegalArgumentException(name + ": empty CSV file (a header row naming the columns is required)");
        if (header.problem() != null) throw new BadRowException(name, header.line(), "header row: " + header.problem());
        List<String> columns = header.fields();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < columns.size(); i++) {
            String c = columns.get(i);
            if (c.isEmpty()) throw new BadRowException(name, header.line(), "header row: column " + (i + 1) + " has no name");
            if (!seen.add(c)) throw new BadRowException(name, header.line(), "header row: column '" + c + "' appears twice");
        }
        if (keep != null) JsonlReader.requireColumns(name, keep, new java.util.LinkedHashSet<>(columns));
        List<String> kept = keep == null ? columns : keep;
        int[] at = new int[kept.size()];
        for (int k = 0; k < at.length; k++) at[k] = columns.indexOf(kept.get(k));
        String[] keys = kept.toArray(String[]::new);
        try (RowStore.Writer rows = RowStore.writer()) {
            for (Record r = records.next(); r != null; r = records.next()) {
                progress.run();
                String problem = r.problem();
                if (problem == null && r.fields().size() != columns.size())
                    problem = "row has " + r.fields().size() + " field" + (r.fields().size() == 1 ? "" : "s") + " but the header has " + columns.size()
                            + " (" + String.join(", ", columns) + ")";
                if (problem != null) {
                    BadRowException ex = new BadRowException(name, r.line(), problem);
                    if (policy != BadRows.SKIP) throw ex;
                    bad.add(ex.getMessage());
                    continue;
                }
                Object[] values = new Object[at.length];
                for (int k = 0; k < at.length; k++) values[k] = r.fields().get(at[k]);
                rows.add(keys, values);
                origins.add(here, r.line());
            }
            return new Table(name, rows.finish(), origins.build(), kept, bad);
        }
    }

    /** The records of a CSV text, one at a time, read through a buffer with two characters of look-ahead. */
    private static final class Records {
        private final Reader in;
        private final char sep;
        private final char[] buf = new char[1 << 16];
        private int pos, len;
        private int c;       // the current character, -1 at the end
        private int line = 1;

        Records(Reader in, char sep) throws IOException {
            this.in = in;
            this.sep = sep;
            this.c = read();
            if (c == '\uFEFF') c = read();
        }

        private int read() throws IOException {
            if (pos == len && !fill()) return -1;
            return buf[pos++];
        }

        /** The character after the current one, without moving on. */
        private int peek() throws IOException {
            if (pos == len && !fill()) return -1;
            return buf[pos];
        }

        private boolean fill() throws IOException {
            int k = in.read(buf, 0, buf.length);
            if (k <= 0) return false;
            pos = 0;
            len = k;
            return true;
        }

        private int advance() throws IOException {
            int was = c;
            c = read();
            return was;
        }

        private boolean lineEnd() throws IOException {
            // a lone CR is text; CRLF ends the record
            return c == '\n' || (c == '\r' && peek() == '\n');
        }

        private void skipLineEnd() throws IOException {
            if (advance() == '\r') advance();
            line++;
        }

        /** The next record, or null at the end of the text. */
        Record next() throws IOException {
            while (c != -1 && lineEnd()) skipLineEnd(); // an empty line is no record
            if (c == -1) return null;
            int start = line;
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            String problem = null;
            while (true) {
                f.setLength(0);
                if (c == '"') {
                    advance();
                    boolean closed = false;
                    while (c != -1) {
                        int ch = advance();
                        if (ch == '"') {
                            if (c == '"') {
                                f.append('"');
                                advance();
                                continue;
                            }
                            closed = true;
                            break;
                        }
                        if (ch == '\n') line++;
                        f.append((char) ch);
                    }
                    if (!closed) {
                        problem = "quoted field " + (fields.size() + 1) + " is never closed (a \" opened on this line has no closing \")";
                        fields.add(f.toString());
                        break;
                    }
                    if (c != -1 && c != sep && c != '\n' && c != '\r' && problem == null) {
                        problem = "unexpected text after the closing quote of field " + (fields.size() + 1)
                                + " (a quote inside a quoted field is written \"\")";
                        // the rest of this field up to the next separator belongs to it
                        while (c != -1 && c != sep && c != '\n' && c != '\r') f.append((char) advance());
                    }
                } else {
                    while (c != -1 && c != sep && !lineEnd()) f.append((char) advance());
                }
                fields.add(f.toString());
                if (c == -1) break;
                if (c == sep) advance();
                else {
                    skipLineEnd();
                    break;
                }
            }
            return new Record(fields, start, problem);
        }
    }
}
