package org.grpo4j.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header of
 * {@code name → {dtype, shape, data_offsets}}, then the raw little-endian data. Every structural problem is an
 * {@link IOException} naming the file (and the tensor).
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafetensorsFile(Path path, Arena arena, MemorySegment data) {
        this.path = path;
        this.arena = arena;
        this.data = data;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) throw new IOException(path + ": not a safetensors file (" + fileSize + " bytes, shorter than its 8-byte header length)");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
            long headerLen = all.get(I64, 0);
            if (headerLen <= 0 || headerLen > fileSize - 8 || headerLen > 100_000_000)
                throw new IOException(path + ": corrupt safetensors header length " + headerLen + " (file has " + fileSize + " bytes)");
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            SafetensorsFile f = new SafetensorsFile(path, arena, all.asSlice(8 + headerLen));
            f.parseHeader(new String(header, StandardCharsets.UTF_8));
            return f;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void parseHeader(String json) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.trim());
        } catch (IOException e) {
            throw new IOException(path + ": corrupt safetensors header (not JSON): " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(path + ": corrupt safetensors header (not a JSON object)");
        long dataSize = data.byteSize();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode n = e.getValue();
            if (name.equals("__metadata__")) {
                n.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            DType dtype = DType.parse(n.path("dtype").asText());
            if (dtype == null) throw new IOException(path + ": tensor '" + name + "' has unsupported dtype '" + n.path("dtype").asText() + "' (supported: F32, F16, BF16, F64, I64, I32)");
            JsonNode shapeNode = n.get("shape"), offs = n.get("data_offsets");
            if (shapeNode == null || !shapeNode.isArray() || offs == null || !offs.isArray() || offs.size() != 2)
                throw new IOException(path + ": tensor '" + name + "' lacks a shape or data_offsets");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
            TensorInfo info = new TensorInfo(name, dtype, shape, offs.get(0).asLong(), offs.get(1).asLong());
            if (info.begin() < 0 || info.end() < info.begin() || info.end() > dataSize)
                throw new IOException(path + ": tensor '" + name + "' has data_offsets [" + info.begin() + ", " + info.end() + ") outside the data section of " + dataSize + " bytes");
            if (info.end() - info.begin() != info.elements() * dtype.bytes)
                throw new IOException(path + ": tensor '" + name + "' has " + (info.end() - info.begin()) + " bytes but shape " + info.shapeString() + " × " + dtype + " needs " + info.elements() * dtype.bytes);
            tensors.put(name, info);
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IOException(path + ": no tensor '" + name + "'");
        return t;
    }

    /** Reads a floating-point tensor as floats into {@code dst[dstOffset..]}, converting BF16/F16/F64. */
    public void readFloats(String name, float[] dst, int dstOffset) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elements());
        MemorySegment s = data.asSlice(t.begin(), t.end() - t.begin());
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32, 0, dst, dstOffset, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = DType.bf16ToFloat(s.getAtIndex(I16, i));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = Float.float16ToFloat(s.getAtIndex(I16, i));
            }
            case F64 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = (float) s.getAtIndex(F64, i);
            }
            default -> throw new IOException(path + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected a floating-point type");
        }
    }

    /**
     * Reads a floating-point tensor as bf16 bit patterns into {@code dst[dstOffset..]}: a BF16 tensor is copied as it
     * is (never widened), other types are rounded to nearest even.
     */
    public void readBf16(String name, short[] dst, int dstOffset) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elements());
        if (t.dtype() == DType.BF16) {
            MemorySegment.copy(data.asSlice(t.begin(), t.end() - t.begin()), I16, 0, dst, dstOffset, n);
            return;
        }
        float[] f = readFloats(name);
        for (int i = 0; i < n; i++) dst[dstOffset + i] = DType.floatToBf16(f[i]);
    }

    public float[] readFloats(String name) throws IOException {
        float[] out = new float[Math.toIntExact(info(name).elements())];
        readFloats(name, out, 0);
        return out;
    }

    /** Reads a tensor as doubles (fixtures in F64 keep their precision). */
    public double[] readDoubles(String name) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elements());
        MemorySegment s = data.asSlice(t.begin(), t.end() - t.begin());
        double[] out = new double[n];
        switch (t.dtype()) {
            case F64 -> MemorySegment.copy(s, F64, 0, out, 0, n);
            case I64 -> {
                for (int i = 0; i < n; i++) out[i] = s.getAtIndex(I64, i);
            }
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = s.getAtIndex(I32, i);
            }
            default -> {
                float[] f = readFloats(name);
                for (int i = 0; i < n; i++) out[i] = f[i];
            }
        }
        return out;
    }

    /** Reads an integer tensor (I64 or I32) as ints. */
    public int[] readInts(String name) throws IOException {
        TensorInfo t = info(name);
        int n = Math.toIntExact(t.elements());
        MemorySegment s = data.asSlice(t.begin(), t.end() - t.begin());
        int[] out = new int[n];
        switch (t.dtype()) {
            case I64 -> {
                for (int i = 0; i < n; i++) out[i] = Math.toIntExact(s.getAtIndex(I64, i));
            }
            case I32 -> MemorySegment.copy(s, I32, 0, out, 0, n);
            default -> throw new IOException(path + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected I64 or I32");
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
