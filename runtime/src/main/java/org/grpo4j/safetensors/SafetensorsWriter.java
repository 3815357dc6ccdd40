package org.grpo4j.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file in F32 or BF16 from float data, in the order tensors are added. The header is
 * padded with spaces to a multiple of 8 bytes, as Hugging Face's writer does, so the data is aligned.
 */
public final class SafetensorsWriter {
    /** Supplies a tensor's floats when the file is written. */
    public interface Source {
        void copyTo(float[] dst, int dstOffset) throws IOException;
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

    public SafetensorsWriter add(String name, long[] shape, float[] data) {
        return add(name, DType.F32, shape, (dst, off) -> System.arraycopy(data, 0, dst, off, data.length));
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
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) out.write(' ');
            for (Entry e : entries) {
                float[] buf = new float[Math.toIntExact(e.elements)];
                e.source.copyTo(buf, 0);
                ByteBuffer bb = ByteBuffer.allocate(buf.length * e.dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
                if (e.dtype == DType.F32) bb.asFloatBuffer().put(buf);
                else for (float f : buf) bb.putShort(DType.floatToBf16(f));
                out.write(bb.array());
            }
        }
    }
}
