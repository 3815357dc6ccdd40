package org.grpo4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.cli.Args;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.grpo.Advantages;
import org.grpo4j.grpo.GrpoLoss;
import org.grpo4j.grpo.LossScale;
import org.grpo4j.grpo.LossSettings;
import org.grpo4j.grpo.LossType;
import org.grpo4j.grpo.ScaleRewards;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;

/**
 * {@code grpo bench grpo-step --config bench-m}: one whole GRPO step of the workload W in
 * {@code docs/benchmarks.md} (2 prompts × G = 8, 64-token prompts, exactly 128 new tokens at temperature 1,
 * reference log-probs with beta 0.04, policy forward+backward of the {@code grpo} loss, AdamW at 1e-5), phase by
 * phase, with the PyTorch peer's step measured in the same run.
 */
public final class GrpoStepBenchmark implements Benchmark {
    @Override
    public String name() {
        return "grpo-step";
    }

    @Override
    public String summary() {
        return "one whole GRPO step by phase (--config bench-m|bench-s|qwen05b [--steps 5] [--warmup N: default 80 on bench-s, 3 on bench-m, 1 on qwen05b] [--no-peer] [--lora R] [--base fp32|bf16|int8|nf4] [--gradient-checkpointing] [--micro N] [--peer-last] [--nproc N: data-parallel scaling])";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-peer", "peer-last", PeftOptions.FLAG);
    }

    static final int PROMPTS = 2, G = 8, P = 64, C = 128;

    /**
     * One step of workload W; returns the clock at {start, generated, rewarded, referenced, backward done, optimised}.
     * {@code phaseEnd}, when given, is told each phase's name as it ends (the profiled pass).
     */
    static long[] step(ModelConfig c, Transformer policy, Transformer ref, AdamW opt, Generator generator, SplittableRandom rng, int seed,
                       java.util.function.Consumer<String> phaseEnd) {
        return step(c, policy, ref, opt, generator, rng, seed, phaseEnd, PROMPTS, org.grpo4j.distributed.Communicator.single());
    }

    /** The same step with {@code prompts} prompts; under data parallelism the gradients are averaged over the ranks before clipping. */
    static long[] step(ModelConfig c, Transformer policy, Transformer ref, AdamW opt, Generator generator, SplittableRandom rng, int seed,
                       java.util.function.Consumer<String> phaseEnd, int prompts, org.grpo4j.distributed.Communicator comm) {
        return step(c, policy, ref, opt, generator, rng, seed, phaseEnd, prompts, comm, prompts * G);
    }

    /**
     * The same step with the reference and policy passes over micro-batches of {@code micro} sequences (TRL's
     * {@code per_device_train_batch_size}: the loss of each is divided by their count, gradients accumulate).
     */
    static long[] step(ModelConfig c, Transformer policy, Transformer ref, AdamW opt, Generator generator, SplittableRandom rng, int seed,
                       java.util.function.Consumer<String> phaseEnd, int prompts, org.grpo4j.distributed.Communicator comm, int micro) {
        java.util.function.Consumer<String> end = phaseEnd == null ? x -> {} : phaseEnd;
        List<int[]> ps = new ArrayList<>();
        for (int p = 0; p < prompts; p++) {
            int[] ids = new int[P];
            for (int i = 0; i < P; i++) ids[i] = rng.nextInt(c.vocabSize());
            ps.add(ids);
        }
        long[] at = new long[6];
        at[0] = System.nanoTime();
        List<Completion> out = generator.generate(ps, SamplingParams.defaults().withNumGenerations(G).withTemperature(1.0)
                .withMaxCompletionLength(C).withIgnoreEos(true).withSeed(seed));
        at[1] = System.nanoTime();
        end.accept("generation");
        double[] rewards = new double[out.size()];
        for (int i = 0; i < rewards.length; i++) rewards[i] = rng.nextDouble();
        double[] adv = Advantages.compute(rewards, G, ScaleRewards.GROUP).advantages();
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[out.size()];
        for (int i = 0; i < out.size(); i++) {
            int[] p = ps.get(i / G), comp = out.get(i).tokenIds();
            int[] seq = java.util.Arrays.copyOf(p, p.length + comp.length);
            System.arraycopy(comp, 0, seq, p.length, comp.length);
            seqs.add(seq);
            first[i] = p.length;
        }
        List<TokenBatch> parts = new ArrayList<>();
        for (int s0 = 0; s0 < seqs.size(); s0 += micro) {
            int s1 = Math.min(seqs.size(), s0 + micro);
            parts.add(TokenBatch.of(seqs.subList(s0, s1), java.util.Arrays.copyOfRange(first, s0, s1)));
        }
        at[2] = System.nanoTime();
        float[][] refLogp = new float[parts.size()][];
        if (ref == policy) policy.lora().setEnabled(false); // LoRA: the reference is the base with the adapters off
        for (int k = 0; k < parts.size(); k++) refLogp[k] = ref.score(parts.get(k), 1f).logp();
        if (ref == policy) policy.lora().setEnabled(true);
        at[3] = System.nanoTime();
        end.accept("reference");
        policy.zeroGrad();
        LossSettings settings = LossSettings.defaults().with("loss_type", LossType.GRPO).with("beta", 0.04);
        LossScale scale = new LossScale(parts.size(), C, Double.NaN);
        GrpoLoss loss = new GrpoLoss();
        for (int k = 0; k < parts.size(); k++) {
            TokenBatch part = parts.get(k);
            var scores = policy.forward(part, 1f);
            float[] mask = new float[part.targets()], grad = new float[part.targets()];
            java.util.Arrays.fill(mask, 1f);
            double[] partAdv = java.util.Arrays.copyOfRange(adv, k * micro, k * micro + part.lengths().length);
            loss.compute(settings, scale, part.targetStart(), scores.logp(), null, refLogp[k], mask, partAdv, null, grad, null);
            policy.backward(grad);
        }
        at[4] = System.nanoTime();
        end.accept("policy fwd+bwd");
        org.grpo4j.train.DataParallel.combineGradients(policy.trainable(), comm, 1f / comm.size());
        opt.clipAndStep(1e-5, 1.0);
        at[5] = System.nanoTime();
        end.accept("optimizer");
        return at;
    }

