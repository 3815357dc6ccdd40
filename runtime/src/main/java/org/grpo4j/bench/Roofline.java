package org.grpo4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ParameterLayout;

/**
 * The bounds a benchmark phase chases: FLOPs ÷ the machine's fp32 peak and bytes ÷ the memory bandwidth measured in
 * the same run. The peak is {@code -Dgrpo4j.peakGflops} (default 450: 2 Zen 5 cores, two 512-bit FMA pipes each,
 * {@code ../shared/spec/bench.md}); the bandwidth is timed here by parallel reads: of 256 MiB for memory, of a phase's own working set for a phase
 * that rereads it (decode's weights), which may stay in a cache.
 */
public final class Roofline {
    private Roofline() {}

    public static double peakGflops() {
        return Double.parseDouble(System.getProperty("grpo4j.peakGflops", "450"));
    }

    private static final java.util.Map<Long, Double> BANDWIDTH = new java.util.HashMap<>();

    /** Read bandwidth in bytes/s from memory (best of 5 parallel passes over 256 MiB, measured once per run). */
    public static double bandwidth() {
        return bandwidth(256L << 20);
    }

    /**
     * Read bandwidth in bytes/s over a buffer of {@code bytes}, read again and again (best of 5 timed rounds, each
     * at least 256 MiB of reads; measured once per size and run). A phase that reads the same bytes every step (decode
     * reads every weight once per step) is bounded by this: a buffer that fits a cache level ({@link #level}) measures
     * that level, not memory.
     */
    public static synchronized double bandwidth(long bytes) {
        long n = Math.max(1L << 12, Math.min(1L << 30, bytes / 4));
        Double known = BANDWIDTH.get(n);
        if (known != null) return known;
        float[] a = new float[(int) n];
        java.util.Arrays.fill(a, 1f);
        int passes = (int) Math.max(1, (256L << 20) / (4 * n));
        double best = 0;
        float[] sink = new float[64];
        int grain = Math.max(1 << 12, a.length / (4 * Parallel.threads()));
        for (int round = 0; round < 6; round++) {
            long t0 = System.nanoTime();
            for (int pass = 0; pass < passes; pass++)
                Parallel.forRange(a.length, grain, (from, to) -> {
                    float s = 0;
                    var S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
                    // four independent sums: one chain of vector adds is bound by the add's latency, not by the reads
                    var acc0 = jdk.incubator.vector.FloatVector.zero(S);
                    var acc1 = acc0;
                    var acc2 = acc0;
                    var acc3 = acc0;
                    int i = from, w = S.length();
                    for (int upper = from + (to - from) / (4 * w) * (4 * w); i < upper; i += 4 * w) {
                        acc0 = acc0.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i));
                        acc1 = acc1.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + w));
                        acc2 = acc2.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + 2 * w));
                        acc3 = acc3.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + 3 * w));
                    }
                    for (; i < to; i++) s += a[i];
                    sink[(from / grain) & 63] += s + acc0.add(acc1).add(acc2).add(acc3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
                });
            if (round > 0) best = Math.max(best, 4.0 * a.length * passes / ((System.nanoTime() - t0) * 1e-9)); // round 0 warms the JIT and the caches
        }
        BANDWIDTH.put(n, best);
        return best;
    }

    /**
     * Where a buffer of {@code bytes} read by all threads stays between passes: "L2 (2 × 2 MiB)", "L3 (480 MiB)" or
     * "memory", from the cache sizes Linux reports (each thread reads its share of the buffer; "memory" where they are unknown).
     */
    public static String level(long bytes) {
        long l2 = cacheBytes(2), l3 = cacheBytes(3);
        int t = Parallel.threads();
        if (l2 > 0 && bytes <= l2 * t) return String.format("L2 (%d × %s)", t, size(l2));
        if (l3 > 0 && bytes <= l3) return String.format("L3 (%s)", size(l3));
        return "memory";
    }

    /** Size of cpu0's unified or data cache of {@code level}, from sysfs; -1 where unknown. */
    private static long cacheBytes(int level) {
        try (var dirs = Files.list(Path.of("/sys/devices/system/cpu/cpu0/cache"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                if (!d.getFileName().toString().startsWith("index")) continue;
                if (Integer.parseInt(Files.readString(d.resolve("level")).trim()) != level) continue;
                if (Files.readString(d.resolve("type")).trim().equals("Instruction")) continue;
                String sz = Files.readString(d.resolve("size")).trim();
                long mult = sz.endsWith("K") ? 1L << 10 : sz.endsWith("M") ? 1L << 20 : 1;
                return Long.parseLong(sz.replaceAll("[^0-9]", "")) * mult;
            }
        } catch (Exception e) {
            // not Linux, or no cache information
        }
        return -1;
    }

    private static String size(long b) {
        return b >= 1L << 20 ? (b >> 20) + " MiB" : (b >> 10) + " KiB";
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
