package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.grpo4j.tokenizer.Tokenizer;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example scripts under {@code examples/}, run exactly as a user runs them ({@code ./grpo run FILE} from the
 * repository root), with tiny settings passed as system properties through {@code GRPO_JAVA_OPTS}: the README's
 * main example must not rot. Learning itself is measured by running the scripts at full size, not here.
 */
class ExampleScriptsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theShippedArithmeticModelIsASmallHuggingFaceFolder() throws Exception {
        Path dir = Launcher.root().resolve("examples/models/arithmetic-sft");
        long bytes = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) bytes += Files.size(f);
        }
        assertTrue(bytes < 8L << 20, "the shipped model takes " + bytes + " bytes");
        Transformer m = Transformer.load(dir, new CpuBackend());
        Tokenizer tok = Tokenizer.load(dir);
        assertEquals(tok.vocabSize(), m.config().vocabSize());
        assertEquals(tok.eosTokenId().getAsInt(), m.config().eosTokenId());
        String q = "What is 47 plus 38?\n";
        assertEquals(q, tok.decode(tok.encode(q)));
    }

    @Test
    void arithmeticGrpoRunsAndLeavesMetricsAndALoadableCheckpoint(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.grpo.max_steps=2 -Darithmetic.grpo.eval_size=6"
                + " -Darithmetic.grpo.questions_per_step=2 -Darithmetic.grpo.output_dir=" + out), "run", "examples/arithmetic/grpo.grpo");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(Pattern.matches("held-out accuracy: before \\d+\\.\\d% after \\d+\\.\\d%", last), "last line: " + last + "\n" + r.out());

        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertTrue(!metrics.isEmpty(), "no metrics were written");
        int evals = 0;
        for (String line : metrics) {
            JsonNode m = JSON.readTree(line);
            if (m.has("eval/accuracy")) { // the held-out evaluation after the last step has a line of its own
                evals++;
                assertTrue(m.get("eval/accuracy").isNumber() && m.has("eval/pass@8"), line);
                continue;
            }
            for (String k : List.of("step", "reward", "reward_std", "rewards/accuracy/mean", "rewards/format/mean", "loss", "completions/mean_length"))
                assertTrue(m.has(k), "metric " + k + " missing from " + line);
            assertTrue(m.get("reward").isNumber(), line);
        }
        assertEquals(1, evals, String.join("\n", metrics));
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(2, summary.get("steps").asInt());

        Path checkpoint = Checkpoints.latest(out);
        assertEquals("checkpoint-2", checkpoint.getFileName().toString());
        Transformer m = Transformer.load(checkpoint, new CpuBackend());
        Tokenizer tok = Tokenizer.load(checkpoint);
        assertEquals(tok.vocabSize(), m.config().vocabSize());
    }

    @Test
    void arithmeticPpoTrainsACriticAtTinySize(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.ppo.max_steps=2 -Darithmetic.grpo.eval_size=6 -Darithmetic.ppo.seconds=600"
                + " -Darithmetic.grpo.questions_per_step=2 -Darithmetic.ppo.output_dir=" + out), "run", "examples/arithmetic/ppo.grpo");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(Pattern.matches("held-out accuracy: before \\d+\\.\\d% after \\d+\\.\\d%", last), "last line: " + last + "\n" + r.out());
        JsonNode first = JSON.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0));
        for (String k : List.of("critic/vf_loss", "critic/vf_clipfrac", "critic/vf_explained_var", "critic/returns/mean", "critic/values/mean"))
            assertTrue(first.has(k), "metric " + k + " missing from " + first);
        assertEquals(2, JSON.readTree(out.resolve("summary.json").toFile()).get("steps").asInt());
        Path critic = Checkpoints.latest(out).resolve("critic");
        for (String f : List.of("config.json", "model.safetensors", "value_head.safetensors", "optimizer.safetensors"))
            assertTrue(Files.exists(critic.resolve(f)), critic.resolve(f) + " missing");
    }

    @Test
    void theColdStartAndTheControlRunAtTinySize(@TempDir Path out) throws Exception {
        Path model = out.resolve("model");
        Launcher.Run sft = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.sft.max_steps=3 -Darithmetic.sft.eval_size=4 -Darithmetic.sft.output_dir="
                + out.resolve("sft") + " -Darithmetic.sft.model_dir=" + model), "run", "examples/arithmetic/sft.grpo");
        assertEquals(0, sft.exit(), sft.err());
        assertTrue(sft.out().contains("SFT: 3 steps"), sft.out());
        Transformer m = Transformer.load(model, new CpuBackend());
        assertEquals(Tokenizer.load(model).vocabSize(), m.config().vocabSize());

        Launcher.Run control = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.grpo.model=" + model + " -Darithmetic.control.seconds=2"
                + " -Darithmetic.grpo.eval_size=4 -Darithmetic.control.output_dir=" + out.resolve("control")), "run", "examples/arithmetic/sft-control.grpo");
        assertEquals(0, control.exit(), control.err());
        List<String> lines = control.out().strip().lines().toList();
        assertTrue(Pattern.matches("held-out accuracy \\(continued SFT\\): before \\d+\\.\\d% after \\d+\\.\\d%", lines.getLast()), control.out());
        assertTrue(Files.isRegularFile(out.resolve("control/model/model.safetensors")), control.out());
    }

    @Test
    void theSmallExamplesRunAStep(@TempDir Path out) throws Exception {
        for (String script : List.of("examples/custom-reward/checked-steps.grpo", "examples/countdown/countdown.grpo")) {
            Path dir = out.resolve(Path.of(script).getFileName().toString());
            Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Dexample.max_steps=1 -Dexample.sft_steps=2 -Dexample.output_dir=" + dir), "run", script);
            assertEquals(0, r.exit(), script + ":\n" + r.err());
            assertTrue(r.out().contains("steps 1,"), r.out());
            assertTrue(Files.isDirectory(dir.resolve("checkpoint-1")), script);
        }
    }
}
