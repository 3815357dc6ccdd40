package org.grpo4j.dsl.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * The rows of a data set kept off the Java heap: each row encoded in a compact binary form (a tag byte per value,
 * varint lengths, UTF-8 text; the column names of a row stored once per distinct set of columns) and decoded again
 * when {@link #get} asks for it. Up to {@link #IN_HEAP_BYTES} bytes stay in one byte array; more go to a temporary
 * file that is memory-mapped read-only and unlinked at once, so the operating system pages the rows in and out as
 * the trainer reads them and nothing is left on disk. The heap keeps 8 bytes per row (its offset).
 *
 * <p>Values of the kinds rows hold (strings, numbers, booleans, null, byte arrays, lists, maps) are encoded; any
 * other object a {@code map} puts in a row stays a reference on the heap, so nothing changes type.
 *
 * <pre>{@code
 * RowStore.Writer w = RowStore.writer();
 * w.add(Map.of("prompt", "1+1?"));
 * RowStore rows = w.finish();
 * rows.get(0).get("prompt");   // "1+1?"
 * }</pre>
 */
final class RowStore extends AbstractList<Map<String, Object>> implements RandomAccess {
    /** Rows up to this size stay in a heap array: 8 MB, less in a small heap (1/64 of it), so tests and small sets need no file. */
    static final int IN_HEAP_BYTES = (int) Math.min(8 << 20, Runtime.getRuntime().maxMemory() / 64);

    private static final byte NULL = 0, FALSE = 1, TRUE = 2, LONG = 3, DOUBLE = 4, STRING = 5, LIST = 6, MAP = 7, BIG = 8, BYTES = 9, INT = 10,
            FLOAT = 11, OBJECT = 12;

    private final MemorySegment data;
    private final long[] offsets;
    private final String[][] shapes;   // the column names of each distinct row shape
    private final Object[] objects;    // values kept as references (OBJECT)
    private final List<String> columns;

    private RowStore(MemorySegment data, long[] offsets, String[][] shapes, Object[] objects, List<String> columns) {
        this.data = data;
        this.offsets = offsets;
        this.shapes = shapes;
        this.objects = objects;
        this.columns = columns;
    }

    static Writer writer() {
        return new Writer();
    }

    @Override
    public int size() {
        return offsets.length;
    }

    /** The union of the rows' column names, in first-seen order. */
    List<String> columns() {
        return columns;
    }

    /** The bytes the rows take (on disk or in the heap array). */
    long bytes() {
        return data.byteSize();
    }

    @Override
    public Map<String, Object> get(int i) {
        Reader r = new Reader(data, offsets[i]);
        String[] keys = shapes[(int) r.varint()];
        Object[] values = new Object[keys.length];
        for (int k = 0; k < keys.length; k++) values[k] = r.value();
        return RowMap.of(keys, values);
    }

    // ------------------------------------------------------------------------------------------ decoding

    private final class Reader {
        private final MemorySegment s;
        private long at;

        Reader(MemorySegment s, long at) {
            this.s = s;
            this.at = at;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte b = s.get(ValueLayout.JAVA_BYTE, at++);
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) return v;
            }
        }

        byte[] bytes() {
            int n = (int) varint();
            byte[] b = new byte[n];
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, at, b, 0, n);
            at += n;
            return b;
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        Object value() {
            byte tag = s.get(ValueLayout.JAVA_BYTE, at++);
            switch (tag) {
                case NULL: return null;
                case FALSE: return Boolean.FALSE;
                case TRUE: return Boolean.TRUE;
                case LONG: {
                    long z = varint();
                    return (z >>> 1) ^ -(z & 1);
                }
                case INT: {
                    long z = varint();
                    return (int) ((z >>> 1) ^ -(z & 1));
                }
                case DOUBLE: {
                    double d = s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at);
                    at += 8;
                    return d;
                }
                case FLOAT: {
                    float f = s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
                    at += 4;
                    return f;
                }
                case STRING: return string();
                case BIG: return new BigInteger(bytes());
                case BYTES: return bytes();
                case OBJECT: return objects[(int) varint()];
                case LIST: {
                    int n = (int) varint();
                    Object[] l = new Object[n];
                    for (int i = 0; i < n; i++) l[i] = value();
                    return Collections.unmodifiableList(Arrays.asList(l));
                }
                case MAP: {
                    int n = (int) varint();
                    String[] k = new String[n];
                    Object[] v = new Object[n];
                    for (int i = 0; i < n; i++) {
                        k[i] = string();
                        v[i] = value();
                    }
                    return RowMap.of(k, v);
                }
                default: throw new IllegalStateException("row store: unknown tag " + tag + " at byte " + (at - 1));
            }
        }
    }

    // ------------------------------------------------------------------------------------------ encoding

    /**
     * Appends rows; {@link #finish} seals them into a {@link RowStore}, {@link #abort} throws them away (a read that
     * fails leaves nothing behind). Not thread-safe.
     */
    static final class Writer implements AutoCloseable {
        private byte[] buf = new byte[1 << 16];
        private int n;                       // bytes in buf not yet written to the file
        private long flushed;                // bytes already in the file
        private Path file;
        private FileChannel channel;
        private long[] offsets = new long[64];
        private int rows;
        private final Map<List<String>, Integer> shapeIds = new HashMap<>();
        private final List<String[]> shapes = new ArrayList<>();
        private final LinkedHashSet<String> columns = new LinkedHashSet<>();
        private final List<Object> objects = new ArrayList<>();
        private String[] lastKeys;           // the key array of the last row, and its shape: rows of a file share one
        private int lastShape;
        private boolean done;

        int rows() {
            return rows;
        }

        /** Adds a row (its values are encoded now: later changes to the map do not reach the store). */
        void add(Map<String, ?> row) {
            if (row instanceof RowMap r) {
                add(r.keyArray(), r.valueArray());
                return;
            }
            start(shape(row.keySet().toArray(String[]::new)));
            for (Object v : row.values()) value(v);
        }

        /** Adds a row given as its column names (an array the caller may share between rows) and values. */
        void add(String[] keys, Object[] values) {
            if (keys != lastKeys) {
                lastShape = shape(keys);
                lastKeys = keys;
            }
            start(lastShape);
            for (Object v : values) value(v);
        }

        private int shape(String[] keys) {
            List<String> k = Arrays.asList(keys.clone());
            Integer id = shapeIds.get(k);
            if (id == null) {
                id = shapes.size();
                shapeIds.put(k, id);
                shapes.add(k.toArray(String[]::new));
                columns.addAll(k);
            }
            return id;
        }

        private void start(int shape) {
            if (rows == offsets.length) offsets = Arrays.copyOf(offsets, rows * 2);
            offsets[rows++] = flushed + n;
            varint(shape);
        }

        private void value(Object v) {
            switch (v) {
                case null -> put(NULL);
                case Boolean b -> put(b ? TRUE : FALSE);
                case Long l -> {
                    put(LONG);
                    varint((l << 1) ^ (l >> 63));
                }
                case Integer i -> {
                    put(INT);
                    varint(((long) i << 1) ^ ((long) i >> 63));
                }
                case Double d -> {
                    room(9);
                    buf[n++] = DOUBLE;
                    long bits = Double.doubleToRawLongBits(d);
                    for (int k = 0; k < 8; k++) buf[n++] = (byte) (bits >>> (8 * k));
                }
                case Float f -> {
                    room(5);
                    buf[n++] = FLOAT;
                    int bits = Float.floatToRawIntBits(f);
                    for (int k = 0; k < 4; k++) buf[n++] = (byte) (bits >>> (8 * k));
                }
                case String s -> {
                    put(STRING);
                    bytes(s.getBytes(StandardCharsets.UTF_8));
                }
                case BigInteger b -> {
                    put(BIG);
                    bytes(b.toByteArray());
                }
                case byte[] b -> {
                    put(BYTES);
                    bytes(b);
                }
                case List<?> l -> {
                    put(LIST);
                    varint(l.size());
                    for (Object x : l) value(x);
                }
                case Map<?, ?> m -> {
                    put(MAP);
                    varint(m.size());
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        bytes(String.valueOf(e.getKey()).getBytes(StandardCharsets.UTF_8));
                        value(e.getValue());
                    }
                }
                default -> {
                    put(OBJECT);
                    varint(objects.size());
                    objects.add(v);
                }
            }
        }

        private void put(byte b) {
            room(1);
            buf[n++] = b;
        }

        private void varint(long v) {
            room(10);
            while ((v & ~0x7FL) != 0) {
                buf[n++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[n++] = (byte) v;
        }

        private void bytes(byte[] b) {
            varint(b.length);
            room(b.length);
            if (b.length > buf.length - n) {
                spill();
                write(ByteBuffer.wrap(b));
                return;
            }
            System.arraycopy(b, 0, buf, n, b.length);
            n += b.length;
        }

        /** Makes room for {@code k} more bytes: grows the array up to the in-heap limit, then writes it to the file. */
        private void room(int k) {
            if (n + k <= buf.length) return;
            if (channel == null && n + k <= IN_HEAP_BYTES) {
                buf = Arrays.copyOf(buf, Math.min(IN_HEAP_BYTES, Math.max(buf.length * 2, n + k)));
                return;
            }
            spill();
        }

        private void spill() {
            try {
                if (channel == null) {
                    file = Files.createTempFile("grpo-rows-", ".bin");
                    file.toFile().deleteOnExit();
                    channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
                }
                write(ByteBuffer.wrap(buf, 0, n));
                n = 0;
            } catch (IOException e) {
                abort();
                throw new UncheckedIOException("cannot write the data set's rows to a temporary file (" + System.getProperty("java.io.tmpdir")
                        + "; set -Djava.io.tmpdir to a folder with room): " + e.getMessage(), e);
            }
        }

        private void write(ByteBuffer b) {
            try {
                while (b.hasRemaining()) flushed += channel.write(b);
            } catch (IOException e) {
                abort();
                throw new UncheckedIOException("cannot write the data set's rows to " + file + ": " + e.getMessage(), e);
            }
        }

        /** The rows added, sealed. */
        RowStore finish() {
            if (done) throw new IllegalStateException("finished already");
            done = true;
            MemorySegment data;
            if (channel == null) data = MemorySegment.ofArray(Arrays.copyOf(buf, n));
            else {
                write(ByteBuffer.wrap(buf, 0, n));
                buf = null;
                try {
                    // the mapping outlives the file's name: unlinked now, the pages are freed when the store is collected
                    data = channel.map(FileChannel.MapMode.READ_ONLY, 0, flushed, Arena.ofAuto());
                    channel.close();
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    abort();
                    throw new UncheckedIOException("cannot map the data set's rows from " + file + ": " + e.getMessage(), e);
                }
            }
            return new RowStore(data, Arrays.copyOf(offsets, rows), shapes.toArray(String[][]::new), objects.toArray(), List.copyOf(columns));
        }

        /** Throws the rows away and removes the temporary file. */
        void abort() {
            done = true;
            buf = null;
            try {
                if (channel != null) channel.close();
                if (file != null) Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the file was created with deleteOnExit
            }
        }

        /** Aborts unless {@link #finish} ran: use in try-with-resources so a failed read leaves nothing. */
        @Override
        public void close() {
            if (!done) abort();
        }
    }
}
