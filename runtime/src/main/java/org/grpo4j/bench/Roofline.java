package org.grpo4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;

/**
 * The bounds a benchmark phase chases: FLOPs ÷ the machine's fp32 peak and bytes ÷ the memory bandwidth measured in
 * the same run. The peak is {@code -Dgrpo4j.peakGflops} (default 450: 2 Zen 5 cores, two 512-bit FMA pipes each,
 * {@code ../shared/spec/bench.md}); the bandwidth is timed here by a parallel read of 256 MiB.
 */
public final class Roofline {
    private Roofline() {}

    public static double peakGflops() {
        return Double.parseDouble(System.getProperty("grpo4j.peakGflops", "450"));
    }

    private static double bandwidth;

    /** Read bandwidth in bytes/s (best of 5 parallel passes over 256 MiB, measured once per run). */
    public static synchronized double bandwidth() {
        if (bandwidth > 0) return bandwidth;
        float[] a = new float[64 << 20];
        java.util.Arrays.fill(a, 1f);
        double best = 0;
        float[] sink = new float[64];
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            Parallel.forRange(a.length, 1 << 20, (from, to) -> {
                float s = 0;
                var S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
                var acc = jdk.incubator.vector.FloatVector.zero(S);
                int i = from;
                for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) acc = acc.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i));
                for (; i < to; i++) s += a[i];
                sink[(from >>> 20) & 63] += s + acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            });
            best = Math.max(best, 4.0 * a.length / ((System.nanoTime() - t0) * 1e-9));
        }
        bandwidth = best;
        return best;
    }

    /** Multiply-add FLOPs of the projections per token (every layer's q/k/v, o, gate/up, down). */
    public static double layerFlopsPerToken(ModelConfig c) {
        double d = c.hiddenSize(), a = (double) c.numHeads() * c.headDim(), F = c.intermediateSize();
        return 2 * c.numLayers() * (c.qkvDim() * d + d * a + 2 * F * d + d * F);
    }

    /** Forward FLOPs of {@code sequences} sequences of {@code len} tokens with {@code targets} scored tokens in all. */
    public static double forwardFlops(ModelConfig c, int sequences, int len, int targets) {
        double attention = 2.0 * c.numLayers() * c.numHeads() * c.headDim() * (double) len * (len + 1) * sequences;
        return layerFlopsPerToken(c) * sequences * len + attention + 2.0 * c.vocabSize() * c.hiddenSize() * targets;
    }

    /** Bytes of fp32 weights a decode step reads: every layer's matrices and norms, and the output head. */
    public static double weightBytesPerStep(ModelConfig c) {
        long all = new ParameterLayout(c).size(), embedding = (long) c.vocabSize() * c.hiddenSize();
        // an untied model still reads one V × d matrix per step (the head), not the embedding table
        return 4.0 * (c.tieWordEmbeddings() ? all : all - embedding);
    }

    /** The resident set's peak (VmHWM) in bytes: heap and native memory, or -1 where /proc is missing. */
    public static long peakResidentBytes() {
        return procStatus("VmHWM:");
    }

    /** The resident set now (VmRSS) in bytes, or -1 where /proc is missing. */
    public static long residentBytes() {
        return procStatus("VmRSS:");
    }

    private static long procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** {@code "bound: X (FLOPs ÷ peak …), reached Y%"} for a phase that took {@code seconds}. */
    public static String computeBound(double flops, double seconds) {
        double bound = flops / (peakGflops() * 1e9);
        return String.format("compute bound %.1f ms (%.1f GFLOP ÷ %.0f GFLOP/s peak), reached %.0f%% (%.0f GFLOP/s)",
                bound * 1e3, flops / 1e9, peakGflops(), 100 * bound / seconds, flops / seconds / 1e9);
    }
}
