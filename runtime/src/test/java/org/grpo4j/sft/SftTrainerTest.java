package org.grpo4j.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.grpo4j.train.SettingsBuilder;

class SftTrainerTest {
    static ModelConfig config() {
        return new ModelConfig(Architecture.LLAMA, 16, 32, 64, 2, 4, 2, 8, 1e-6f, 1e4, null, true, 64, false, -1, new int[] {1}, "float32");
    }

    /** Copy task: the completion repeats the prompt, then EOS (id 1). */
    static List<SftExample> data(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 2 + rng.nextInt(4);
            int[] p = new int[len + 1], c = new int[len + 1];
            for (int j = 0; j < len; j++) p[j] = c[j] = 2 + rng.nextInt(14);
            p[len] = 0; // separator
            c[len] = 1;
            out.add(new SftExample(p, c));
        }
        return out;
    }

    SettingsBuilder<SftConfig> settings(Path out) {
        return SftConfig.builder().set("learning_rate", 3e-3).set("per_device_train_batch_size", 8).set("gradient_accumulation_steps", 2)
                .set("lr_scheduler_type", "constant").set("logging_steps", 1000).set("save_steps", 1000).set("output_dir", out.toString());
    }

    @Test
    void lossFallsOnACopyTaskAndCheckpointsLoadAsModels(@TempDir Path dir) throws Exception {
        Transformer m = Transformer.create(config(), new CpuBackend()).initialise(1, 0.05);
        List<SftExample> train = data(2000, 1), eval = data(32, 2);
        SftTrainer t = new SftTrainer(m, settings(dir).set("max_steps", 150).build(), train, eval, null, null, null);
        double before = t.evaluate();
        SftTrainer.Result r = t.train();
        assertEquals(150, r.steps());
        assertTrue(r.evalLoss() < 0.7 * before, "held-out loss " + before + " -> " + r.evalLoss());
        Path ck = Checkpoints.latest(dir);
        assertEquals("checkpoint-150", ck.getFileName().toString());
        Transformer loaded = Transformer.load(ck, new CpuBackend());
        assertArrayEquals(m.backend().read(m.params()), loaded.backend().read(loaded.params()));
        assertTrue(Files.readAllLines(dir.resolve("metrics.jsonl")).get(0).contains("\"loss\""));
    }

    @Test
    void threeStepsResumeThreeStepsEqualsSixSteps(@TempDir Path dir) throws Exception {
        List<SftExample> train = data(40, 3);
        Transformer a = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        new SftTrainer(a, settings(dir.resolve("a")).set("max_steps", 6).set("packing", true).set("max_length", 8).build(), train, null, null, null, null).train();

        Transformer b = Transformer.create(config(), new CpuBackend()).initialise(5, 0.05);
        new SftTrainer(b, settings(dir.resolve("b")).set("max_steps", 6).set("packing", true).set("max_length", 8).build(), train, null, null, null,
                stopAfter(3)).train();
        Transformer c = Transformer.create(config(), new CpuBackend()).initialise(99, 0.05); // weights come from the checkpoint
        new SftTrainer(c, settings(dir.resolve("b")).set("max_steps", 6).set("packing", true).set("max_length", 8).set("resume_from_checkpoint", true).build(),
                train, null, null, null, null).train();
        assertArrayEquals(a.backend().read(a.params()), c.backend().read(c.params()));
    }

    /** A stop signal that fires once three optimiser steps are done (checked between steps). */
    static org.grpo4j.train.StopSignal stopAfter(int steps) {
        return new org.grpo4j.train.StopSignal() {
            int calls;

            @Override
            public boolean requested() {
                return calls++ >= steps;
            }
        };
    }
}
