package org.grpo4j.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.distributed.Job;
import org.grpo4j.generate.Generator;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.train.DataParallel;

/**
 * {@code grpo bench grpo-step --config bench-m --nproc N}: the GRPO step of workload W as N MPI ranks with one
 * share of the cores each against one process with all of them, on the same global batch (N·k prompts, k per
 * rank). Prints both by phase, the all-reduce's time and bytes, the scaling efficiency, and what a run on N
 * machines would reach at 25 and 100 Gbit/s by the ring all-reduce's cost: each rank sends and receives
 * 2(N−1)/N of the gradient bytes per step.
 */
final class ScalingBenchmark {
    private ScalingBenchmark() {}

    private static final String[] PHASES = {"generation", "reference", "policy fwd+bwd", "optimizer", "step"};

    static void run(String config, int nproc, int steps, int warmup) throws Exception {
        ModelConfig c = BenchModels.named(config);
        int cores = Runtime.getRuntime().availableProcessors(), perRank = Math.max(1, cores / nproc);
        int prompts = Math.max(GrpoStepBenchmark.PROMPTS / nproc, 1), globalPrompts = prompts * nproc;
        System.out.printf("# %s, %d prompts × G %d per step: %d rank(s) × %d thread(s) vs 1 process × %d threads%n", config, globalPrompts,
                GrpoStepBenchmark.G, nproc, perRank, nproc * perRank);
        Parallel.setThreads(nproc * perRank);
        double[] one = measure(c, Communicator.single(), globalPrompts, steps, warmup, 7).phases();
        Map<String, Double> ranks = launch(config, nproc, prompts, steps, warmup);
        System.out.printf("%-16s %12s %12s%n", "phase (ms)", "1 process", nproc + " ranks");
        for (int k = 0; k < PHASES.length; k++) System.out.printf("%-16s %12.1f %12.1f%n", PHASES[k], one[k], ranks.get("p" + k));
        double bytes = ranks.get("bytes"), allReduce = ranks.get("allreduce");
        System.out.printf("all-reduce: %.1f ms for %.1f MB of gradients per step (%.2f GB/s algorithm bandwidth)%n", allReduce, bytes / 1e6,
                bytes / (allReduce / 1e3) / 1e9);
        double efficiency = one[4] / ranks.get("p4");
        System.out.printf("step: %.1f ms with %d ranks, %.1f ms in one process%n", ranks.get("p4"), nproc, one[4]);
        System.out.printf("scaling efficiency: %.0f%% (same global batch; 100%% = %d ranks as fast as one process with all the cores)%n",
                100 * efficiency, nproc);
        project(one[4], bytes);
    }

    /**
     * Weak scaling over machines: each runs this step (one process, all cores) on its own share, then the ring
     * all-reduce moves 2(N−1)/N × the gradient bytes over its link.
     */
    private static void project(double computeMs, double bytes) {
        System.out.printf("# projected for N machines (each: this step, %.0f ms), ring all-reduce of %.1f MB, latency ignored:%n", computeMs, bytes / 1e6);
        for (double gbit : new double[] {25, 100}) {
            StringBuilder line = new StringBuilder(String.format("# %3.0f Gbit/s:", gbit));
            for (int n : new int[] {2, 4, 8, 16, 64}) {
                double ms = 2.0 * (n - 1) / n * bytes / (gbit * 1e9 / 8) * 1e3;
                line.append(String.format("  N=%d %.0f%% (%.0f ms)", n, 100 * computeMs / (computeMs + ms), ms));
            }
            System.out.println(line);
        }
    }

    /** Medians of the step's phases (ms) and of a gradient all-reduce alone. */
    private record Measured(double[] phases, double allReduceMs, double bytes) {}

    private static Measured measure(ModelConfig c, Communicator comm, int prompts, int steps, int warmup, long seed) {
        Transformer policy = Transformer.create(c, new CpuBackend()).initialise(1, 0.02), ref = Transformer.create(c, policy.backend());
        ref.copyFrom(policy);
        ref.fixWeights(true); // as GrpoTrainer's reference
        AdamW opt = new AdamW(policy, new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
        Generator generator = new Generator(policy);
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] t = new double[PHASES.length][steps];
        double[] reduce = new double[steps];
        for (int s = -warmup; s < steps; s++) {
            comm.barrier();
            long[] at = GrpoStepBenchmark.step(c, policy, ref, opt, generator, rng, s + 100, null, prompts, comm);
            comm.barrier();
            long r0 = System.nanoTime();
            DataParallel.combineGradients(policy, comm, 1f);
            long r1 = System.nanoTime();
            if (s < 0) continue;
            t[0][s] = (at[1] - at[0]) * 1e-6;
            t[1][s] = (at[3] - at[2]) * 1e-6;
            t[2][s] = (at[4] - at[3]) * 1e-6;
            t[3][s] = (at[5] - at[4]) * 1e-6;
            t[4][s] = (at[5] - at[0]) * 1e-6;
            reduce[s] = (r1 - r0) * 1e-6;
        }
        double[] med = new double[PHASES.length];
        for (int k = 0; k < med.length; k++) med[k] = Stats.median(t[k]);
        return new Measured(med, Stats.median(reduce), 4.0 * policy.layout().size());
    }

    /** Runs the ranks under mpirun and reads rank 0's figures. */
    private static Map<String, Double> launch(String config, int nproc, int prompts, int steps, int warmup) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--oversubscribe", "--bind-to", "none", "-np", "" + nproc,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx3g", "-cp", System.getProperty("java.class.path"), ScalingBenchmark.class.getName(),
                config, "" + prompts, "" + steps, "" + warmup));
        if ("root".equals(System.getProperty("user.name"))) cmd.add(1, "--allow-run-as-root");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("--nproc runs the ranks with Open MPI's mpirun, which is not installed; install it with apt-get install openmpi-bin");
        }
        Map<String, Double> out = new HashMap<>();
        StringBuilder log = new StringBuilder();
        try (var r = p.inputReader()) {
            for (String line; (line = r.readLine()) != null; ) {
                log.append(line).append('\n');
                if (!line.startsWith("rank-result ")) continue;
                for (String kv : line.substring("rank-result ".length()).split(" ")) {
                    String[] f = kv.split("=");
                    out.put(f[0], Double.parseDouble(f[1]));
                }
            }
        }
        if (p.waitFor() != 0 || out.isEmpty()) throw new IllegalStateException("the " + nproc + " ranks failed:\n" + log);
        return out;
    }

    /** One rank: args = config, prompts per rank, steps, warmup. Rank 0 prints its medians on one line. */
    public static void main(String[] args) {
        Communicator comm = Communicator.fromEnvironment();
        System.exit(Job.run(comm, () -> {
            Measured m = measure(BenchModels.named(args[0]), comm, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    7 + comm.rank());
            if (comm.isRoot()) {
                StringBuilder line = new StringBuilder("rank-result");
                for (int k = 0; k < PHASES.length; k++) line.append(" p").append(k).append('=').append(m.phases()[k]);
                System.out.println(line.append(" allreduce=").append(m.allReduceMs()).append(" bytes=").append(m.bytes()));
            }
            return 0;
        }));
    }
}
