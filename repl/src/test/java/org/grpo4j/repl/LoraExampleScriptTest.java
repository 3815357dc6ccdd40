package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/arithmetic/grpo-lora.grpo} at tiny size, run as a user runs it: GRPO with LoRA on the shipped
 * model writes PEFT adapter checkpoints, and the adapter folded into the base by {@code grpo merge} evaluates
 * exactly as the trainer's own final evaluation.
 */
class LoraExampleScriptTest {
    @Test
    void loraGrpoWritesAdapterCheckpointsThatMergeBack(@TempDir Path out) throws Exception {
        Launcher.Run r = Launcher.run("", Map.of("GRPO_JAVA_OPTS", "-Darithmetic.lora.max_steps=2 -Darithmetic.lora.eval_size=6"
                + " -Darithmetic.lora.questions_per_step=2 -Darithmetic.lora.output_dir=" + out), "run", "examples/arithmetic/grpo-lora.grpo");
        r.assertEndsWithAccuracy("held-out accuracy");
        Matcher m = Pattern.compile("trainer's final evaluation: (\\S+)%, merged model: (\\S+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(m.group(1), m.group(2), "the merged adapter evaluates as the trained policy");
        Path checkpoint = Checkpoints.latest(out);
        assertTrue(Files.exists(checkpoint.resolve(PeftAdapter.CONFIG)) && Files.exists(checkpoint.resolve(PeftAdapter.WEIGHTS)), "a PEFT checkpoint");
        assertTrue(Files.exists(out.resolve("merged/model.safetensors")));
    }
}
