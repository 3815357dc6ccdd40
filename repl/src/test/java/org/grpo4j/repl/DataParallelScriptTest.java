package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "More than one machine": the arithmetic example as 2 MPI ranks through {@code ./grpo run --nproc 2}. */
class DataParallelScriptTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theArithmeticExampleRunsOnTwoRanksAndRankZeroAloneSpeaksAndWrites(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.grpo.max_steps=2 -Darithmetic.grpo.eval_size=6"
                + " -Darithmetic.grpo.questions_per_step=1 -Darithmetic.grpo.output_dir=" + out), "run", "--nproc", "2", "examples/arithmetic/grpo.grpo");
        assertEquals(0, r.exit(), r.out() + r.err());
        List<String> results = r.out().lines().filter(l -> l.startsWith("held-out accuracy: ")).toList();
        assertEquals(1, results.size(), "one rank prints the result:\n" + r.out());
        assertTrue(Pattern.matches("held-out accuracy: before \\d+\\.\\d% after \\d+\\.\\d%", results.getFirst()), r.out());
        // logging every 5 steps: the last step's line and the held-out evaluation's, each written once
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), String.join("\n", metrics));
        assertEquals(2, JSON.readTree(metrics.get(0)).get("step").asInt());
        assertTrue(JSON.readTree(metrics.get(0)).has("reward"));
        assertTrue(JSON.readTree(metrics.get(1)).has("eval/accuracy"));
        assertEquals(2, JSON.readTree(out.resolve("summary.json").toFile()).get("steps").asInt());
        assertTrue(Transformer.load(out.resolve("checkpoint-2"), new CpuBackend()).config().vocabSize() > 0);
    }
}
