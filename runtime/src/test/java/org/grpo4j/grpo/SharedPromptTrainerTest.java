package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GRPO step whose micro-batches share each group's prompt rows ({@code TokenBatch.of}, the default) logs the same loss,
 * KL, clipping, rewards and gradient norm as the step that packs every sequence whole ({@code -Dgrpo4j.sharedPrompts=false}).
 */
class SharedPromptTrainerTest {

    private static Map<String, Double> oneStep(Path dir, boolean share) throws Exception {
        String old = System.getProperty("grpo4j.sharedPrompts");
        System.setProperty("grpo4j.sharedPrompts", Boolean.toString(share));
        try {
            Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.3);
            GrpoConfig c = GrpoTrainerTest.settings(dir).set("max_steps", 1).set("beta", 0.04).build();
            GrpoTrainer t = GrpoTrainerTest.trainer(m, c, null);
            t.train();
            for (Map<String, Double> m1 : t.metricsLog().history()) if (m1.containsKey("loss")) return m1; // the step's line, not eval's
            throw new AssertionError("no step logged: " + t.metricsLog().history());
        } finally {
            if (old == null) System.clearProperty("grpo4j.sharedPrompts");
            else System.setProperty("grpo4j.sharedPrompts", old);
        }
    }

    @Test
    void aStepWithSharedPromptsLogsWhatTheUnsharedStepLogs(@TempDir Path dir) throws Exception {
        Map<String, Double> off = oneStep(dir.resolve("off"), false), on = oneStep(dir.resolve("on"), true);
        assertEquals(off.keySet(), on.keySet());
        int compared = 0;
        for (String k : off.keySet()) {
            if (k.startsWith("timing/") || k.contains("time") || k.contains("per_second") || k.contains("runtime")) continue; // wall-clock figures
            double a = off.get(k), b = on.get(k);
            assertEquals(a, b, 1e-5 * Math.max(1, Math.abs(a)), k);
            compared++;
        }
        assertTrue(off.containsKey("loss") && off.containsKey("kl") && off.containsKey("grad_norm"), "metrics: " + off.keySet());
        assertTrue(off.get("kl") != 0 || off.get("loss") != 0, "a step that moved something: " + off);
        assertTrue(compared > 5, "metrics compared: " + compared);
    }
}
