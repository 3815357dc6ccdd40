import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.bench.BenchModels;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;

/**
 * Writes the log-probs and entropies of {@code grpo bench train --config bench-m}'s batch (weights initialise(1, 0.02),
 * 16 sequences × 192 random ids from SplittableRandom(2), 128 scored tokens each) as little-endian floats: logp then
 * entropy. Run against an engine's runtime jar to pin its figures; the committed file
 * {@code runtime/src/main/resources/org/grpo4j/bench/bench-m-logp.bin} came from commit 6d03c05 (before issue 14's
 * speed work), and {@code bench train --config bench-m} compares today's engine with it (≤ 1e-5).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/grpo4j-runtime-*.jar:JACKSON_JARS tools/bench/BenchLogpFixture.java OUT.bin
 * </pre>
 */
public class BenchLogpFixture {
    public static void main(String[] args) throws Exception {
        ModelConfig c = BenchModels.named("bench-m");
        Transformer model = Transformer.create(c, new CpuBackend()).initialise(1, 0.02);
        SplittableRandom rng = new SplittableRandom(2);
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[16];
        for (int b = 0; b < 16; b++) {
            int[] ids = new int[192];
            for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(c.vocabSize());
            seqs.add(ids);
            first[b] = 64;
        }
        Transformer.Scores s = model.forward(TokenBatch.of(seqs, first), 1f);
        ByteBuffer buf = ByteBuffer.allocate(8 * s.logp().length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : s.logp()) buf.putFloat(v);
        for (float v : s.entropy()) buf.putFloat(v);
        try (FileOutputStream out = new FileOutputStream(args[0])) {
            out.write(buf.array());
        }
        System.out.println("wrote " + s.logp().length + " log-probs and entropies to " + args[0]);
    }
}
