package org.grpo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.DType;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: checkpoint files are streamed (no whole-file heap buffer) and keep the weights' dtype. */
class CheckpointFilesTest {
    @TempDir
    Path dir;

    @Test
    void theWriterStreamsATensorWithoutAHeapBufferOfItsSize() throws Exception {
        CpuBackend be = new CpuBackend();
        int n = 3 * (1 << 20) + 5; // 12 MB of F32 in three and a bit chunks
        Tensor t = be.allocate(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.5f - 7;
        be.write(t, v);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        Path f = dir.resolve("big.safetensors");
        new SafetensorsWriter(Map.of()).add("x", DType.F32, new long[] {n}, be, t).write(f); // warm-up: class loading allocates too
        long before = threads.getThreadAllocatedBytes(id);
        new SafetensorsWriter(Map.of()).add("x", DType.F32, new long[] {n}, be, t).add("y", DType.BF16, new long[] {n}, be, t).write(f);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 6L << 20, "writing 18 MB of tensors allocated " + allocated + " bytes of heap; a chunk is 4 MB");
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertArrayEquals(v, sf.readFloats("x"));
            float[] y = sf.readFloats("y");
            for (int i = 0; i < n; i += 4099) assertEquals(v[i], y[i], Math.abs(v[i]) / 128 + 1e-6, "bf16 value " + i);
            assertEquals(DType.BF16, sf.info("y").dtype());
        }
    }

    static ModelConfig config() {
        return new ModelConfig(Architecture.QWEN2, 17, 8, 12, 1, 2, 1, 4, 1e-6f, 1e4, null, true, 32, true, -1, new int[] {1}, "bfloat16");
    }

    @Test
    void aBf16ModelIsCheckpointedAsBf16AndResumesFromItsExactF32Weights() throws Exception {
        Path hub = dir.resolve("hub-model");
        Transformer.create(config(), new CpuBackend()).initialise(3, 0.1).save(hub, DType.BF16);
        Transformer m = Transformer.load(hub, new CpuBackend());
        assertEquals(DType.BF16, m.weightsDtype());
        AdamW opt = new AdamW(m, AdamW.Settings.defaults());
        m.backend().fill(m.grads(), 0.37f);
        opt.step(1e-3); // the weights now have more bits than BF16 holds
        float[] trained = m.backend().read(m.params());

        Path ckpt = Checkpoints.save(dir.resolve("out"), m, opt, new TrainerState(1, 0, 1, 7, 0), null, 0);
        try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
            for (var e : f.tensors().entrySet()) assertEquals(DType.BF16, e.getValue().dtype(), e.getKey());
            float[] stored = f.readFloats("model.norm.weight");
            assertNotEquals(trained[(int) m.layout().param("model.norm.weight").offset()] , 0f);
            assertEquals(8, stored.length);
        }

        Transformer resumed = Transformer.load(hub, new CpuBackend());
        AdamW opt2 = new AdamW(resumed, AdamW.Settings.defaults());
        TrainerState s = Checkpoints.restore(ckpt, resumed, opt2);
        assertEquals(1, s.globalStep());
        assertArrayEquals(trained, resumed.backend().read(resumed.params()), "resume continues from the F32 master weights, not their BF16 rounding");
        assertEquals(DType.BF16, resumed.weightsDtype());
    }
}
