package org.grpo4j.dsl.data;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.Text;

/**
 * Reads Arrow IPC files with Apache Arrow Java: what Hugging Face {@code datasets} writes with
 * {@code save_to_disk} ({@code train/data-00000-of-00001.arrow}) and keeps in its cache
 * ({@code …/nu_mina_math-train.arrow}), both the IPC stream format, and the IPC file format ({@code ARROW1} magic,
 * pyarrow's {@code new_file}/Feather v2). Record batches are read one at a time and their rows go on to a
 * {@link RowStore}, so the heap holds one batch. Values become the same Java values as Parquet rows: strings,
 * {@code Long}, {@code Double}, {@code Boolean}, null, lists and ordered maps (structs); dates and times their ISO
 * text, binary {@code byte[]}.
 *
 * <pre>{@code
 * Table t = ArrowReader.read(Path.of("NuminaMath-TIR/train/data-00000-of-00001.arrow"), null, -1);
 * }</pre>
 */
final class ArrowReader {
    private static final byte[] FILE_MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

    private ArrowReader() {}

    /** The rows of one file: {@code columns} (null: all) in that order, at most {@code limit} rows ({@code -1}: all). */
    static Table read(Path file, List<String> columns, long limit) {
        String name = file.toString();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(name + ": data file not found");
        ReadProgress progress = ReadProgress.start(file, JsonlReader.sizeOf(file));
        try (BufferAllocator alloc = new RootAllocator(); DataFile.Counted raw = DataFile.open(file);
             org.apache.arrow.vector.ipc.ArrowReader in = isFileFormat(file) ? new ArrowFileReader(FileChannel.open(file, StandardOpenOption.READ), alloc)
                     : new ArrowStreamReader(raw.stream(), alloc)) {
            return rows(name, in, columns, limit, () -> progress.bytes(raw.count()));
        } catch (IOException | RuntimeException | ExceptionInInitializerError e) {
            if (e instanceof IllegalArgumentException a && a.getMessage() != null && a.getMessage().contains(name)) throw a; // ours, naming the file
            if (String.valueOf(e.getMessage()).contains("DirectByteBuffer") || e instanceof ExceptionInInitializerError)
                throw new IllegalStateException(name + ": reading .arrow files needs the JVM flag --add-opens=java.base/java.nio=ALL-UNNAMED"
                        + " (./grpo passes it; Arrow Java's memory needs it): " + e, e);
            throw new IllegalArgumentException(name + ": cannot read as Arrow IPC (stream or file format): " + e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    private static boolean isFileFormat(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return java.util.Arrays.equals(in.readNBytes(FILE_MAGIC.length), FILE_MAGIC);
        }
    }

    private static Table rows(String name, org.apache.arrow.vector.ipc.ArrowReader in, List<String> columns, long limit, Runnable progress) throws IOException {
        VectorSchemaRoot root = in.getVectorSchemaRoot();
        List<String> all = new ArrayList<>();
        for (Field f : root.getSchema().getFields()) all.add(f.getName());
        List<String> cols = columns == null ? all : columns;
        for (String c : cols)
            if (!all.contains(c)) throw new IllegalArgumentException("dataset column '" + c + "' not found in " + name + "; columns are: " + String.join(", ", all));
        String[] keys = cols.toArray(String[]::new);
        Origins.Builder origins = new Origins.Builder();
        int here = origins.source(name + " row ");
        long row = 0;
        try (RowStore.Writer rows = RowStore.writer()) {
            while ((limit < 0 || row < limit) && in.loadNextBatch()) {
                progress.run();
                FieldVector[] vectors = new FieldVector[keys.length];
                Field[] fields = new Field[keys.length];
                for (int k = 0; k < keys.length; k++) {
                    vectors[k] = root.getVector(keys[k]);
                    fields[k] = vectors[k].getField();
                    if (fields[k].getDictionary() != null)
                        throw new IllegalArgumentException(name + ": column '" + keys[k] + "' is dictionary-encoded, which is not read; write it with plain values");
                }
                for (int i = 0; i < root.getRowCount() && (limit < 0 || row < limit); i++) {
                    Object[] values = new Object[keys.length];
                    for (int k = 0; k < keys.length; k++) {
                        try {
                            values[k] = plain(vectors[k].getObject(i), fields[k]);
                        } catch (RuntimeException e) {
                            throw new IllegalArgumentException(name + " row " + (row + 1) + ", column '" + keys[k] + "': cannot read the value: " + e.getMessage(), e);
                        }
                    }
                    rows.add(keys, values);
                    origins.add(here, ++row);
                }
            }
            return new Table(name, rows.finish(), origins.build(), cols, List.of());
        }
    }

    /**
     * An Arrow Java value as a plain Java value (the kinds JSON Lines and Parquet rows hold); a struct keeps every
     * field of its type in order, null ones too, as Parquet rows do.
     */
    static Object plain(Object v, Field field) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof byte[]) return v;
        if (v instanceof Text t) return t.toString();
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return (double) f;
        if (v instanceof BigDecimal d) return d.doubleValue();
        if (v instanceof java.math.BigInteger) return v;
        List<Field> children = field == null ? List.of() : field.getChildren();
        if (v instanceof List<?> l) {
            Field child = children.size() == 1 ? children.getFirst() : null;
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(plain(x, child));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            if (field != null && field.getType() instanceof ArrowType.Struct)
                for (Field c : children) out.put(c.getName(), plain(m.get(c.getName()), c));
            else m.forEach((k, x) -> out.put(String.valueOf(plain(k, null)), plain(x, null)));
            return out;
        }
        return v.toString();
    }
}
