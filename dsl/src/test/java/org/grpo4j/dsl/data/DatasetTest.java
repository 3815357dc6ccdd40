package org.grpo4j.dsl.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.data.BadRows;
import org.grpo4j.dsl.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
    static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void jsonlRowsKeepTypesOrderAndOrigins(@TempDir Path dir) throws Exception {
        Path f = write(dir, "train.jsonl", """
                {"question": "2+2", "answer": 4, "tags": ["easy"], "ok": true, "x": null}

                {"question": "3*3", "answer": 9.5, "extra": {"a": 1}}
                """);
        Dataset d = Dataset.jsonl(f);
        assertEquals(2, d.size());
        assertEquals(List.of("question", "answer", "tags", "ok", "x", "extra"), d.columns());
        assertEquals(4L, d.row(0).get("answer"));
        assertEquals(9.5, d.row(1).get("answer"));
        assertEquals(List.of("easy"), d.row(0).get("tags"));
        assertEquals(Boolean.TRUE, d.row(0).get("ok"));
        assertTrue(d.row(0).containsKey("x"));
        assertNull(d.row(0).get("x"));
        assertEquals(f + ":1", d.origin(0));
        assertEquals(f + ":3", d.origin(1)); // the blank line counts
        assertThrows(UnsupportedOperationException.class, () -> d.row(0).put("question", "changed"));
        assertThrows(UnsupportedOperationException.class, () -> d.rows().remove(0));
        @SuppressWarnings("unchecked") List<Object> tags = (List<Object>) d.row(0).get("tags");
        assertThrows(UnsupportedOperationException.class, () -> tags.add("x"));
    }

    @Test
    void malformedJsonStopsWithFileAndLineByDefault(@TempDir Path dir) throws Exception {
        Path f = write(dir, "train.jsonl", "{\"q\": 1}\n{\"q\": 2\n[1, 2]\n{\"q\": 3}\n");
        BadRowException e = assertThrows(BadRowException.class, () -> Dataset.jsonl(f).size());
        assertTrue(e.getMessage().startsWith(f + ":2: malformed JSON: "), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void badRowsCanBeSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path f = write(dir, "train.jsonl", "{\"q\": 1}\n{\"q\": 2\n[1, 2]\n{\"q\": 3} x\n{\"q\": 4}\n");
        Dataset d = Dataset.jsonl(f).onBadRows(BadRows.SKIP);
        assertEquals(2, d.size());
        assertEquals(3, d.skippedRows());
        assertTrue(d.badRows().get(0).startsWith(f + ":2: malformed JSON"), d.badRows().get(0));
        assertEquals(f + ":3: expected a JSON object, got an array", d.badRows().get(1));
        assertTrue(d.badRows().get(2).startsWith(f + ":4: malformed JSON"), d.badRows().get(2));
        // the policy can also be chosen after reshaping; the count travels with the rows
        Dataset later = Dataset.jsonl(f).filter(r -> true).onBadRows(BadRows.SKIP);
        assertEquals(2, later.size());
        assertEquals(3, later.skippedRows());
    }

    @Test
    void csvFollowsRfc4180(@TempDir Path dir) throws Exception {
        Path f = write(dir, "data.csv", "question,answer,note\r\n"
                + "\"What is 2+2, exactly?\",4,plain\r\n"
                + "\"He said \"\"hi\"\"\",007,\"line one\nline two\"\r\n"
                + "\r\n"
                + "last,,\"\"\r\n");
        Dataset d = Dataset.csv(f);
        assertEquals(List.of("question", "answer", "note"), d.columns());
        assertEquals(3, d.size());
        assertEquals("What is 2+2, exactly?", d.row(0).get("question"));
        assertEquals("He said \"hi\"", d.row(1).get("question"));
        assertEquals("007", d.row(1).get("answer"));
        assertEquals("line one\nline two", d.row(1).get("note"));
        assertEquals("", d.row(2).get("answer"));
        assertEquals(f + ":2", d.origin(0));
        assertEquals(f + ":3", d.origin(1));
        assertEquals(f + ":6", d.origin(2)); // the quoted line break moved the line count on
    }

    @Test
    void csvBadRecordsNameTheirLine(@TempDir Path dir) throws Exception {
        Path f = write(dir, "data.csv", "a,b\n1,2\n1,2,3\n\"x\"y,2\n5,6\n\"never closed,7\n");
        BadRowException e = assertThrows(BadRowException.class, () -> Dataset.csv(f).rows());
        assertEquals(f + ":3: row has 3 fields but the header has 2 (a, b)", e.getMessage());
        Dataset skip = Dataset.csv(f).onBadRows(BadRows.SKIP);
        assertEquals(2, skip.size());
        assertEquals(3, skip.skippedRows());
        assertTrue(skip.badRows().get(1).startsWith(f + ":4: unexpected text after the closing quote of field 1"), skip.badRows().get(1));
        assertTrue(skip.badRows().get(2).startsWith(f + ":6: quoted field 1 is never closed"), skip.badRows().get(2));
        Path dup = write(dir, "dup.csv", "a,a\n1,2\n");
        assertEquals(dup + ":1: header row: column 'a' appears twice", assertThrows(BadRowException.class, () -> Dataset.csv(dup).size()).getMessage());
    }

    @Test
    void missingAndUnknownFilesAreExplained(@TempDir Path dir) {
        Path f = dir.resolve("nope.jsonl");
        assertEquals(f + ": data file not found", assertThrows(IllegalArgumentException.class, () -> Dataset.jsonl(f).size()).getMessage());
        Path p = dir.resolve("x.parquet");
        assertEquals(p + ": data file not found", assertThrows(IllegalArgumentException.class, () -> Dataset.of(p).size()).getMessage());
        assertEquals(dir.resolve("x.xlsx") + ": unknown data file type; use a .parquet, .arrow, .jsonl, .json, .csv or .tsv file (the text ones may be gzipped: .jsonl.gz), or a dataset folder",
                assertThrows(IllegalArgumentException.class, () -> Dataset.file(dir.resolve("x.xlsx"))).getMessage());
    }

    static Dataset numbers(int n) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = new LinkedHashMap<>(); // Map.of's order changes from run to run
            row.put("i", i);
            row.put("text", "row " + i);
            rows.add(row);
        }
        return Dataset.of(rows);
    }

    @Test
    void mapFilterRenameSelectTake() {
        Dataset d = numbers(10)
                .filter(r -> ((Integer) r.get("i")) % 2 == 0)
                .map(r -> {
                    Map<String, Object> m = new LinkedHashMap<>(r);
                    m.put("double", (Integer) r.get("i") * 2);
                    return m;
                })
                .rename(Map.of("text", "prompt"))
                .select("prompt", "double")
                .take(3);
        assertEquals(List.of("prompt", "double"), d.columns());
        assertEquals(3, d.size());
        assertEquals(Map.of("prompt", "row 4", "double", 8), d.row(2));
        assertEquals("row 5", d.origin(2)); // origins survive the filter
        var e = assertThrows(IllegalArgumentException.class, () -> numbers(3).rename(Map.of("txt", "prompt")).size());
        assertEquals("rename: dataset column 'txt' not found in rows; columns are: i, text", e.getMessage());
        var m = assertThrows(IllegalArgumentException.class, () -> numbers(3).map(r -> {
            if (r.get("i").equals(2)) throw new IllegalStateException("boom");
            return r;
        }).size());
        assertTrue(m.getMessage().startsWith("map failed on row 3: "), m.getMessage());
    }

    @Test
    void shuffleAndSplitAreDeterministicPartitions() {
        Dataset d = numbers(20);
        assertEquals(d.shuffle(7).rows(), d.shuffle(7).rows());
        assertNotEquals(d.shuffle(7).rows(), d.shuffle(8).rows());
        assertEquals(new HashSet<>(d.rows()), new HashSet<>(d.shuffle(7).rows()));
        Dataset.Split s = d.split(0.1, 42);
        assertEquals(2, s.test().size());
        assertEquals(18, s.train().size());
        assertEquals(s.test().rows(), d.split(0.1, 42).test().rows());
        HashSet<Object> all = new HashSet<>();
        for (var r : s.train().rows()) all.add(r.get("i"));
        for (var r : s.test().rows()) assertTrue(all.add(r.get("i")), "row in both halves: " + r);
        assertEquals(20, all.size());
        assertThrows(IllegalArgumentException.class, () -> d.split(1.0, 1));
    }
}
