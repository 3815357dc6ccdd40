package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;
import org.grpo4j.tokenizer.CharTokenizer;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REPL wired to the DSL: :rewards, :sample, and :train with its status line, :metrics and :stop. */
class ReplTrainingTest {
    @TempDir
    Path dir;

    Path tinyModel() throws Exception {
        Path m = dir.resolve("model");
        CharTokenizer tok = CharTokenizer.build(List.of("0123456789+=abc "), List.of("<|endoftext|>"));
        tok.save(m);
        ModelConfig c = new ModelConfig(Architecture.LLAMA, tok.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6f, 1e4, null, true, 128, false, -1, new int[] {1}, "float32");
        Transformer.create(c, new CpuBackend()).initialise(1, 0.02).save(m, DType.F32);
        Files.writeString(dir.resolve("data.jsonl"), "{\"prompt\": \"1+2=\", \"solution\": \"3\"}\n{\"prompt\": \"2+2=\", \"solution\": \"4\"}\n");
        return m;
    }

    @Test
    void exitDuringTrainStopsTheRunWithACheckpointAndProgressGoesToTheLogFile() throws Exception {
        tinyModel();
        Path model = Launcher.root().resolve("examples/models/arithmetic-sft");
        Path out = dir.resolve("run");
        String script = String.join("\n",
                "var r = grpo().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\")).promptTemplate(\"{prompt}\\n\").reward(accuracy())"
                        + ".numGenerations(4).perDeviceTrainBatchSize(4).maxCompletionLength(6).maxSteps(100000).loggingSteps(1).outputDir(\"" + out + "\");",
                ":train r",
                "while (!Files.exists(Path.of(\"" + out.resolve("metrics.jsonl") + "\")) || Files.readAllLines(Path.of(\"" + out.resolve("metrics.jsonl") + "\")).size() < 2) Thread.sleep(50);",
                ":exit",
                "System.out.println(\"not reached\");",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        assertTrue(s.out().contains("leaving: stopping the training run after its current step and saving a checkpoint"), s.out());
        Path checkpoint = Checkpoints.latest(out);
        assertTrue(checkpoint != null && s.out().contains("checkpoint saved to " + checkpoint), s.out());
        assertTrue(!s.out().contains("not reached"));
        // the trainer's progress lines went to the log file, not over the prompt
        assertTrue(s.out().contains("the trainer's log: " + out.resolve("train.log")), s.out());
        assertTrue(!s.out().contains("] 1/100000"), s.out());
        assertTrue(Files.readString(out.resolve("train.log")).contains("] 1/100000"), Files.readString(out.resolve("train.log")));
    }

    @Test
    void trainShowsProgressAndStopLeavesACheckpoint() throws Exception {
        tinyModel(); // writes the two-row data set
        Path model = Launcher.root().resolve("examples/models/arithmetic-sft"); // the shipped small arithmetic model
        Path out = dir.resolve("run");
        String script = String.join("\n",
                ":rewards",
                ":sample \"" + model + "\" \"What is 12 plus 7?\" 2",
                "var r = grpo().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\")).promptTemplate(\"{prompt}\\n\").reward(accuracy())"
                        + ".numGenerations(4).perDeviceTrainBatchSize(4).maxCompletionLength(6).maxSteps(100000).loggingSteps(1).outputDir(\"" + out + "\").quiet();",
                ":train r",
                "while (!Files.exists(Path.of(\"" + out.resolve("metrics.jsonl") + "\")) || Files.readAllLines(Path.of(\"" + out.resolve("metrics.jsonl") + "\")).size() < 3) Thread.sleep(50);",
                ":metrics",
                ":stop",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        assertTrue(s.out().contains("accuracy()") && s.out().contains("tagCount()") && s.out().contains("softOverlongPunishment(1024, 256)"), s.out());
        assertTrue(s.out().contains("training in the background"), s.out());
        assertTrue(s.out().matches("(?s).*step \\d+/100000\\s+reward .*"), "status line missing:\n" + s.out());
        assertTrue(s.out().contains("reward "), s.out());
        Path checkpoint = Checkpoints.latest(out);
        assertTrue(checkpoint != null && Files.exists(checkpoint.resolve("model.safetensors")), "no checkpoint after :stop: " + s.out());
        assertTrue(s.out().contains(checkpoint.getFileName().toString()), ":stop should name the checkpoint:\n" + s.out());
        Transformer.load(checkpoint, new CpuBackend()); // the checkpoint is a loadable model folder
    }

    /** Issue 19: in the REPL {@code .set("adv_estimator", …)} switches the estimator of a recipe in one line, and each of them trains. */
    @Test
    void everyEstimatorTrainsFromTheRepl() throws Exception {
        Path model = tinyModel(); // and the two-row data set
        String script = String.join("\n",
                "var r = grpo().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\")).promptTemplate(\"{prompt}\\n\").reward(accuracy())"
                        + ".numGenerations(2).perDeviceTrainBatchSize(4).maxCompletionLength(4).maxSteps(1).loggingSteps(1).quiet();",
                "for (String e : List.of(\"grpo\", \"rloo\", \"reinforce_plus_plus\", \"remax\", \"gae\")) { var res = train(r.set(\"adv_estimator\", e)"
                        + ".set(\"use_kl_in_reward\", e.equals(\"gae\")).outputDir(\"" + dir + "/run-\" + e)); System.out.println(e + \" steps \" + res.steps()); }",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        for (String e : List.of("grpo", "rloo", "reinforce_plus_plus", "remax", "gae")) {
            assertTrue(s.out().contains(e + " steps 1"), s.out() + s.err());
            String metrics = Files.readString(dir.resolve("run-" + e).resolve("metrics.jsonl"));
            assertTrue(metrics.contains("\"critic/advantages/mean\""), metrics);
            assertEquals(e.equals("gae"), metrics.contains("\"critic/vf_loss\"") && metrics.contains("\"actor/reward_kl_penalty\""), metrics);
        }
    }

    /** SFT goes through the trainer factory too, so its status line, :metrics and :stop work as GRPO's do. */
    @Test
    void sftTrainShowsProgressAndStopNamesTheStep() throws Exception {
        Path model = tinyModel();
        Files.writeString(dir.resolve("sft.jsonl"), "{\"prompt\": \"1+2=\", \"completion\": \"3\"}\n{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n");
        Path out = dir.resolve("sft-run");
        String script = String.join("\n",
                "var s = sft().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("sft.jsonl") + "\")).maxSteps(100000).loggingSteps(1)"
                        + ".outputDir(\"" + out + "\").quiet();",
                ":train s",
                "while (!Files.exists(Path.of(\"" + out.resolve("metrics.jsonl") + "\")) || Files.readAllLines(Path.of(\"" + out.resolve("metrics.jsonl") + "\")).size() < 3) Thread.sleep(50);",
                ":metrics",
                ":stop",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        assertTrue(s.out().matches("(?s).*step \\d+/100000.*"), "status line missing:\n" + s.out());
        assertTrue(s.out().contains("stopped after step"), s.out());
        assertTrue(Checkpoints.latest(out) != null, "no checkpoint after :stop: " + s.out());
    }

    @Test
    void sigtermDuringAScriptsTrainingSavesACheckpoint() throws Exception {
        Path model = tinyModel();
        Path out = dir.resolve("sigterm-run"), script = dir.resolve("long.grpo");
        Files.writeString(script, "var r = grpo().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\"))"
                + ".reward(accuracy()).numGenerations(4).perDeviceTrainBatchSize(4).maxCompletionLength(6).maxSteps(1000000)"
                + ".loggingSteps(1).outputDir(\"" + out + "\").quiet();\ntrain(r);\n");
        Process p = new ProcessBuilder(Launcher.root().resolve("grpo").toString(), "run", script.toString())
                .directory(Launcher.root().toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        Path metrics = out.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + 240_000_000_000L;
        while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() >= 2)) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "training did not start: " + Files.readString(dir.resolve("log.txt")));
            Thread.sleep(100);
        }
        p.destroy(); // SIGTERM: ./grpo execs the JVM, so this reaches it
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the script did not stop after SIGTERM");
        String log = Files.readString(dir.resolve("log.txt"));
        assertEquals(130, p.exitValue(), log);
        assertTrue(log.contains("SIGTERM"), log);
        Path checkpoint = Checkpoints.latest(out);
        assertTrue(checkpoint != null, "no checkpoint after SIGTERM:\n" + log);
        Transformer.load(checkpoint, new CpuBackend());
    }
}