    /**
     * Rows the reference and policy passes run through the model per step: a group's completions share their prompt's
     * rows ({@code TokenBatch.of}), the peer runs every sequence whole. The roofline bounds count the whole sequences' FLOPs.
     */
    static String sharedRowsLine(int prompts, int micro) {
        List<int[]> seqs = new ArrayList<>();
        int[] first = new int[prompts * G];
        for (int i = 0; i < prompts * G; i++) {
            int[] s = new int[P + C];
            java.util.Arrays.fill(s, 0, P, i / G); // the group's prompt
            java.util.Arrays.fill(s, P, P + C, i);  // a completion of its own
            seqs.add(s);
            first[i] = P;
        }
        int rows = 0, whole = prompts * G * (P + C);
        for (int s0 = 0; s0 < seqs.size(); s0 += micro) {
            int s1 = Math.min(seqs.size(), s0 + micro);
            rows += TokenBatch.of(seqs.subList(s0, s1), java.util.Arrays.copyOfRange(first, s0, s1)).rows();
        }
        if (rows == whole) return String.format("# shared prompt rows: none (%,d rows per pass%s), as the PyTorch peer", whole,
                "false".equals(System.getProperty("grpo4j.sharedPrompts")) ? ", -Dgrpo4j.sharedPrompts=false" : "");
        return String.format("# shared prompt rows: %,d → %,d rows per pass (%d prompts shared by %d completions each); the PyTorch peer runs all %,d "
                + "(the bounds below count them all)", whole, rows, prompts, G, whole);
    }

