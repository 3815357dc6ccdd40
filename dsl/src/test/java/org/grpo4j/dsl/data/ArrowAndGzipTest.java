package org.grpo4j.dsl.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.impl.NullableStructWriter;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.complex.writer.BaseWriter.StructWriter;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .arrow} files as Hugging Face {@code datasets} writes them ({@code save_to_disk}: the IPC stream format, a
 * folder per split with {@code dataset_info.json} and {@code state.json}), written here with Arrow Java's own IPC
 * writers in two record batches, and gzipped JSON Lines, JSON arrays and CSV.
 */
class ArrowAndGzipTest {
    private static final Field TEXT = Field.nullable("", ArrowType.Utf8.INSTANCE);

    private static Schema numinaSchema() {
        Field message = new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE),
                List.of(Field.nullable("role", ArrowType.Utf8.INSTANCE), Field.nullable("content", ArrowType.Utf8.INSTANCE)));
        Field info = new Field("verification_info", FieldType.nullable(ArrowType.Struct.INSTANCE),
                List.of(Field.nullable("language", ArrowType.Utf8.INSTANCE), Field.nullable("cases", new ArrowType.Int(64, true))));
        return new Schema(List.of(Field.nullable("problem", TEXT.getType()), new Field("messages", FieldType.nullable(ArrowType.List.INSTANCE), List.of(message)),
                Field.nullable("level", new ArrowType.Int(64, true)), info));
    }

    /** Rows {@code from..to} of a NuminaMath-TIR-shaped table, as one record batch of {@code root}. */
    private static void fill(VectorSchemaRoot root, int from, int to) {
        root.allocateNew();
        VarCharVector problem = (VarCharVector) root.getVector("problem");
        ListVector messages = (ListVector) root.getVector("messages");
        BigIntVector level = (BigIntVector) root.getVector("level");
        StructVector info = (StructVector) root.getVector("verification_info");
        UnionListWriter lw = messages.getWriter();
        NullableStructWriter iw = info.getWriter();
        for (int i = from; i < to; i++) {
            int at = i - from;
            problem.setSafe(at, (i + "+1=?").getBytes(StandardCharsets.UTF_8));
            lw.setPosition(at);
            lw.startList();
            message(lw.struct(), "user", i + "+1=?");
            message(lw.struct(), "assistant", "\\boxed{" + (i + 1) + "}");
            lw.endList();
            if (i % 5 == 4) level.setNull(at);
            else level.setSafe(at, i % 3);
            iw.setPosition(at);
            iw.start();
            iw.varChar("language").writeVarChar("python");
            iw.bigInt("cases").writeBigInt(i);
            iw.end();
        }
        lw.setValueCount(to - from);
        info.setValueCount(to - from);
        root.setRowCount(to - from);
    }

    private static void message(StructWriter w, String role, String content) {
        w.start();
        w.varChar("role").writeVarChar(role);
        w.varChar("content").writeVarChar(content);
        w.end();
    }

    /** A NuminaMath-TIR-shaped .arrow file of {@code rows} rows in two batches: stream format, or file format. */
    static Path writeArrow(Path file, int rows, boolean fileFormat) throws Exception {
        Files.createDirectories(file.getParent());
        try (BufferAllocator a = new RootAllocator(); VectorSchemaRoot root = VectorSchemaRoot.create(numinaSchema(), a);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
             ArrowWriter w = fileFormat ? new ArrowFileWriter(root, null, ch) : new ArrowStreamWriter(root, null, Channels.newOutputStream(ch))) {
            w.start();
            fill(root, 0, rows / 2);
            w.writeBatch();
            fill(root, rows / 2, rows);
            w.writeBatch();
            w.end();
        }
        return file;
    }

    @Test
    void aSaveToDiskFolderOfArrowFilesReadsItsSplitsWithNestedValues(@TempDir Path dir) throws Exception {
        Path ds = dir.resolve("numina");
        writeArrow(ds.resolve("train/data-00000-of-00001.arrow"), 10, false);
        writeArrow(ds.resolve("test/data-00000-of-00001.arrow"), 4, false);
        writeArrow(ds.resolve("hard/data-00000-of-00001.arrow"), 2, false); // a split name datasets' file-name rules would not find
        Files.writeString(ds.resolve("dataset_dict.json"), "{\"splits\": [\"train\", \"test\", \"hard\"]}");
        for (String s : List.of("train", "test", "hard")) {
            Files.writeString(ds.resolve(s + "/dataset_info.json"), "{\"features\": {}}");
            Files.writeString(ds.resolve(s + "/state.json"), "{\"_data_files\": [{\"filename\": \"data-00000-of-00001.arrow\"}]}");
        }
        assertEquals(List.of("train", "test", "hard"), List.copyOf(HfFolder.open(ds, null).splits().keySet()));
        assertEquals(2, Dataset.hf(ds, "hard").size());
        Dataset train = Dataset.hf(ds, "train");
        assertEquals(10, train.size());
        assertEquals(4, Dataset.hf(ds, "test").size());
        assertEquals(List.of("problem", "messages", "level", "verification_info"), train.columns());
        Map<String, Object> r = train.row(7); // in the second record batch
        assertEquals("7+1=?", r.get("problem"));
        assertEquals(List.of(Map.of("role", "user", "content", "7+1=?"), Map.of("role", "assistant", "content", "\\boxed{8}")), r.get("messages"));
        assertEquals(1L, r.get("level"));
        assertEquals(null, train.row(4).get("level"));
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("language", "python");
        info.put("cases", 7L);
        assertEquals(info, r.get("verification_info"));
        assertEquals(List.of("language", "cases"), List.copyOf(((Map<?, ?>) r.get("verification_info")).keySet()));
        assertEquals(ds.resolve("train/data-00000-of-00001.arrow") + " row 8", train.origin(7));
        assertEquals("struct<role: string, content: string>", Dataset.typeName(((List<?>) r.get("messages")).getFirst()));
        // select and take go into the reader
        Dataset two = train.select("problem").take(2);
        assertEquals(List.of(Map.of("problem", "0+1=?"), Map.of("problem", "1+1=?")), two.rows());
    }

    @Test
    void theArrowFileFormatAndBrokenArrowFilesAreRecognised(@TempDir Path dir) throws Exception {
        Path f = writeArrow(dir.resolve("cache-train.arrow"), 6, true);
        Dataset d = Dataset.of(f);
        assertEquals(6, d.size());
        assertEquals("5+1=?", d.row(5).get("problem"));
        var missing = assertThrows(IllegalArgumentException.class, () -> Dataset.arrow(f).select("answer").size());
        assertEquals("dataset column 'answer' not found in " + f + "; columns are: problem, messages, level, verification_info", missing.getMessage());
        Path broken = dir.resolve("broken.arrow");
        byte[] whole = Files.readAllBytes(writeArrow(dir.resolve("whole.arrow"), 6, false));
        Files.write(broken, Arrays.copyOf(whole, whole.length / 2));
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.of(broken).size());
        assertTrue(e.getMessage().startsWith(broken + ": cannot read as Arrow IPC"), e.getMessage());
    }

    private static Path gzip(Path file, String text) throws Exception {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return file;
    }

    @Test
    void gzippedJsonLinesJsonArraysAndCsvAreDecompressedAsTheyAreRead(@TempDir Path dir) throws Exception {
        Path jsonl = gzip(dir.resolve("train.jsonl.gz"), "{\"prompt\": \"1+1\", \"answer\": 2}\n\n{\"prompt\": \"2+2\", \"answer\": 4}\n");
        Dataset d = Dataset.of(jsonl);
        assertEquals(List.of("prompt", "answer"), d.columns());
        assertEquals(4L, d.row(1).get("answer"));
        assertEquals(jsonl + ":3", d.origin(1));
        Path array = gzip(dir.resolve("train.json.gz"), "[\n{\"prompt\": \"a\"},\n{\"prompt\": \"b\"}\n]\n");
        assertEquals(List.of(Map.of("prompt", "a"), Map.of("prompt", "b")), Dataset.of(array).rows());
        Path csv = gzip(dir.resolve("train.csv.gz"), "q,a\n\"1, 2\",3\n");
        assertEquals(List.of(Map.of("q", "1, 2", "a", "3")), Dataset.of(csv).rows());
        Path bad = gzip(dir.resolve("bad.jsonl.gz"), "{\"prompt\": \"ok\"}\n{\"prompt\": oops}\n");
        assertTrue(assertThrows(BadRowException.class, () -> Dataset.of(bad).size()).getMessage().startsWith(bad + ":2: malformed JSON"));
        Path cut = dir.resolve("cut.jsonl.gz");
        byte[] whole = Files.readAllBytes(jsonl);
        Files.write(cut, Arrays.copyOf(whole, whole.length - 12));
        assertEquals(cut + ": the gzip stream ends early (the file is cut short)", assertThrows(IllegalArgumentException.class, () -> Dataset.of(cut).size()).getMessage());
        Path plain = Files.writeString(dir.resolve("plain.jsonl.gz"), "{\"prompt\": \"not compressed\"}\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Dataset.of(plain).size()).getMessage().startsWith(plain + ": not a gzip file"));
        // a folder of gzipped shards
        Path folder = dir.resolve("folder/data");
        Files.createDirectories(folder);
        gzip(folder.resolve("train-00000-of-00002.jsonl.gz"), "{\"prompt\": \"x\"}\n");
        gzip(folder.resolve("train-00001-of-00002.jsonl.gz"), "{\"prompt\": \"y\"}\n");
        assertEquals(List.of("x", "y"), Dataset.hf(dir.resolve("folder"), "train").column("prompt"));
    }
}
