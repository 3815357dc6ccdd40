package org.grpo4j.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.MpiJob;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT under {@code mpirun -np 2}: two ranks accumulating 1 micro-batch each take the step one process takes with 2. */
public class SftDataParallelTest {

    @Test
    void twoRanksTakeTheStepOfOneProcessWithTwiceTheAccumulation(@TempDir Path dir) throws Exception {
        Path one = dir.resolve("one"), two = dir.resolve("two");
        SftDataParallelProbe.main0(one, 2, 3);
        MpiJob.runOk(2, SftDataParallelProbe.class, two.toString(), "1", "3");
        // the summed gradients differ only in rounding: the ranks' parts are added in another order than one process
        // accumulates them. AdamW's g/√v magnifies that for near-zero gradients, so the gradient (in the first moment,
        // (1 − β1)·Σ of the steps' gradients) is held to 1e-6 and the weights to 1e-5.
        double grad = maxRelativeDifference(firstMoment(one.resolve("checkpoint-3")), firstMoment(two.resolve("checkpoint-3")));
        double rel = maxRelativeDifference(weights(one.resolve("checkpoint-3")), weights(two.resolve("checkpoint-3")));
        System.out.printf("SFT, 2 ranks × GA 1 vs 1 process × GA 2, 3 steps: max |Δm| / max |m| = %.3g, max |Δw| / max |w| = %.3g%n", grad, rel);
        assertTrue(grad <= 1e-6, "max |Δm| / max |m| = " + grad);
        assertTrue(rel <= 1e-5, "max |Δw| / max |w| = " + rel);
        assertEquals(Files.readAllLines(one.resolve("metrics.jsonl")).size(), Files.readAllLines(two.resolve("metrics.jsonl")).size());
    }

    static float[] firstMoment(Path checkpoint) throws Exception {
        try (var f = org.grpo4j.safetensors.SafetensorsFile.open(checkpoint.resolve("optimizer.safetensors"))) {
            return f.readFloats("exp_avg");
        }
    }

    /** max |a − b| / max |a|. */
    public static double maxRelativeDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        }
        return maxDiff / maxAbs;
    }

    static float[] weights(Path checkpoint) throws Exception {
        Transformer t = Transformer.load(checkpoint, new CpuBackend());
        return t.backend().read(t.params());
    }
}
