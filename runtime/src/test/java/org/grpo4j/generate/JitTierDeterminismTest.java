package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.Transformer;
import org.junit.jupiter.api.Test;

/**
 * The same bits in every JIT tier: a forward, its backward and a sampled generate call on a tiny model give the same
 * digests in an interpreter-only JVM ({@code -Xint}) as here, after enough calls for C2 to compile the kernels. An
 * operation whose bits depend on the tier (the Vector API's EXP, an unspecified lane-reduction order) makes a run
 * depend on when methods got compiled, and bit-for-bit tests flake on a cold JVM.
 */
class JitTierDeterminismTest {

    /** Digests of one forward + backward and one generate call; {@code reps} rounds, the last one's. */
    static String digests(int reps) {
        Transformer m = GeneratorTest.model(Architecture.QWEN2);
        SamplingParams p = SamplingParams.defaults().withNumGenerations(5).withTemperature(1.1).withMaxCompletionLength(40)
                .withIgnoreEos(true).withSeed(11);
        int[] seq = GeneratorTest.concat(GeneratorTest.PROMPTS.get(1), new int[] {3, 4, 5, 6, 7, 8, 9, 10});
        String first = null, d = null;
        for (int r = 0; r < reps; r++) {
            CRC32 fwd = new CRC32(), grad = new CRC32(), gen = new CRC32();
            float[][] lp = GeneratorTest.fullLogSoftmax(m, seq, 3, 1.1f);
            float[] dLogp = new float[lp.length * lp[0].length];
            for (int i = 0; i < dLogp.length; i++) dLogp[i] = ((i * 7) % 11 - 5) / 64f;
            m.zeroGrad();
            m.backward(dLogp);
            for (float[] row : lp) for (float v : row) fwd.update(Float.floatToRawIntBits(v));
            for (float v : m.backend().read(m.grads())) grad.update(Float.floatToRawIntBits(v));
            for (Completion c : new Generator(m).generate(GeneratorTest.PROMPTS, p)) {
                for (int t : c.tokenIds()) gen.update(t);
                for (float v : c.logprobs()) gen.update(Float.floatToRawIntBits(v));
            }
            d = "forward " + Long.toHexString(fwd.getValue()) + ", gradients " + Long.toHexString(grad.getValue())
                    + ", generate " + Long.toHexString(gen.getValue());
            if (first == null) first = d;
            else assertEquals(first, d, "round " + r + " against round 0 in one JVM");
        }
        return d;
    }

    /** The forked side: one round, printed. */
    public static void main(String[] args) {
        System.out.println("DIGESTS " + digests(1));
    }

    @Test
    void theInterpreterComputesTheBitsOfCompiledCode() throws IOException, InterruptedException {
        String here = digests(40); // C2 compiles the sampler's and kernels' methods within ~20 rounds (h16c)
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xint", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-Xss8m"));
        for (String key : List.of("grpo4j.vectorBits", "grpo4j.sampler.vectorApiExp"))
            if (System.getProperty(key) != null) cmd.add("-D" + key + "=" + System.getProperty(key));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), JitTierDeterminismTest.class.getName()));
        Path log = Files.createTempFile("jit-tier", ".log");
        String out;
        try {
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean done = proc.waitFor(180, TimeUnit.SECONDS);
            if (!done) proc.destroyForcibly().waitFor();
            out = Files.readString(log);
            assertTrue(done, "the -Xint JVM did not finish in 180 s:\n" + out);
            assertEquals(0, proc.exitValue(), "the -Xint JVM failed:\n" + out);
        } finally {
            Files.deleteIfExists(log);
        }
        String forked = out.lines().filter(l -> l.startsWith("DIGESTS ")).findFirst().orElseThrow().substring(8);
        assertEquals(forked, here, "-Xint (expected) against this JVM after 40 rounds");
    }
}
