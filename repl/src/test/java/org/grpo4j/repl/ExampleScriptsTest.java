package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
        Tokenizer tok = shippedModel("arithmetic-sft");
        String q = "What is 47 plus 38?\n";
        assertEquals(q, tok.decode(tok.encode(q)));
    }

    @Test
    void arithmeticGrpoRunsAndLeavesMetricsAndALoadableCheckpoint(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.grpo.max_steps=2 -Darithmetic.grpo.eval_size=6"
                + " -Darithmetic.grpo.questions_per_step=2 -Darithmetic.grpo.output_dir=" + out), "run", "examples/arithmetic/grpo.grpo");
        r.assertEndsWithAccuracy("held-out accuracy");

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
        r.assertEndsWithAccuracy("held-out accuracy");
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
        control.assertEndsWithAccuracy("held-out accuracy (continued SFT)");
        assertTrue(Files.isRegularFile(out.resolve("control/model/model.safetensors")), control.out());
    }

    @Test
    void theR1ZeroBaseModelIsSmallAndCanWriteEveryTargetQuestionAndAnswer() throws Exception {
        Tokenizer tok = shippedModel("r1-zero-base");
        for (String file : List.of("target-train.jsonl", "target-test.jsonl"))
            for (String line : Files.readAllLines(Launcher.root().resolve("examples/r1-zero/data/" + file))) {
                JsonNode row = JSON.readTree(line);
                assertTrue(!row.has("completion"), "a target row carries no solution to imitate: " + line);
                String[] n = row.get("numbers").asText().split(",");
                String text = row.get("prompt").asText() + "\n<think>\n</think>\n<answer>\n" + n[0] + "+" + n[1] + "-" + n[2] + "=" + row.get("solution").asText() + "\n</answer>";
                assertEquals(text, tok.decode(tok.encode(text)), "the vocabulary writes " + text);
            }
    }

    @Test
    void r1ZeroGrpoRunsAndLeavesMetricsSummaryAndALoadableCheckpoint(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Dr1zero.grpo.max_steps=2 -Dr1zero.grpo.eval_size=4"
                + " -Dr1zero.grpo.questions_per_step=2 -Dr1zero.grpo.output_dir=" + out), "run", "examples/r1-zero/grpo.grpo");
        r.assertEndsWithAccuracy("held-out accuracy");
        assertTrue(r.out().contains("pass@8") && r.out().contains("mean completion length"), r.out());
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode m = JSON.readTree(line);
            if (m.has("eval/accuracy")) continue;
            for (String k : List.of("step", "reward", "rewards/verifier/mean", "completions/mean_length", "loss")) assertTrue(m.has(k), k + " missing: " + line);
        }
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(2, summary.get("steps").asInt());
        for (String k : List.of("before", "after", "pass8_before", "pass8_after", "length_before", "length_after", "train_seconds"))
            assertTrue(summary.get(k).isNumber(), k + " in " + summary);
        // every held-out answer, before and after, is kept for reading
        for (String e : List.of("eval-before", "eval-after")) assertEquals(4 * 9, Files.readAllLines(out.resolve(e + "/details.jsonl")).size(), e);
        Path checkpoint = Checkpoints.latest(out);
        assertEquals("checkpoint-2", checkpoint.getFileName().toString());
        assertEquals(Tokenizer.load(checkpoint).vocabSize(), Transformer.load(checkpoint, new CpuBackend()).config().vocabSize());
    }

    @Test
    void theR1ZeroBaseTrainingAndTheControlRunAtTinySize(@TempDir Path out) throws Exception {
        Path model = out.resolve("model");
        Launcher.Run base = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Dr1zero.base.max_steps=3 -Dr1zero.base.eval_size=4 -Dr1zero.base.output_dir="
                + out.resolve("base") + " -Dr1zero.base.model_dir=" + model), "run", "examples/r1-zero/base.grpo");
        assertEquals(0, base.exit(), base.err());
        assertTrue(base.out().contains("SFT: 3 steps") && base.out().contains("held-out target task"), base.out());
        assertEquals(Tokenizer.load(model).vocabSize(), Transformer.load(model, new CpuBackend()).config().vocabSize());

        Launcher.Run control = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Dr1zero.grpo.model=" + model + " -Dr1zero.control.seconds=2"
                + " -Dr1zero.grpo.eval_size=4 -Dr1zero.control.output_dir=" + out.resolve("control")), "run", "examples/r1-zero/sft-control.grpo");
        control.assertEndsWithAccuracy("held-out accuracy (continued SFT)");
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

    /**
     * A model folder under examples/models: small enough to ship, loadable, its tokenizer's vocabulary and end token
     * those of the model.
     */
    private static Tokenizer shippedModel(String name) throws Exception {
        Path dir = Launcher.root().resolve("examples/models/" + name);
        long bytes = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) bytes += Files.size(f);
        }
        assertTrue(bytes < 8L << 20, "the shipped model takes " + bytes + " bytes");
        Transformer m = Transformer.load(dir, new CpuBackend());
        Tokenizer tok = Tokenizer.load(dir);
        assertEquals(tok.vocabSize(), m.config().vocabSize());
        assertEquals(tok.eosTokenId().getAsInt(), m.config().eosTokenId());
        return tok;
    }
}
