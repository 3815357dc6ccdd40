package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** Runs the real {@code ./grpo} launcher of this checkout in a child process (end-to-end tests). */
final class Launcher {
    record Run(int exit, String out, String err) {
        /** The script succeeded and its last line is an example's {@code <what>: before X% after Y%}. */
        void assertEndsWithAccuracy(String what) {
            assertEquals(0, exit, err);
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(Pattern.matches(Pattern.quote(what) + ": before \\d+\\.\\d% after \\d+\\.\\d%", last), "last line: " + last + "\n" + out);
        }
    }

    private Launcher() {}

    static Path root() {
        String r = System.getProperty("grpo4j.root");
        Path p = r != null ? Path.of(r) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isExecutable(p.resolve("grpo"))) throw new IllegalStateException("no ./grpo launcher under " + p);
        return p;
    }

    /**
     * Runs {@code ./grpo args} with {@code stdin} piped in; the first call of a fresh checkout may build the
     * project, hence the long timeout.
     */
    static Run run(String stdin, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root().resolve("grpo").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile());
        pb.environment().putAll(env);
        Path out = Files.createTempFile("grpo-out", ".txt"), err = Files.createTempFile("grpo-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("./grpo " + String.join(" ", args) + " did not finish in 240 s");
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }
}
