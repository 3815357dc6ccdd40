package org.grpo4j.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;

/**
 * Writes a safetensors file in F32 or BF16 from float data, in the order tensors are added. The header is
 * padded with spaces to a multiple of 8 bytes, as Hugging Face's writer does, so the data is aligned. Tensors are
 * streamed to the file in chunks of {@link #CHUNK} values, so writing a multi-gigabyte checkpoint needs a few
 * megabytes of heap; the file is forced to the disk before {@link #write} returns.
 */
public final class SafetensorsWriter {
    /** Values converted and written per chunk. */
    static final int CHUNK = 1 << 20;

    /** Supplies {@code count} floats of a tensor, starting at element {@code from}, when the file is written. */
    public interface Source {
        void copyTo(long from, float[] dst, int count) throws IOException;
    }

    private record Entry(String name, long[] shape, DType dtype, Source source, long elements) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata;

    public SafetensorsWriter(Map<String, String> metadata) {
        this.metadata = metadata;
    }

    public SafetensorsWriter add(String name, DType dtype, long[] shape, Source source) {
        if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("grpo4j writes F32 or BF16, not " + dtype);
        long n = 1;
        for (long s : shape) n *= s;
        entries.add(new Entry(name, shape.clone(), dtype, source, n));
        return this;
    }

    /** A tensor held by a backend (weights, optimiser moments): read chunk by chunk while the file is written. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, Backend backend, Tensor tensor) {
        return add(name, dtype, shape, (from, dst, count) -> backend.read(tensor.slice(from, count), dst, 0, count));
    }

    public SafetensorsWriter add(String name, long[] shape, float[] data) {
        return add(name, DType.F32, shape, (from, dst, count) -> System.arraycopy(data, (int) from, dst, 0, count));
    }

    public void write(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode header = m.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var shape = t.putArray("shape");
            for (long s : e.shape) shape.add(s);
            var offs = t.putArray("data_offsets");
            long bytes = e.elements * e.dtype.bytes;
            offs.add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = m.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            writeFully(ch, head.flip());
            float[] buf = new float[CHUNK];
            ByteBuffer bytes = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                for (long from = 0; from < e.elements; from += CHUNK) {
                    int count = (int) Math.min(CHUNK, e.elements - from);
                    e.source.copyTo(from, buf, count);
                    bytes.clear();
                    if (e.dtype == DType.F32) for (int i = 0; i < count; i++) bytes.putFloat(buf[i]);
                    else for (int i = 0; i < count; i++) bytes.putShort(DType.floatToBf16(buf[i]));
                    writeFully(ch, bytes.flip());
                }
            }
            ch.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
