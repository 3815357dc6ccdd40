package org.grpo4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the PyTorch peer ({@code ../shared/bench/pytorch-peer}, Debian's torch on OpenMP OpenBLAS) in the same
 * benchmark run, so every figure comes with a comparison measured on the same machine at the same time.
 */
public final class PytorchPeer {
    private PytorchPeer() {}

    /** The peer script beside the checkout, or null. */
    public static Path script() {
        Path root = Path.of(System.getProperty("grpo4j.root", "."));
        Path p = root.toAbsolutePath().normalize().resolveSibling("shared").resolve("bench").resolve("pytorch-peer");
        return Files.isExecutable(p) ? p : null;
    }

    /** Runs {@code pytorch-peer MODE ARGS --json FILE} and returns the JSON it wrote, or null (and says why). */
    public static JsonNode run(String mode, String... args) {
        Path script = script();
        if (script == null) {
            System.out.println("pytorch peer: not found (expected ../shared/bench/pytorch-peer beside the checkout); no comparison");
            return null;
        }
        try {
            Path json = Files.createTempFile("grpo4j-peer", ".json");
            List<String> cmd = new ArrayList<>(List.of(script.toString(), mode));
            cmd.addAll(List.of(args));
            // the peer re-runs a phase disturbed by other processes up to 40 times by default; on a shared machine
            // that can take an hour, so allow two re-runs (both sides then see the same machine)
            if (!List.of(args).contains("--max-retries")) cmd.addAll(List.of("--max-retries", "2"));
            cmd.addAll(List.of("--json", json.toString()));
            System.out.println("pytorch peer: " + String.join(" ", cmd.subList(1, cmd.size() - 2)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            if (rc != 0 || Files.size(json) == 0) {
                System.out.println("pytorch peer: failed (exit " + rc + "); its last output:\n" + tail(out, 800));
                return null;
            }
            JsonNode n = new ObjectMapper().readTree(json.toFile());
            Files.deleteIfExists(json);
            return n;
        } catch (IOException e) {
            System.out.println("pytorch peer: could not run (" + e.getMessage() + "); no comparison");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    /** Prints {@code ratio vs pytorch (what): 1.23x} (higher is better for grpo4j). */
    public static void printRatio(String what, double ours, double theirs, boolean higherIsBetter) {
        double r = higherIsBetter ? ours / theirs : theirs / ours;
        System.out.printf("ratio vs pytorch (%s): %.2fx%n", what, r);
    }
}
