package org.grpo4j.backend.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.bench.BenchModels;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.bench.Stats;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.model.MemoryPlan;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.opencl.Cl;
import org.grpo4j.opencl.OpenCl;
import org.grpo4j.optim.AdamW;

/**
 * {@code grpo bench train-opencl --config bench-m [--device opencl:N]}: the training workload of {@code bench train}
 * (16 sequences × 192 tokens, 128 scored, in micro-batches; then one AdamW step) with every tensor on an OpenCL
 * device, and the CPU backend on the same workload in the same run with the ratio. Each timed run ends with a
 * read of one float, so queued kernels are inside the measurement.
 */
public final class OpenClTrainBenchmark implements Benchmark {
    @Override
    public String name() {
        return "train-opencl";
    }

    @Override
    public String summary() {
        return "fwd+bwd tok/s and AdamW ms on an OpenCL device vs the CPU backend (--config bench-s|bench-m|qwen05b [--device opencl:N] [--micro N] [--reps 3] [--no-cpu])";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-cpu");
    }

    @Override
    public void run(Args args) throws Exception {
        String name = args.get("config", "bench-m"), device = args.get("device", "opencl");
        int sequences = args.getInt("batch", 16), prompt = args.getInt("prompt", 64), completion = args.getInt("completion", 128);
        int micro = args.getInt("micro", name.equals("qwen05b") ? 4 : sequences);
        int reps = args.getInt("reps", 3), warmup = args.getInt("warmup", 1);
        boolean withCpu = !args.flag("no-cpu");
        args.rejectUnknown();
        if (!device.equals("opencl") && !device.startsWith("opencl:"))
            throw new Command.UsageException("--device must be opencl or opencl:N, got " + device);
        if (Cl.unavailableReason() != null || OpenCl.devices().isEmpty()) {
            System.out.println("train-opencl: no OpenCL device here ("
                    + (Cl.unavailableReason() != null ? Cl.unavailableReason() : "the OpenCL loader found no driver") + "); nothing to measure");
            return;
        }
        ModelConfig c = BenchModels.named(name);
        int len = prompt + completion;
        MemoryPlan plan = MemoryPlan.training(c, micro, len, completion, false);
        SplittableRandom rng = new SplittableRandom(2);
        List<TokenBatch> batches = new ArrayList<>();
        List<float[]> dLogp = new ArrayList<>();
        for (int s0 = 0; s0 < sequences; s0 += micro) {
            int n = Math.min(micro, sequences - s0);
            List<int[]> seqs = new ArrayList<>();
            int[] first = new int[n];
            for (int b = 0; b < n; b++) {
                int[] ids = new int[len];
                for (int i = 0; i < len; i++) ids[i] = rng.nextInt(c.vocabSize());
                seqs.add(ids);
                first[b] = prompt;
            }
            TokenBatch tb = TokenBatch.of(seqs, first);
            batches.add(tb);
            float[] d = new float[tb.targets()];
            for (int t = 0; t < d.length; t++) d[t] = (float) (rng.nextDouble() - 0.5) / (sequences * completion);
            dLogp.add(d);
        }
        try (Backend cl = Backends.select(device)) {
            if (!(cl instanceof OpenClBackend ocl)) return;
            System.out.printf("# %s: %s, %d sequences × %d tokens, micro-batches of %d; memory plan %.2f GiB of the device's %.2f GiB%n",
                    name, c, sequences, len, micro, plan.totalBytes() / (double) (1L << 30), ocl.device().globalMemBytes() / (double) (1L << 30));
            if (plan.totalBytes() > ocl.device().globalMemBytes())
                throw new Command.UsageException("the memory plan (" + plan + ") exceeds the device memory; use --micro with fewer sequences");
            double[] clFigures = measure(cl, c, batches, dLogp, warmup, reps);
            print("opencl", sequences * len, clFigures);
            if (withCpu) {
                try (Backend cpu = new CpuBackend()) {
                    double[] cpuFigures = measure(cpu, c, batches, dLogp, warmup, reps);
                    print("cpu", sequences * len, cpuFigures);
                    System.out.printf("ratio opencl/cpu: fwd+bwd %.2f, adamw %.2f (above 1: OpenCL faster)%n",
                            cpuFigures[0] / clFigures[0], cpuFigures[1] / clFigures[1]);
                }
            }
        }
    }

    private static void print(String which, int tokens, double[] f) {
        System.out.printf("%s fwd+bwd: %.1f tok/s%n", which, tokens / f[0]);
        System.out.printf("%s adamw: %.1f ms%n", which, f[1] * 1e3);
    }

    /** Median seconds of fwd+bwd over all micro-batches, and of one AdamW step. */
    private static double[] measure(Backend be, ModelConfig c, List<TokenBatch> batches, List<float[]> dLogp, int warmup, int reps) {
        Transformer model = Transformer.create(c, be).initialise(1, 0.02);
        AdamW opt = new AdamW(model, new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
        float[] one = new float[1];
        double fb = Stats.median(Stats.time(warmup, reps, () -> {
            model.zeroGrad();
            for (int i = 0; i < batches.size(); i++) {
                model.forward(batches.get(i), 1f);
                model.backward(dLogp.get(i));
            }
            be.read(model.grads(), one, 0, 1);
        }));
        double ad = Stats.median(Stats.time(warmup, Math.max(reps, 5), () -> {
            opt.step(1e-5);
            be.read(model.params(), one, 0, 1);
        }));
        return new double[] {fb, ad};
    }
}
