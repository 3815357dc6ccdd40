package org.grpo4j.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights of a model folder: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json} ({@code weight_map: name → file}). Looks tensors up across shards.
 */
public final class SafetensorsModel implements AutoCloseable {
    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();

    private SafetensorsModel() {}

    public static SafetensorsModel open(Path dir) throws IOException {
        SafetensorsModel m = new SafetensorsModel();
        try {
            Path index = dir.resolve("model.safetensors.index.json");
            Path single = dir.resolve("model.safetensors");
            if (Files.exists(index)) {
                JsonNode map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
                if (map == null || !map.isObject()) throw new IOException(index + ": no 'weight_map' object");
                Map<String, SafetensorsFile> opened = new LinkedHashMap<>();
                for (var it = map.fields(); it.hasNext(); ) {
                    var e = it.next();
                    String shard = e.getValue().asText();
                    SafetensorsFile f = opened.get(shard);
                    if (f == null) {
                        Path p = dir.resolve(shard);
                        if (!Files.exists(p)) throw new IOException(index + ": tensor '" + e.getKey() + "' is mapped to '" + shard + "', which does not exist");
                        f = SafetensorsFile.open(p);
                        opened.put(shard, f);
                        m.files.add(f);
                    }
                    if (!f.tensors().containsKey(e.getKey()))
                        throw new IOException(f.path() + ": tensor '" + e.getKey() + "' is listed in " + index.getFileName() + " but missing from the shard");
                    m.byTensor.put(e.getKey(), f);
                }
                // a shard may hold tensors the index forgot: they are still tensors of the model
                for (SafetensorsFile f : m.files) for (String name : f.tensors().keySet()) m.byTensor.putIfAbsent(name, f);
            } else if (Files.exists(single)) {
                m.add(SafetensorsFile.open(single));
            } else {
                List<Path> found;
                try (Stream<Path> s = Files.list(dir)) {
                    found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
                }
                if (found.isEmpty()) throw new IOException(dir + ": no model.safetensors, model.safetensors.index.json or *.safetensors file");
                for (Path p : found) m.add(SafetensorsFile.open(p));
            }
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The tensors of the given files together (a tensor may appear in only one of them). */
    public static SafetensorsModel of(Path... files) throws IOException {
        SafetensorsModel m = new SafetensorsModel();
        try {
            for (Path p : files) m.add(SafetensorsFile.open(p));
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private void add(SafetensorsFile f) throws IOException {
        files.add(f);
        for (String name : f.tensors().keySet()) {
            SafetensorsFile other = byTensor.put(name, f);
            if (other != null) throw new IOException("tensor '" + name + "' appears in both " + other.path() + " and " + f.path());
        }
    }

    public Map<String, SafetensorsFile> tensors() {
        return byTensor;
    }

    /** The file holding {@code name}, or null. */
    public SafetensorsFile fileOf(String name) {
        return byTensor.get(name);
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
