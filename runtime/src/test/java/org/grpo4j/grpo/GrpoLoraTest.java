package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO with LoRA ({@code use_peft}) on the tiny model of {@link GrpoTrainerTest}: the reward rises while the base
 * weights stay bit-for-bit the same, the reference log-probs come from the base with the adapters off (beta > 0,
 * no second model), checkpoints are PEFT adapter folders that load back, and a resumed run equals an
 * uninterrupted one.
 */
class GrpoLoraTest {

    static org.grpo4j.train.SettingsBuilder<GrpoConfig> lora(Path dir) {
        return GrpoTrainerTest.settings(dir).set("use_peft", true).set("lora_r", 8).set("lora_alpha", 16).set("lora_dropout", 0.0)
                .set("lora_target_modules", "all-linear").set("learning_rate", 3e-2).set("beta", 0.04);
    }

    @Test
    void loraLearnsWithAFrozenBaseAndItsAdapterLoadsBack(@TempDir Path dir) throws Exception {
        // a base with real logit spread (std 0.3): LoRA adapts the linear layers, not the tiny tied embedding of std 0.02
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.3);
        float[] base = m.backend().read(m.params());
        GrpoTrainer t = GrpoTrainerTest.trainer(m, lora(dir).set("max_steps", 24).set("gradient_checkpointing", true).build(), null);
        GrpoTrainer.Result r = t.train();
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        ObjectMapper json = new ObjectMapper();
        double first = json.readTree(lines.get(0)).get("reward").asDouble(), lastReward = 0;
        assertTrue(first < 0.3, "first step's mean reward " + first);
        for (int i = lines.size() - 6; i < lines.size() - 1; i++) lastReward += json.readTree(lines.get(i)).get("reward").asDouble() / 5;
        assertTrue(lastReward > 0.8, "final mean reward " + lastReward + " (first step " + first + ")");
        assertTrue(r.evaluation().accuracy() > 0.5, "held-out greedy accuracy " + r.evaluation().accuracy());
        assertTrue(json.readTree(lines.get(3)).has("kl"), "beta > 0 logs the KL to the adapters-off reference");
        assertArrayEquals(base, m.backend().read(m.params()), "the base weights never change");

        Path ck = Checkpoints.latest(dir);
        assertTrue(Files.exists(ck.resolve(PeftAdapter.CONFIG)) && Files.exists(ck.resolve(PeftAdapter.WEIGHTS)), "a PEFT adapter checkpoint");
        assertTrue(!Files.exists(ck.resolve("model.safetensors")), "no copy of the base in a LoRA checkpoint");
        Transformer fresh = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.3);
        LoraAdapters loaded = PeftAdapter.load(ck, fresh.config(), fresh.backend());
        fresh.withLora(loaded);
        TokenBatch batch = TokenBatch.of(List.of(new int[] {3, 5, 9, 7, 7}), new int[] {3});
        assertArrayEquals(m.forward(batch, 1f).logp(), fresh.forward(batch, 1f).logp(), "the saved adapter reproduces the trained policy");
    }

    @Test
    void threeStepsResumeThreeStepsEqualsSixSteps(@TempDir Path dir) throws Exception {
        GrpoConfig cfg = lora(dir).set("max_steps", 6).set("lora_dropout", 0.1).build();
        Transformer a = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainerTest.trainer(a, cfg.with("output_dir", dir.resolve("a").toString()), null).train();

        Transformer b = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainer stopping = GrpoTrainerTest.stoppingAfter(3, b, cfg.with("output_dir", dir.resolve("b").toString()));
        assertEquals(3, stopping.train().steps());
        Transformer c = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        GrpoTrainer.Result resumed = GrpoTrainerTest.trainer(c, cfg.with("output_dir", dir.resolve("b").toString()).with("resume_from_checkpoint", true), null).train();
        assertEquals(6, resumed.steps());
        assertArrayEquals(a.backend().read(a.lora().params()), c.backend().read(c.lora().params()));
    }
}