    /** One step on profiled copies of the models: time per op family of each phase. */
    private static void whereTimeGoes(ModelConfig c, Transformer policy, SplittableRandom rng) {
        org.grpo4j.backend.Backend profiled = org.grpo4j.backend.OpProfile.wrap(policy.backend());
        org.grpo4j.backend.OpProfile prof = org.grpo4j.backend.OpProfile.of(profiled);
        Transformer p2 = Transformer.create(c, profiled), r2 = Transformer.create(c, profiled);
        p2.copyFrom(policy);
        r2.copyFrom(policy);
        r2.fixWeights(true);
        AdamW opt = new AdamW(p2, new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
        Generator gen = new Generator(p2);
        step(c, p2, r2, opt, gen, rng, 1, null);
        prof.reset();
        long[] last = {System.nanoTime()};
        step(c, p2, r2, opt, gen, rng, 2, phase -> {
            long now = System.nanoTime();
            System.out.printf("# where time goes, %s (%.0f ms profiled): %s%n", phase, (now - last[0]) / 1e6, prof.familyLine());
            prof.reset();
            last[0] = System.nanoTime();
        });
    }

    /**
     * What the resident set holds after the step: the weights, what training keeps (trained parameters, gradients,
     * AdamW's moments), the activation block, the KV cache; the heap live after a full collection and committed; and
     * the rest of the resident set, which is the JVM's own (code, metaspace, collector, threads) and unused heap.
     */
    private static String budget(Transformer policy, Transformer ref, long kv) {
        long weights = policy.frozenBase() != null ? policy.frozenBase().bytes() : 4 * policy.params().size();
        long trained = 4 * 4 * policy.trainable().params().size();
        long acts = policy.activationBytes() + (policy.lora() == null ? 0 : policy.lora().activationBytes(4 * (P + C)));
        long copies = policy.decodeCopyBytes(), fixed = ref == policy ? 0 : ref.fixedCopyBytes();
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long live = rt.totalMemory() - rt.freeMemory(), committed = rt.totalMemory(), resident = Roofline.residentBytes();
        return String.format("weights %s, trained parameters + gradients + AdamW %s, activations %s, KV cache %s, decode weight copies %s, "
                + "reference model %s + its fixed weight copies %s; heap live %s of %s committed; resident now %s (the rest is the JVM's own and free heap)",
                gib(weights), gib(trained), gib(acts), gib(kv), gib(copies), gib(ref == policy ? 0 : 4 * ref.params().size()), gib(fixed), gib(live), gib(committed), gib(resident));
    }

    private static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    @Override
    public void run(Args args) throws Exception {
        String name = args.get("config", "bench-m");
        int nproc = args.getInt("nproc", 1);
        // the scaling benchmark's processes each warm up their own JIT; one step there as before
        int steps = args.getInt("steps", 5), warmup = args.getInt("warmup", nproc > 1 ? 1 : Warmup.defaultSteps(name)), threads = args.getInt("threads", Parallel.threads());
        boolean peer = !args.flag("no-peer"), peerLast = args.flag("peer-last");
        String device = args.get("device", "cpu");
        // qwen05b's whole batch at once would hold 6 GiB of activations (TRL users set per_device_train_batch_size)
        int micro = args.getInt("micro", name.equals("qwen05b") ? 4 : PROMPTS * G);
        PeftOptions peftOptions = PeftOptions.parse(args);
        args.rejectUnknown();
        if (nproc > 1) {
            ScalingBenchmark.run(name, nproc, steps, warmup);
            return;
        }
        Parallel.setThreads(threads);
        ModelConfig c = BenchModels.named(name);
        int prompts = PROMPTS;
        // qwen05b: the peer's fwd+bwd of the same batch is the comparison (its whole step does not fit this machine);
        // it runs first, as both processes at once (10-13 GiB each for a full fine-tune) would not fit either;
        // --peer-last runs it after the step instead (a LoRA step leaves room), to see whether the order biases either figure
        java.util.function.Supplier<JsonNode> qwenPeer = () -> PytorchPeer.run("fwdbwd", "--config", name, "--batch", "" + prompts * G,
                "--seq", "" + (P + C), "--micro", "" + micro, "--reps", "1");
        JsonNode peerFwdbwd = peer && !peerLast && name.equals("qwen05b") ? qwenPeer.get() : null;
        Transformer policy = peftOptions.build(c, org.grpo4j.backend.Devices.open(device));
        System.out.println("# " + name + " on " + policy.backend().name() + ": " + c + "; " + prompts + " prompts × G " + G + ", prompt " + P + ", " + C + " new tokens; " + threads + " threads");
        System.out.println("# " + peftOptions.describe() + "; reference and policy passes in micro-batches of " + micro + " sequences");
        Transformer ref = policy;
        if (!peftOptions.lora()) {
            ref = Transformer.create(c, policy.backend());
            ref.copyFrom(policy);
            ref.fixWeights(true); // as GrpoTrainer's reference
        }
        AdamW opt = new AdamW(policy.trainable(), new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
        Generator generator = new Generator(policy);
        SplittableRandom rng = new SplittableRandom(7);
        double[][] t = new double[6][steps];
        long warmStart = System.nanoTime();
        double warmSeconds = 0;
        Warmup jit = Warmup.watch();
        for (int s = -warmup; s < steps; s++) {
            if (s == 0) {
                warmSeconds = (System.nanoTime() - warmStart) * 1e-9;
                jit = Warmup.watch();
            }
            long[] at = step(c, policy, ref, opt, generator, rng, s + 100, null, prompts, org.grpo4j.distributed.Communicator.single(), micro);
            if (s >= 0) {
                t[0][s] = (at[1] - at[0]) * 1e-9;
                t[1][s] = (at[3] - at[2]) * 1e-9;
                t[2][s] = (at[4] - at[3]) * 1e-9;
                t[3][s] = (at[5] - at[4]) * 1e-9;
                t[4][s] = (at[2] - at[1]) * 1e-9;
                t[5][s] = (at[5] - at[0]) * 1e-9;
            }
        }
        System.out.println(jit.line(warmup, warmSeconds, "steps", java.util.Arrays.stream(t[5]).sum()));
        String[] names = {"generation", "reference", "policy fwd+bwd", "optimizer", "rewards", "step"};
        double[] med = new double[6];
        for (int k = 0; k < 6; k++) {
            med[k] = Stats.median(t[k]) * 1e3;
            System.out.printf("%s: %.1f ms%n", names[k], med[k]);
        }
        System.out.printf("generate: %.1f tok/s%n", prompts * G * C / (med[0] / 1e3));
        int seqs = prompts * G, len = P + C;
        double fwd = Roofline.forwardFlops(c, seqs, len, seqs * C);
        System.out.println("# generation " + GenerateBenchmark.bound(c, generator.lastStats(), prompts * G * C / (med[0] / 1e3), false));
        System.out.println(sharedRowsLine(prompts, micro));
        System.out.println("# reference " + Roofline.computeBound(fwd, med[1] / 1e3));
        System.out.println("# policy fwd+bwd " + Roofline.computeBound(3 * fwd, med[2] / 1e3));
        long peak = Roofline.peakResidentBytes();
        System.out.printf("peak memory: %.2f GiB = %.2f GB (resident)%s%n", peak / (double) (1L << 30), peak / 1e9, peftOptions.memoryTarget());
        System.out.println("# memory budget: " + budget(policy, ref, generator.lastStats().kvCacheBytes()));
        // AdamW reads weights, gradients and both moments and writes three of them: 7 floats per parameter moved over a
        // working set of 4, which a small model keeps in a cache between steps (the bound is that level's bandwidth)
        long params = policy.trainable().params().size();
        double adamBytes = 7.0 * 4 * params;
        long adamSet = 4L * 4 * params;
        double adamBw = Roofline.bandwidth(adamSet);
        System.out.printf("# optimizer bound %.1f ms (%.0f MB read+written at the %.1f GB/s measured over its %.0f MB, which stays in %s), reached %.0f%%%n",
                adamBytes / adamBw * 1e3, adamBytes / 1e6, adamBw / 1e9, adamSet / 1e6, Roofline.level(adamSet), 100 * adamBytes / adamBw * 1e3 / med[3]);
        // the profiled pass copies the policy, the reference and AdamW: on qwen05b another 10 GiB
        if (!peftOptions.active() && !name.equals("qwen05b")) whereTimeGoes(c, policy, rng);
        if (!peer) return;
        if (name.equals("qwen05b")) {
            System.out.println("# the peer ran " + (peerLast ? "after" : "before") + " the step");
            JsonNode r = peerLast ? qwenPeer.get() : peerFwdbwd;
            if (r != null && r.has("times")) {
                double theirs = TrainBenchmark.median(r.get("times")) * 1e3;
                System.out.printf("pytorch policy fwd+bwd (full fp32 fine-tune): %.1f ms (peak RSS %.2f GiB)%n", theirs, r.path("peak_rss_mib").asDouble() / 1024);
                PytorchPeer.printRatio("policy fwd+bwd", med[2], theirs, false);
            }
            return;
        }
        JsonNode r = PytorchPeer.run("bench", "--config", name, "--steps", "" + Math.max(3, steps), "--warmup", "1");
        if (r == null) return;
        JsonNode ts = r.path("times_s");
        String[] keys = {"gen", "ref", "fwdbwd", "adamw", null, "step"};
        for (int k = 0; k < 6; k++) {
            if (keys[k] == null) continue;
            double theirs = ts.path(keys[k]).path("median").asDouble() * 1e3;
            System.out.printf("pytorch %s: %.1f ms%n", names[k], theirs);
            PytorchPeer.printRatio(names[k], med[k], theirs, false);
        }
    }
}
