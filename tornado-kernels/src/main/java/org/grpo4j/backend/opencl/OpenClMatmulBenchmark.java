package org.grpo4j.backend.opencl;

import java.util.Random;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.Tensor;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.bench.Stats;
import org.grpo4j.cli.Args;
import org.grpo4j.opencl.Cl;
import org.grpo4j.opencl.OpenCl;

/**
 * {@code grpo bench matmul-opencl [--device opencl:N]}: GFLOP/s of the OpenCL GEMM kernels in the three forms a
 * linear layer uses (NT forward, NN input gradient, TN weight gradient) at 1024³ and at bench-m's training shapes
 * (3072 rows: the 16×192 tokens of workload W), with the CPU backend's GEMM measured in the same run and the ratio.
 * Each figure is the median of {@code --reps} timed runs after warm-up, each run ending with {@code clFinish}.
 */
public final class OpenClMatmulBenchmark implements Benchmark {
    /** M × N × K as in {@code matmul(out[M,N], in[M,K], w[N,K])}. */
    private static final int[][] SHAPES = {{1024, 1024, 1024}, {3072, 512, 512}, {3072, 1376, 512}, {3072, 512, 1376}};

    @Override
    public String name() {
        return "matmul-opencl";
    }

    @Override
    public String summary() {
        return "GFLOP/s of the OpenCL GEMM kernels, NT/NN/TN at 1024³ and bench-m shapes, vs the CPU backend ([--device opencl:N] [--reps 5] [--no-cpu])";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-cpu");
    }

    @Override
    public void run(Args args) throws Exception {
        String device = args.get("device", "opencl");
        int reps = args.getInt("reps", 5), warmup = args.getInt("warmup", 2);
        boolean withCpu = !args.flag("no-cpu");
        args.rejectUnknown();
        if (Cl.unavailableReason() != null || OpenCl.devices().isEmpty()) {
            System.out.println("matmul-opencl: no OpenCL device here ("
                    + (Cl.unavailableReason() != null ? Cl.unavailableReason() : "the OpenCL loader found no driver") + "); nothing to measure");
            return;
        }
        if (device.equals("opencl")) device = "opencl:" + firstGpuOrZero();
        if (!device.startsWith("opencl:")) throw new org.grpo4j.cli.Command.UsageException("--device must be opencl or opencl:N, got " + device);
        int index;
        try {
            index = Integer.parseInt(device.substring("opencl:".length()));
        } catch (NumberFormatException e) {
            throw new org.grpo4j.cli.Command.UsageException("--device must be opencl or opencl:N, got " + device);
        }
        CpuBackend cpu = new CpuBackend();
        try (OpenClBackend cl = OpenClBackend.open(index)) {
            System.out.println("# " + cl.name() + "; comparison: " + (withCpu ? cpu.name() : "none (--no-cpu)")
                    + "; median of " + reps + " after " + warmup + " warm-up runs");
            Random rnd = new Random(1);
            for (int[] s : SHAPES) {
                int M = s[0], N = s[1], K = s[2];
                float[] a = random(rnd, M * K), w = random(rnd, N * K), d = random(rnd, M * N);
                double flops = 2.0 * M * N * K;
                String shape = M + "x" + N + "x" + K;
                double[] gcl = measure(cl, a, w, d, M, N, K, warmup, reps, () -> cl.finish());
                double[] gcpu = withCpu ? measure(cpu, a, w, d, M, N, K, warmup, reps, () -> {}) : null;
                String[] forms = {"NT", "NN", "TN"};
                for (int f = 0; f < 3; f++) {
                    double g = flops / gcl[f] * 1e-9;
                    if (gcpu == null) System.out.printf("matmul-opencl %s %s: %.1f GFLOP/s%n", forms[f], shape, g);
                    else {
                        double gc = flops / gcpu[f] * 1e-9;
                        System.out.printf("matmul-opencl %s %s: %.1f GFLOP/s (cpu backend %.1f GFLOP/s, %d threads; ratio %.2f)%n",
                                forms[f], shape, g, gc, Parallel.threads(), g / gc);
                    }
                }
            }
        }
    }

    private static int firstGpuOrZero() {
        for (var d : OpenCl.devices()) if (d.isGpu()) return d.index();
        return 0;
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    /** Median seconds of NT, NN and TN on {@code b}. */
    private static double[] measure(Backend b, float[] a, float[] w, float[] d, int M, int N, int K, int warmup, int reps, Runnable sync) {
        Tensor in = b.allocate(a.length), wt = b.allocate(w.length), dOut = b.allocate(d.length);
        Tensor out = b.allocate((long) M * N), dIn = b.allocate((long) M * K), dW = b.allocate((long) N * K);
        b.write(in, a);
        b.write(wt, w);
        b.write(dOut, d);
        double nt = Stats.median(Stats.time(warmup, reps, () -> { b.matmul(out, in, wt, null, M, N, K, false); sync.run(); }));
        double nn = Stats.median(Stats.time(warmup, reps, () -> { b.matmulBackwardInput(dIn, dOut, wt, M, N, K, false); sync.run(); }));
        double tn = Stats.median(Stats.time(warmup, reps, () -> { b.matmulBackwardWeight(dW, dOut, in, M, N, K); sync.run(); }));
        return new double[] {nt, nn, tn};
    }
}
