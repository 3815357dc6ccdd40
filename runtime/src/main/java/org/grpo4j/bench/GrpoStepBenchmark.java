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
        return "one whole GRPO step by phase (--config bench-m|bench-s [--steps 5] [--no-peer])";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-peer");
    }

    @Override
    public void run(Args args) throws Exception {
        String name = args.get("config", "bench-m");
        int steps = args.getInt("steps", 5), warmup = args.getInt("warmup", 1), threads = args.getInt("threads", Parallel.threads());
        boolean peer = !args.flag("no-peer");
        String device = args.get("device", "cpu");
        args.rejectUnknown();
        Parallel.setThreads(threads);
        ModelConfig c = BenchModels.named(name);
        int prompts = 2, G = 8, P = 64, C = 128;
        Transformer policy = Transformer.create(c, org.grpo4j.backend.Devices.open(device)).initialise(1, 0.02);
        System.out.println("# " + name + " on " + policy.backend().name() + ": " + c + "; " + prompts + " prompts × G " + G + ", prompt " + P + ", " + C + " new tokens; " + threads + " threads");
        Transformer ref = Transformer.create(c, policy.backend());
        ref.copyFrom(policy);
        AdamW opt = new AdamW(policy, new AdamW.Settings(1e-5, 0.9, 0.999, 1e-8, 0.0));
        Generator generator = new Generator(policy);
        GrpoLoss loss = new GrpoLoss();
        LossSettings settings = LossSettings.defaults().with("loss_type", LossType.GRPO).with("beta", 0.04);
        LossScale scale = new LossScale(1, C, Double.NaN);
        SplittableRandom rng = new SplittableRandom(7);
        double[][] t = new double[6][steps];
        for (int s = -warmup; s < steps; s++) {
            List<int[]> ps = new ArrayList<>();
            for (int p = 0; p < prompts; p++) {
                int[] ids = new int[P];
                for (int i = 0; i < P; i++) ids[i] = rng.nextInt(c.vocabSize());
                ps.add(ids);
            }
            long t0 = System.nanoTime();
            List<Completion> out = generator.generate(ps, SamplingParams.defaults().withNumGenerations(G).withTemperature(1.0)
                    .withMaxCompletionLength(C).withIgnoreEos(true).withSeed(s + 100));
            long t1 = System.nanoTime();
            double[] rewards = new double[out.size()];
            for (int i = 0; i < rewards.length; i++) rewards[i] = rng.nextDouble();
            double[] adv = Advantages.compute(rewards, G, ScaleRewards.GROUP).advantages();
            long t2 = System.nanoTime();
            List<int[]> seqs = new ArrayList<>();
            int[] first = new int[out.size()];
            for (int i = 0; i < out.size(); i++) {
                int[] p = ps.get(i / G), comp = out.get(i).tokenIds();
                int[] seq = java.util.Arrays.copyOf(p, p.length + comp.length);
                System.arraycopy(comp, 0, seq, p.length, comp.length);
                seqs.add(seq);
                first[i] = p.length;
            }
            TokenBatch batch = TokenBatch.of(seqs, first);
            float[] refLogp = ref.forward(batch, 1f).logp();
            long t3 = System.nanoTime();
            policy.zeroGrad();
            var scores = policy.forward(batch, 1f);
            float[] mask = new float[batch.targets()], grad = new float[batch.targets()];
            java.util.Arrays.fill(mask, 1f);
            loss.compute(settings, scale, batch.targetStart(), scores.logp(), null, refLogp, mask, adv, null, grad, null);
            policy.backward(grad);
            long t4 = System.nanoTime();
            AdamW.clipGradNorm(policy, 1.0);
            opt.step(1e-5);
            long t5 = System.nanoTime();
            if (s >= 0) {
                t[0][s] = (t1 - t0) * 1e-9;
                t[1][s] = (t3 - t2) * 1e-9;
                t[2][s] = (t4 - t3) * 1e-9;
                t[3][s] = (t5 - t4) * 1e-9;
                t[4][s] = (t2 - t1) * 1e-9;
                t[5][s] = (t5 - t0) * 1e-9;
            }
        }
        String[] names = {"generation", "reference", "policy fwd+bwd", "optimizer", "rewards", "step"};
        double[] med = new double[6];
        for (int k = 0; k < 6; k++) {
            med[k] = Stats.median(t[k]) * 1e3;
            System.out.printf("%s: %.1f ms%n", names[k], med[k]);
        }
        System.out.printf("generate: %.1f tok/s%n", prompts * G * C / (med[0] / 1e3));
        if (!peer) return;
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
