package org.grpo4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.cli.Args;
import org.grpo4j.model.MemoryPlan;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;

/**
 * {@code grpo bench train --config bench-m}: policy forward+backward over 16 sequences × 192 tokens (64 prompt,
 * 128 scored completion tokens, as the GRPO workload) in micro-batches, and one AdamW step; the PyTorch peer's
 * figures for the same workload are measured in the same run.
 */
public final class TrainBenchmark implements Benchmark {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "forward+backward tok/s, reference ms, peak memory and AdamW ms (--config bench-m|bench-s|qwen05b [--micro N] [--reps 5] [--no-peer] [--no-adamw] [--profile] [--lora R] [--base fp32|bf16|int8|nf4] [--gradient-checkpointing])";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-peer", "profile", "no-adamw", PeftOptions.FLAG, "no-full");
    }

    @Override
    public void run(Args args) throws Exception {
        String name = args.get("config", "bench-m");
        int sequences = args.getInt("batch", 16), prompt = args.getInt("prompt", 64), completion = args.getInt("completion", 128);
        int micro = args.getInt("micro", name.equals("qwen05b") ? 4 : sequences);
        int reps = args.getInt("reps", name.equals("qwen05b") ? 2 : 5), warmup = args.getInt("warmup", 1);
        int threads = args.getInt("threads", Parallel.threads());
        boolean peer = !args.flag("no-peer"), profile = args.flag("profile"), adamw = !args.flag("no-adamw"), full = !args.flag("no-full");
        String device = args.get("device", "cpu");
        PeftOptions peftOptions = PeftOptions.parse(args);
        args.rejectUnknown();
        Parallel.setThreads(threads);
        ModelConfig c = BenchModels.named(name);
        int len = prompt + completion;
        System.out.println("# " + name + ": " + c + ", " + sequences + " sequences × " + len + " tokens, micro-batches of " + micro + ", " + threads + " threads; "
                + peftOptions.describe());
        if (!peftOptions.active()) {
            MemoryPlan plan = MemoryPlan.training(c, micro, len, completion, false);
            System.out.println("# memory plan: " + plan + " = " + String.format("%.2f GiB", plan.totalBytes() / (double) (1L << 30)));
            plan.requireFits(MemoryPlan.availableHeap());
        }

        org.grpo4j.backend.Backend backend = org.grpo4j.backend.Devices.open(device);
        if (profile) backend = org.grpo4j.backend.OpProfile.wrap(backend);
        Transformer model = peftOptions.build(c, backend);
        if (peftOptions.active()) {
            MemoryPlan plan = MemoryPlan.training(model, micro, len, completion, false);
            System.out.println("# memory plan: " + plan + " = " + String.format("%.2f GiB", plan.totalBytes() / (double) (1L << 30)));
        }
        SplittableRandom rng = new SplittableRandom(2);
        List<TokenBatch> microBatches = new ArrayList<>();
        for (int s0 = 0; s0 < sequences; s0 += micro) {
            List<int[]> seqs = new ArrayList<>();
            int n = Math.min(micro, sequences - s0);
            int[] first = new int[n];
            for (int b = 0; b < n; b++) {
                int[] ids = new int[len];
                for (int i = 0; i < len; i++) ids[i] = rng.nextInt(c.vocabSize());
                seqs.add(ids);
                first[b] = prompt;
            }
            microBatches.add(TokenBatch.of(seqs, first));
        }
        float[][] dLogp = new float[microBatches.size()][];
        for (int i = 0; i < dLogp.length; i++) {
            dLogp[i] = new float[microBatches.get(i).targets()];
            for (int t = 0; t < dLogp[i].length; t++) dLogp[i][t] = (float) (rng.nextDouble() - 0.5) / (sequences * completion);
        }
        double[] fb = Stats.time(warmup, reps, () -> {
            model.zeroGrad();
            for (int i = 0; i < microBatches.size(); i++) {
                model.forward(microBatches.get(i), 1f);
                model.backward(dLogp[i]);
            }
        });
        // GRPO's reference model is a copy whose weights stay fixed (GrpoTrainer: Transformer.fixWeights), so its
        // products read weights laid out once; timed on such a copy where the model keeps fixed copies (bench-m), else
        // on the policy itself (qwen05b: its copies would be over the cap, and a second model over the memory target)
        Transformer reference = model;
        if (model.fixedCopyBytes() > 0) {
            reference = Transformer.create(c, backend);
            reference.copyFrom(model);
            reference.fixWeights(true);
        }
        Transformer scored = reference;
        // one untimed pass first, as the peer's --warmup 1: the scoring path's first calls compile it, and with whole
        // sequences per core a JIT thread that takes a core stalls one part (the reference moved 640 → 840 ms); then
        // as many timed passes as the peer's median is taken over (its --steps max(3, reps), below)
        double[] ref = Stats.time(Math.min(warmup, 1), Math.max(3, reps), () -> {
            for (TokenBatch mb : microBatches) scored.score(mb, 1f);
        });
        double[] own = reference == model ? ref : Stats.time(Math.min(warmup, 1), Math.max(3, reps), () -> {
            for (TokenBatch mb : microBatches) model.score(mb, 1f);
        });
        long peakResident = Roofline.peakResidentBytes();
        if (profile) {
            System.out.println("# time per backend op over " + (warmup + reps) + " forward+backward passes and the reference passes:");
            System.out.print(org.grpo4j.backend.OpProfile.of(backend).report());
        }
        double tokPerS = sequences * len / Stats.median(fb), refMs = Stats.median(ref) * 1e3;
        System.out.printf("fwd+bwd: %.1f tok/s%n", tokPerS);
        System.out.printf("reference: %.1f ms%n", refMs);
        if (reference != model) {
            double delta = 0;
            for (TokenBatch mb : microBatches) {
                float[] a = model.score(mb, 1f).logp(), b = reference.score(mb, 1f).logp();
                for (int i = 0; i < a.length; i++) delta = Math.max(delta, Math.abs(a[i] - b[i]));
            }
            System.out.printf("# reference: the pass of a reference model, weights fixed and laid out once (%.1f MiB of copies, Transformer.fixWeights; "
                    + "max |Δ log-prob| %.1e against the policy's pass: the same bits); the same pass over the policy's weights, packed in every product: %.1f ms%n",
                    reference.fixedCopyBytes() / (double) (1 << 20), delta, Stats.median(own) * 1e3);
        }
        System.out.printf("# reference pass (Transformer.score): %.1f MiB of activations, where a training forward keeps %.1f MiB%n",
                Transformer.scoreActivationBytes(c, micro, len, completion) / (double) (1 << 20),
                MemoryPlan.training(c, micro, len, completion, false).activationBytes() / (double) (1 << 20));
        System.out.printf("peak memory: %.2f GiB = %.2f GB%s%n", peakResident / (double) (1L << 30), peakResident / 1e9, peftOptions.memoryTarget());
        int targets = sequences * completion;
        System.out.printf("# logits: %.1f MiB per head chunk of %d target rows; the batch's %d targets × %d vocabulary at once would be %.2f GiB%n",
                model.logitsBytes() / (double) (1 << 20), model.logitsBytes() / 4 / c.vocabSize(), targets, c.vocabSize(),
                4.0 * targets * c.vocabSize() / (1L << 30));
        double fwdFlops = Roofline.forwardFlops(c, sequences, len, targets);
        System.out.println("# fwd+bwd " + Roofline.computeBound(3 * fwdFlops, Stats.median(fb)));
        System.out.println("# reference " + Roofline.computeBound(fwdFlops, Stats.median(ref) ));
        if (!peftOptions.active() && name.equals("bench-m") && sequences == 16 && len == 192 && completion == 128) FastPathCheck.againstPinnedEngine(model, microBatches);
        if (!peftOptions.active() && (!name.equals("qwen05b") || profile)) whereTimeGoes(c, model, microBatches, dLogp);

        double adamMs = Double.NaN;
        if (adamw) { // its moments (2 × the trained parameters) come after the fwd+bwd peak above, as in the peer's fwdbwd mode
            AdamW opt = new AdamW(model.trainable(), new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
            double[] ad = Stats.time(warmup, Math.max(reps, 5), () -> opt.step(1e-5));
            adamMs = Stats.median(ad) * 1e3;
            System.out.printf("adamw: %.1f ms%n", adamMs);
            System.out.printf("step: %.0f ms (forward+backward of the %d sequences + AdamW)%n", Stats.median(fb) * 1e3 + adamMs, sequences);
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == java.lang.management.MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        System.out.printf("peak heap: %.2f GiB%n", peak / (double) (1L << 30));
        if (peftOptions.active() && full) {
            // the comparison: the full fp32 fine-tune step on the same batch, in this run (after the figures above)
            double stepMs = Stats.median(fb) * 1e3 + adamMs;
            Transformer fullModel = Transformer.create(c, backend).initialise(1, 0.02);
            AdamW fullOpt = new AdamW(fullModel, new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
            double[] ff = Stats.time(warmup, reps, () -> {
                fullModel.zeroGrad();
                for (int i = 0; i < microBatches.size(); i++) {
                    fullModel.forward(microBatches.get(i), 1f);
                    fullModel.backward(dLogp[i]);
                }
                fullOpt.step(1e-5);
            });
            double fullMs = Stats.median(ff) * 1e3;
            System.out.printf("full fp32 fine-tune step (same run): %.0f ms; %s / full: %.2fx (lower is better)%n", fullMs, peftOptions.describe(), stepMs / fullMs);
        }

        if (!peer) return;
        if (name.equals("qwen05b")) {
            JsonNode r = PytorchPeer.run("fwdbwd", "--config", name, "--batch", "" + sequences, "--seq", "" + len, "--micro", "" + micro, "--reps", "1");
            if (r != null && r.has("times")) {
                double t = median(r.get("times"));
                double peerPeak = r.path("peak_rss_mib").asDouble() * (1 << 20);
                System.out.printf("pytorch fwd+bwd: %.1f tok/s (peak RSS %.2f GiB)%n", sequences * len / t, peerPeak / (1L << 30));
                PytorchPeer.printRatio("fwd+bwd", tokPerS, sequences * len / t, true);
                if (peerPeak > 0) System.out.printf("peak memory ratio vs pytorch: %.2fx (lower is better)%n", peakResident / peerPeak);
            }
            return;
        }
        JsonNode r = PytorchPeer.run("bench", "--config", name, "--steps", "" + Math.max(3, reps), "--warmup", "1");
        if (r == null) return;
        double peerTok = r.path("derived").path("fwdbwd_tok_per_s(16x192)").path("median").asDouble();
        double peerAdam = r.path("times_s").path("adamw").path("median").asDouble() * 1e3;
        System.out.printf("pytorch fwd+bwd: %.1f tok/s%n", peerTok);
        System.out.printf("pytorch adamw: %.1f ms%n", peerAdam);
        PytorchPeer.printRatio("fwd+bwd", tokPerS, peerTok, true);
        if (adamw) PytorchPeer.printRatio("adamw", adamMs, peerAdam, false);
        double peerRef = r.path("times_s").path("ref").path("median").asDouble() * 1e3;
        if (peerRef > 0) {
            System.out.printf("pytorch reference: %.1f ms%n", peerRef);
            PytorchPeer.printRatio("reference", refMs, peerRef, false);
        }
    }

    /** One profiled forward+backward and reference pass on a copy of the model: time per op family beside the bounds. */
    private static void whereTimeGoes(ModelConfig c, Transformer model, List<TokenBatch> microBatches, float[][] dLogp) {
        org.grpo4j.backend.Backend profiled = org.grpo4j.backend.OpProfile.wrap(model.backend());
        org.grpo4j.backend.OpProfile prof = org.grpo4j.backend.OpProfile.of(profiled);
        Transformer copy = Transformer.create(c, profiled);
        copy.copyFrom(model);
        copy.zeroGrad();
        copy.forward(microBatches.get(0), 1f); // lays out the copy's activation block, which the timed passes then reuse
        prof.reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < microBatches.size(); i++) copy.forward(microBatches.get(i), 1f);
        long t1 = System.nanoTime();
        System.out.printf("# where time goes, forward (%.0f ms profiled): %s%n", (t1 - t0) / 1e6, prof.familyLine());
        prof.reset();
        t0 = System.nanoTime();
        for (int i = 0; i < microBatches.size(); i++) {
            copy.forward(microBatches.get(i), 1f);
            copy.backward(dLogp[i]);
        }
        t1 = System.nanoTime();
        System.out.printf("# where time goes, forward+backward (%.0f ms profiled): %s%n", (t1 - t0) / 1e6, prof.familyLine());
    }

    static double median(JsonNode arr) {
        double[] xs = new double[arr.size()];
        // the peer's fwdbwd mode records (fwd, bwd, total, foreign) per repetition
        for (int i = 0; i < xs.length; i++) xs[i] = arr.get(i).isArray() ? arr.get(i).get(2).asDouble() : arr.get(i).asDouble();
        return Stats.median(xs);
    }
}
