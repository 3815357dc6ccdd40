package org.grpo4j.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same seeded run twice in one JVM (cold, then JIT-compiled code) gives bitwise identical weights. */
class ReproducibilityTest {
    @Test
    void sameRunTwiceGivesIdenticalWeights(@TempDir Path dir) throws Exception {
        var t = new SftTrainerTest();
        var train = SftTrainerTest.data(40, 3);
        Transformer a = Transformer.create(SftTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        new SftTrainer(a, t.settings(dir.resolve("a")).set("max_steps", 3).set("packing", true).set("max_length", 8).build(), train, null, null, null, null).train();
        Transformer b = Transformer.create(SftTrainerTest.config(), new CpuBackend()).initialise(5, 0.05);
        new SftTrainer(b, t.settings(dir.resolve("b")).set("max_steps", 3).set("packing", true).set("max_length", 8).build(), train, null, null, null, null).train();
        assertArrayEquals(a.backend().read(a.params()), b.backend().read(b.params()));
    }
}
