package org.grpo4j.dsl.datagen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which prompts a {@code generate-data} output already covers, so a rerun continues and never writes a prompt
 * twice. Two sources: the {@code row_index} of every row in the output (rows are written first), and
 * {@code OUTPUT.progress} (the settings on its first line, then the index of every prompt done, written after its
 * rows, so prompts that kept no row are not generated again). A row cut short by a kill is removed before
 * appending (its prompt is generated again). A rerun with other settings is refused: mixing them would make the
 * data set lie about how it was made.
 */
final class Progress implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final Set<Integer> done = new HashSet<>();
    /** For prompts recorded in the progress file: a hash of the prompt text, to notice a data set whose rows moved. */
    final Map<Integer, String> promptHashes = new java.util.HashMap<>();
    int rowsInFile;
    private final BufferedWriter log;

    private Progress(BufferedWriter log) {
        this.log = log;
    }

    static Path file(Path output) {
        return output.resolveSibling(output.getFileName() + ".progress");
    }

    static Progress open(Path output, Map<String, Object> settings) throws IOException {
        Path pf = file(output);
        if (output.getParent() != null) Files.createDirectories(output.getParent());
        String header = JSON.writeValueAsString(Map.of("settings", settings));
        Set<Integer> done = new HashSet<>();
        Map<Integer, String> hashes = new java.util.HashMap<>();
        int rows = 0;
        if (Files.exists(output)) {
            dropCutLine(output);
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                JsonNode idx = JSON.readTree(lines.get(i)).get("row_index");
                if (idx == null || !idx.isInt())
                    throw new IllegalArgumentException(output + ":" + (i + 1) + " has no row_index: the file was not written by generate-data; "
                            + "choose another output file");
                done.add(idx.asInt());
                rows++;
            }
        }
        if (Files.exists(pf)) {
            List<String> lines = Files.readAllLines(pf, StandardCharsets.UTF_8);
            if (!lines.isEmpty()) checkSettings(pf, JSON.readTree(lines.getFirst()).get("settings"), JSON.readTree(JSON.writeValueAsString(settings)), output);
            for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] parts = l.strip().split(" ");
                try {
                    int i = Integer.parseInt(parts[0]);
                    if (parts.length == 2) {
                        done.add(i);
                        hashes.put(i, parts[1]);
                    }
                } catch (NumberFormatException e) {
                    // the last line was cut by a kill: that prompt's rows (if any) are in the output and counted there
                }
            }
        }
        boolean fresh = !Files.exists(pf) || Files.size(pf) == 0;
        BufferedWriter w = Files.newBufferedWriter(pf, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (fresh) {
            w.write(header);
            w.newLine();
            w.flush();
        }
        Progress p = new Progress(w);
        p.done.addAll(done);
        p.promptHashes.putAll(hashes);
        p.rowsInFile = rows;
        return p;
    }

    private static void checkSettings(Path pf, JsonNode before, JsonNode now, Path output) {
        if (before == null || before.equals(now)) return;
        StringBuilder diff = new StringBuilder();
        for (var it = now.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!now.get(k).equals(before.get(k)))
                diff.append(diff.isEmpty() ? "" : ", ").append(k).append(": ").append(before.get(k)).append(" → ").append(now.get(k));
        }
        throw new IllegalArgumentException(output + " was started with other settings (" + diff + ", see " + pf
                + "); rerun with the same settings to continue it, or choose another output file");
    }

    /** Truncates the file after its last newline: a row cut short by a kill is dropped (its prompt runs again). */
    private static void dropCutLine(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long end = f.length();
            long keep = end;
            while (keep > 0) {
                f.seek(keep - 1);
                if (f.read() == '\n') break;
                keep--;
            }
            if (keep < end) f.setLength(keep);
        }
    }

    /** Records prompts whose rows are already flushed to the output: {@code index hash-of-prompt-text} per line. */
    void markDone(List<Integer> indices, List<String> promptTexts) throws IOException {
        for (int k = 0; k < indices.size(); k++) {
            log.write(indices.get(k) + " " + hash(promptTexts.get(k)));
            log.newLine();
            done.add(indices.get(k));
        }
        log.flush();
    }

    static String hash(String promptText) {
        return Integer.toHexString(promptText.hashCode()); // String.hashCode is fixed by the language spec: stable across runs
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
