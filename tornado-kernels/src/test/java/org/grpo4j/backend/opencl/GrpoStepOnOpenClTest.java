package org.grpo4j.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.grpo.GrpoTask;
import org.grpo4j.grpo.GrpoTrainer;
import org.grpo4j.grpo.Prompt;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole GRPO steps — generation with a fixed seed, reference log-probs, the loss, the backward and AdamW — on the
 * OpenCL backend against the CPU backend: the same completions and rewards, and weights within what AdamW's
 * sign-like first steps allow (a near-zero gradient that differs in its last bits can move a weight by ±lr).
 */
class GrpoStepOnOpenClTest {
    @TempDir
    Path dir;

    static final RewardFunction SEVENS = new RewardFunction() {
        public String name() {
            return "sevens";
        }

        public double[] score(List<Sample> samples) {
            double[] r = new double[samples.size()];
            for (int i = 0; i < r.length; i++) for (int id : samples.get(i).completionIds()) if (id == 7) r[i] += 0.5;
            return r;
        }
    };

    Transformer train(Backend backend, String name) throws Exception {
        ModelConfig c = new ModelConfig(Architecture.QWEN2, 24, 32, 64, 2, 4, 2, 8, 1e-6f, 1e4, null, true, 64, true, -1, new int[] {0}, "float32");
        Transformer m = Transformer.create(c, backend).initialise(3, 0.05);
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) prompts.add(new Prompt(i, new int[] {1 + i, 2 + i, 3 + i}, "p" + i, Map.of()));
        GrpoConfig cfg = GrpoConfig.builder().set("num_generations", 4).set("per_device_train_batch_size", 8).set("max_completion_length", 5)
                .set("learning_rate", 1e-3).set("beta", 0.04).set("loss_type", "grpo").set("max_steps", 2).set("logging_steps", 1)
                .set("save_steps", 1000).set("output_dir", dir.resolve(name).toString()).build();
        new GrpoTrainer(m, cfg, new GrpoTask(prompts, null, List.of(SEVENS), null, new int[0], null), null, null).train();
        return m;
    }

    @Test
    void twoStepsOnOpenClMatchTheCpu() throws Exception {
        Transformer cpu = train(new CpuBackend(), "cpu");
        try (var session = TestDevice.open(); OpenClBackend cl = new OpenClBackend(session)) {
            Transformer dev = train(cl, "opencl");
            List<String> a = Files.readAllLines(dir.resolve("cpu/completions.jsonl")), b = Files.readAllLines(dir.resolve("opencl/completions.jsonl"));
            assertEquals(a.size(), b.size());
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < a.size(); i++)
                assertEquals(json.readTree(a.get(i)).get("reward").asDouble(), json.readTree(b.get(i)).get("reward").asDouble(), 0, "sampled completions differ");
            List<String> ma = Files.readAllLines(dir.resolve("cpu/metrics.jsonl")), mb = Files.readAllLines(dir.resolve("opencl/metrics.jsonl"));
            for (int i = 0; i < ma.size(); i++)
                for (String k : new String[] {"loss", "kl", "grad_norm", "reward"}) {
                    double x = json.readTree(ma.get(i)).get(k).asDouble(), y = json.readTree(mb.get(i)).get(k).asDouble();
                    assertEquals(x, y, 1e-4 + 1e-3 * Math.abs(x), "step " + (i + 1) + " " + k);
                }
            float[] p = cpu.backend().read(cpu.params()), q = dev.backend().read(dev.params());
            int moved = 0;
            for (int i = 0; i < p.length; i++) {
                float d = Math.abs(p[i] - q[i]);
                assertTrue(d <= 2 * 2e-3 + 1e-5, "weight " + i + " differs by " + d);
                if (d > 1e-5) moved++;
            }
            assertTrue(moved < p.length / 100, moved + " of " + p.length + " weights differ by more than 1e-5");
        }
    }
}
