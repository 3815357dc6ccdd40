package org.grpo4j.grpo;

import static org.grpo4j.grpo.GrpoTrainerTest.config;
import static org.grpo4j.grpo.GrpoTrainerTest.settings;
import static org.grpo4j.grpo.GrpoTrainerTest.stoppingAfter;
import static org.grpo4j.grpo.GrpoTrainerTest.trainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: a run owns its output folder, checkpoints are whole, resume is exact and the logs are TRL's. */
class OutputDirTest {
    @TempDir
    Path dir;

    static Transformer model(long seed) {
        return Transformer.create(config(), new CpuBackend()).initialise(seed, 0.05);
    }

    static List<Integer> steps(Path metrics) throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<Integer> out = new ArrayList<>();
        for (String l : Files.readAllLines(metrics)) {
            JsonNode n = m.readTree(l);
            if (n.has("loss")) out.add(n.get("step").asInt()); // the final evaluation is a separate row of the last step
        }
        return out;
    }

    @Test
    void runningOutOfMemoryStopsWithACheckpointAndNamesTheSettingsToLower() throws Exception {
        Path out = dir.resolve("run");
        int[] calls = {0};
        // the decoder runs on the trainer's thread: from the third generation batch on, it "runs out of memory"
        java.util.function.Function<int[], String> decoder = ids -> {
            if (++calls[0] > 2 * 16) throw new OutOfMemoryError("Java heap space");
            return "";
        };
        GrpoTrainer t = new GrpoTrainer(model(5), settings(out).set("max_steps", 10).build(),
                new GrpoTask(GrpoTrainerTest.prompts(16, 1), List.of(), List.of(GrpoTrainerTest.CONTAINS), decoder, new int[0], null), null, null);
        var e = assertThrows(IllegalStateException.class, t::train);
        assertTrue(e.getMessage().startsWith("out of memory at step 2 (heap limit "), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoint saved to " + out.resolve("checkpoint-2")) && e.getMessage().contains("per_device_train_batch_size"),
                e.getMessage());
        assertTrue(Files.exists(out.resolve("checkpoint-2/model.safetensors")));
    }

    @Test
    void aSecondRunIntoAFolderThatALiveRunHoldsIsRefused() throws Exception {
        Path out = dir.resolve("run");
        try (Checkpoints.RunLock live = Checkpoints.openRun(out, false, false, null)) {
            var e = assertThrows(IllegalStateException.class, () -> trainer(model(5), settings(out).set("max_steps", 1).build(), null).train());
            assertTrue(e.getMessage().contains("is in use by another training run (pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        trainer(model(5), settings(out).set("max_steps", 1).build(), null).train(); // the lock ends with its run
    }

    @Test
    void aFreshRunIntoAnEarlierRunsFolderIsRefusedUnlessOverwriteOutputDir() throws Exception {
        Path out = dir.resolve("run");
        trainer(model(5), settings(out).set("max_steps", 4).set("save_steps", 2).build(), null).train();
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")));
        var e = assertThrows(IllegalStateException.class, () -> trainer(model(5), settings(out).set("max_steps", 2).build(), null).train());
        assertTrue(e.getMessage().contains("already holds checkpoints of an earlier run (checkpoint-2, checkpoint-4)")
                && e.getMessage().contains("overwrite_output_dir = true") && e.getMessage().contains("resume_from_checkpoint = true"), e.getMessage());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")), "a refused run touches nothing");

        // with overwrite_output_dir the earlier run's checkpoints and logs go first, so save_total_limit = 1 keeps this run's own
        GrpoTrainer.Result r = trainer(model(5), settings(out).set("max_steps", 2).set("save_steps", 1).set("save_total_limit", 1)
                .set("overwrite_output_dir", true).build(), null).train();
        assertEquals(out.resolve("checkpoint-2"), r.lastCheckpoint());
        assertTrue(Files.isDirectory(r.lastCheckpoint()), "the path the run reports exists");
        assertEquals(List.of(r.lastCheckpoint()), Checkpoints.list(out));
        assertEquals(List.of(1, 2), steps(out.resolve("metrics.jsonl")));
    }

    @Test
    void leftoversOfAnInterruptedSaveOrRotationAreCleanedAtStart() throws Exception {
        Path out = dir.resolve("run");
        trainer(model(5), settings(out).set("max_steps", 2).set("save_steps", 1).build(), null).train();
        // a kill while rotating (renamed away, half deleted), while saving (temp folder) and while replacing checkpoint-1
        Files.move(out.resolve("checkpoint-1"), out.resolve(".checkpoint-1.old"));
        Files.createDirectories(out.resolve(".checkpoint-3.tmp"));
        Files.createDirectories(out.resolve(".checkpoint-7.deleting"));
        Files.writeString(out.resolve(".checkpoint-7.deleting/config.json"), "{}");
        var log = new java.io.ByteArrayOutputStream();
        try (var lock = Checkpoints.openRun(out, true, false, new java.io.PrintStream(log, true))) {
            assertFalse(Files.exists(out.resolve(".checkpoint-3.tmp")));
            assertFalse(Files.exists(out.resolve(".checkpoint-7.deleting")));
            assertTrue(Files.exists(out.resolve("checkpoint-1/model.safetensors")), "the old copy is put back");
        }
        assertTrue(log.toString().contains("removed " + out.resolve(".checkpoint-7.deleting") + " (left by an interrupted rotation)"), log.toString());
    }

    @Test
    void aStopInsideAGenerationBatchFinishesTheBatchSoTheResumeIsExact() throws Exception {
        // num_iterations 4: each generation batch makes four optimiser steps on the same rollouts
        var cfg = settings(dir).set("num_iterations", 4).set("max_steps", 8).set("beta", 0.04).build();
        Transformer a = model(5);
        trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();

        Transformer b = model(5);
        // asked to stop after the batch's first of four steps
        GrpoTrainer stopping = stoppingAfter(1, b, cfg.with("output_dir", dir.resolve("b").toString()));
        GrpoTrainer.Result stopped = stopping.train();
        assertTrue(stopped.stopped());
        assertEquals(4, stopped.steps(), "the batch's four steps finish before the checkpoint");
        assertTrue(Files.exists(stopped.lastCheckpoint().resolve("reference/model.safetensors")), "reference/ is part of the checkpoint");
        Transformer c = model(77);
        trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null).train();
        assertArrayEquals(a.backend().read(a.params()), c.backend().read(c.params()));
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), steps(dir.resolve("b/metrics.jsonl")));
    }

    @Test
    void aResumeRewritesTheStepsAfterItsCheckpointOnceAndTrainerStateIsTrls() throws Exception {
        Path out = dir.resolve("run");
        var cfg = settings(out).set("max_steps", 4).set("save_steps", 2).build();
        trainer(model(5), cfg, null).train();
        // as after a kill at step 4 whose last checkpoint was step 2: steps 3 and 4 are in metrics.jsonl already
        trainer(model(77), cfg.with("resume_from_checkpoint", out.resolve("checkpoint-2").toString()), null).train();
        assertEquals(List.of(1, 2, 3, 4), steps(out.resolve("metrics.jsonl")));
        // TRL's completions table: one column per reward function beside the summed reward and the advantage
        JsonNode row = new ObjectMapper().readTree(Files.readAllLines(out.resolve("completions.jsonl")).getFirst());
        assertTrue(row.has("contains") && row.has("reward") && row.has("advantage") && row.has("prompt") && row.has("completion"), row.toString());
        assertEquals(row.get("reward").asDouble(), row.get("contains").asDouble(), 0.0, "one function: its column is the reward");

        JsonNode st = new ObjectMapper().readTree(out.resolve("checkpoint-4/trainer_state.json").toFile());
        assertEquals(4, st.get("global_step").asInt());
        assertTrue(st.get("epoch").isDouble() && st.get("epoch").asDouble() > 0, st.toString());
        assertEquals(4, st.get("max_steps").asInt());
        JsonNode h = st.get("log_history");
        assertEquals(5, h.size(), h.toString()); // four training steps, then the final evaluation as its own entry, as TRL logs it
        assertTrue(h.get(4).has("eval/accuracy") && h.get(4).get("step").asInt() == 4, h.get(4).toString());
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, h.get(i).get("step").asInt());
            assertTrue(h.get(i).has("loss") && h.get(i).has("reward") && h.get(i).has("epoch"), h.get(i).toString());
        }
        // TRL's save_model: the final model (and the state) at the root of output_dir, loadable as a model folder
        Transformer root = Transformer.load(out, new CpuBackend());
        Transformer last = Transformer.load(out.resolve("checkpoint-4"), new CpuBackend());
        assertArrayEquals(last.backend().read(last.params()), root.backend().read(root.params()));
        assertTrue(Files.exists(out.resolve("trainer_state.json")));
        assertFalse(Files.exists(out.resolve("optimizer.safetensors")));
    }
}
