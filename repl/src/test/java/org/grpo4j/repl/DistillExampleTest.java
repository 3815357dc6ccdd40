package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/arithmetic/distill.grpo} run as a user runs it, at tiny size (6 questions, 2 answers each, 2 SFT
 * steps, no control run): every stage leaves its files. The full-size figures are in examples/README.md.
 */
class DistillExampleTest {
    @Test
    void distillationRunsEveryStage(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.distill.prompts=6 -Darithmetic.distill.n=2 -Darithmetic.distill.steps=2"
                + " -Darithmetic.grpo.eval_size=4 -Darithmetic.distill.control=false -Darithmetic.distill.output_dir=" + out), "run", "examples/arithmetic/distill.grpo");
        assertEquals(0, r.exit(), r.out() + r.err());
        List<String> lines = r.out().strip().lines().toList();
        String last = lines.getLast();
        assertTrue(Pattern.matches("held-out accuracy: shipped \\d+\\.\\d% distilled \\d+\\.\\d%", last), "last line: " + last + "\n" + r.out());
        List<String> rows = Files.readAllLines(out.resolve("data.jsonl"));
        assertTrue(!rows.isEmpty() && rows.size() <= 6, "kept rows: " + rows.size());
        assertTrue(new ObjectMapper().readTree(rows.getFirst()).get("correctness").size() == 2);
        assertTrue(Files.exists(out.resolve("sft/model/model.safetensors")));
        assertTrue(Files.exists(out.resolve("sft/report.html")), "the SFT run's report");
        assertTrue(Files.exists(out.resolve("eval-shipped/results.json")) && Files.exists(out.resolve("eval-distilled/details.jsonl")));
    }
}
