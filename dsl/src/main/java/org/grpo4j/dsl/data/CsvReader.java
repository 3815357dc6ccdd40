package org.grpo4j.dsl.data;

import java.io.IOException;
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
        return read(file, policy, ',');
    }

    /** Reads with this field separator ({@code '\t'} for TSV). */
    public static Table read(Path file, BadRows policy, char separator) {
        String name = file.toString();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(name + ": data file not found");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(name + ": not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot read: " + e.getMessage(), e);
        }
        return parse(name, text, policy, separator);
    }

    /** One record: its fields, the line it starts on, and what is wrong with it (null if nothing). */
    private record Record(List<String> fields, int line, String problem) {}

    public static Table parse(String name, String text, BadRows policy) {
        return parse(name, text, policy, ',');
    }

    public static Table parse(String name, String text, BadRows policy, char separator) {
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<Record> records = records(text, separator);
        List<Map<String, Object>> rows = new ArrayList<>();
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + ":");
        List<String> bad = new ArrayList<>();
        if (records.isEmpty()) throw new IllegalArgumentException(name + ": empty CSV file (a header row naming the columns is required)");
        Record header = records.getFirst();
        if (header.problem() != null) throw new BadRowException(name, header.line(), "header row: " + header.problem());
        List<String> columns = header.fields();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < columns.size(); i++) {
            String c = columns.get(i);
            if (c.isEmpty()) throw new BadRowException(name, header.line(), "header row: column " + (i + 1) + " has no name");
            if (!seen.add(c)) throw new BadRowException(name, header.line(), "header row: column '" + c + "' appears twice");
        }
        String[] keys = columns.toArray(String[]::new);
        for (Record r : records.subList(1, records.size())) {
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
            rows.add(RowMap.of(keys, r.fields().toArray()));
            origins.add(here, r.line());
        }
        return new Table(name, rows, origins.build(), columns, bad);
    }

    private static List<Record> records(String s, char sep) {
        List<Record> out = new ArrayList<>();
        int i = 0, n = s.length(), line = 1;
        while (i < n) {
            int start = line;
            // an empty line is no record
            if (s.charAt(i) == '\n' || (s.charAt(i) == '\r' && i + 1 < n && s.charAt(i + 1) == '\n')) {
                i += s.charAt(i) == '\r' ? 2 : 1;
                line++;
                continue;
            }
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            String problem = null;
            boolean endOfRecord = false;
            while (!endOfRecord) {
                f.setLength(0);
                if (i < n && s.charAt(i) == '"') {
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = s.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && s.charAt(i + 1) == '"') {
                                f.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            closed = true;
                            break;
                        }
                        if (c == '\n') line++;
                        f.append(c);
                        i++;
                    }
                    if (!closed) {
                        problem = "quoted field " + (fields.size() + 1) + " is never closed (a \" opened on this line has no closing \")";
                        fields.add(f.toString());
                        break;
                    }
                    if (i < n && s.charAt(i) != sep && s.charAt(i) != '\n' && s.charAt(i) != '\r' && problem == null) {
                        problem = "unexpected text after the closing quote of field " + (fields.size() + 1)
                                + " (a quote inside a quoted field is written \"\")";
                        // the rest of this field up to the next separator belongs to it
                        while (i < n && s.charAt(i) != sep && s.charAt(i) != '\n' && s.charAt(i) != '\r') f.append(s.charAt(i++));
                    }
                } else {
                    while (i < n && s.charAt(i) != sep && s.charAt(i) != '\n' && !(s.charAt(i) == '\r' && i + 1 < n && s.charAt(i + 1) == '\n'))
                        f.append(s.charAt(i++));
                }
                fields.add(f.toString());
                if (i >= n) endOfRecord = true;
                else if (s.charAt(i) == sep) i++;
                else {
                    i += s.charAt(i) == '\r' ? 2 : 1;
                    line++;
                    endOfRecord = true;
                }
            }
            out.add(new Record(fields, start, problem));
        }
        return out;
    }
}
