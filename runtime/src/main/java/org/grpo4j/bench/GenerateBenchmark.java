package org.grpo4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.cli.Args;
import org.grpo4j.generate.GenerationStats;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;

/**
 * {@code grpo bench generate --config bench-m [--peer] [--reps 5] [--only generate|decode]}: the generation phase of
 * GRPO workload W (2 prompts × 8 samples, 64 random prompt ids, exactly 128 new tokens at temperature 1, EOS
 * ignored) and single-sequence decode (BOS + 128 sampled tokens, the first one untimed as in llama2.c and the peer),
 * random weights, shapes of
 * {@code docs/benchmarks.md}. {@code --peer} runs the PyTorch peer in the same run and prints the ratios.
 */
public final class GenerateBenchmark implements Benchmark {

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "batched group generation (2 prompts × 8, 64 + 128 tokens) and B=1 decode tok/s: --config bench-s|bench-m|qwen05b [--peer] [--reps 5] [--warmup N] [--only generate|decode] [--base fp32|bf16|int8|nf4] [--lora R]";
    }

    @Override
    public Set<String> flags() {
        return Set.of("peer");
    }



    /**
     * The bounds of generation: each decode step reads every weight once (for all its rows) and each row's cached keys
     * and values, at the bandwidth measured in this run over a buffer of the weights' size (every step rereads them, so
     * they stay in the cache level that holds that many bytes: on a machine with a large L3 that level, not memory);
     * the prefill and the per-row products are FLOPs at the peak.
     */
    static String bound(ModelConfig c, GenerationStats st, double measured, boolean decodeOnly) {
        double weights = Roofline.weightBytesPerStep(c), bw = Roofline.bandwidth((long) weights);
        double kvPerToken = (double) org.grpo4j.model.KvCache.cacheBytes(c, 1);
        double seconds = 0, flops = 0;
        int prompt = st.promptTokens() / Math.max(1, st.prompts());
        int[] rows = st.activeRows();
        for (int k = 0; k < rows.length; k++) {
            double ctx = prompt + k + 1;
            seconds += Math.max((weights + rows[k] * ctx * kvPerToken) / bw, rows[k] * (Roofline.layerFlopsPerToken(c) + 2.0 * c.vocabSize() * c.hiddenSize()) / (Roofline.peakGflops() * 1e9));
        }
        long tokens = st.newTokens() - (decodeOnly ? st.sequences() : 0);
        if (!decodeOnly) {
            flops = Roofline.forwardFlops(c, st.prompts(), prompt, st.prompts());
            seconds += Math.max(flops / (Roofline.peakGflops() * 1e9), weights / bw); // the prefill
        }
        double boundRate = tokens / seconds;
        return String.format("bound: %.0f tok/s (%.1f MB of weights per step + cached k/v, at the %.1f GB/s measured over %.1f MB, which stays in %s; "
                        + "prefill FLOPs at %.0f GFLOP/s), reached %.0f%%",
                boundRate, weights / 1e6, bw / 1e9, weights / 1e6, Roofline.level((long) weights), Roofline.peakGflops(), 100 * measured / boundRate);
    }

    /** One generate call on a profiled copy of the model: time per op family, and the host's share (sampling, scheduling). */
    static String whereTimeGoes(Transformer model, List<int[]> prompts, SamplingParams sp) {
        org.grpo4j.backend.Backend profiled = org.grpo4j.backend.OpProfile.wrap(model.backend());
        Transformer copy = Transformer.create(model.config(), profiled);
        copy.copyFrom(model);
        Generator g = new Generator(copy);
        g.generate(prompts, sp);
        org.grpo4j.backend.OpProfile prof = org.grpo4j.backend.OpProfile.of(profiled);
        prof.reset();
        long t0 = System.nanoTime();
        g.generate(prompts, sp);
        double total = (System.nanoTime() - t0) / 1e6, ops = 0;
        for (double v : prof.families().values()) ops += v;
        return String.format("%.0f ms profiled: %s; host (sampling, scheduling) %.1f ms", total, prof.familyLine(), total - ops);
    }

    /**
     * The generators a run times: this model, and the full fp32 model when this one has a packed base or adapters
     * ({@code fp32} null otherwise), each timed rep of one followed by the same call on the other so that both see the
     * same load on a shared machine.
     */
    private record Timing(Generator gen, Generator fp32, int warmup, int reps) {
        /** Per-rep rates of this model, of the fp32 model, and their ratios (the last two zero without an fp32 model). */
        record Reps(double[] rates, double[] fp32, double[] ratio) {}

        /**
         * {@code warmup} untimed calls, then {@code reps} timed ones, each rep printed with {@code digits} decimals
         * ({@code fp32Label} names the comparison), then the JIT-warmth line for {@code calls}.
         */
        Reps measure(List<int[]> prompts, SamplingParams sp, ToDoubleFunction<GenerationStats> rate, int digits, String fp32Label, String calls) {
            double[] rates = new double[reps], r32 = new double[reps], ratio = new double[reps];
            long w0 = System.nanoTime();
            for (int w = 0; w < warmup; w++) {
                gen.generate(prompts, sp.withSeed(1000 + w));
                if (fp32 != null) fp32.generate(prompts, sp.withSeed(1000 + w));
            }
            double warmSeconds = (System.nanoTime() - w0) * 1e-9;
            Warmup jit = Warmup.watch();
            long timed = System.nanoTime();
            String tokPerS = "%." + digits + "f tok/s";
            for (int r = 0; r < reps; r++) {
                gen.generate(prompts, sp.withSeed(2 + r));
                rates[r] = rate.applyAsDouble(gen.lastStats());
                if (fp32 != null) {
                    fp32.generate(prompts, sp.withSeed(2 + r));
                    r32[r] = rate.applyAsDouble(fp32.lastStats());
                    ratio[r] = rates[r] / r32[r];
                    System.out.printf("  rep %d: " + tokPerS + " (" + fp32Label + " " + tokPerS + ")%n", r, rates[r], r32[r]);
                } else System.out.printf("  rep %d: " + tokPerS + "%n", r, rates[r]);
            }
            System.out.println(jit.line(warmup, warmSeconds, calls, (System.nanoTime() - timed) * 1e-9));
            return new Reps(rates, r32, ratio);
        }
    }

    @Override
    public void run(Args args) throws Exception {
        String name = args.get("config", "bench-m");
        int reps = args.getInt("reps", 5), tokens = args.getInt("tokens", 128);
        // untimed calls until C2 has compiled every decode kernel (a GRPO run of hundreds of steps is warm; on 2 cores the
        // JIT's threads would take CPU from the timed calls): bench-s generates in ~0.1 s, bench-m in ~2 s (after one call the
        // JIT still compiled ~0.5 s during the timed ones, after three ~0.2 s)
        int warmup = Math.max(1, args.getInt("warmup", switch (name) {
            case "bench-s" -> 20;
            case "bench-m" -> 3;
            default -> 1;
        }));
        String only = args.get("only", name.equals("qwen05b") ? "decode" : "all");
        boolean peer = args.flag("peer");
        org.grpo4j.quant.WeightFormat base = org.grpo4j.quant.WeightFormat.parse(args.get("base", "fp32"));
        int loraR = args.getInt("lora", 0);
        args.rejectUnknown();
        if (!Set.of("all", "generate", "decode").contains(only)) throw new org.grpo4j.cli.Command.UsageException("--only expects generate or decode");
        ModelConfig c = BenchModels.named(name);
        System.out.printf("# generate %s: %s; %s; %d threads; reps %d (median after %d warm-up calls); machine shared, figures are noisy%n",
                name, c, new CpuBackend().name(), Parallel.threads(), reps, warmup);
        // --base: the weights packed as a frozen LoRA/QLoRA base is (generation reads the same packed weights)
        Transformer model = Transformer.random(c, new CpuBackend(), base, 1234, 0.02);
        if (base != org.grpo4j.quant.WeightFormat.FP32) System.out.printf("# weights packed as %s: %.2f GiB%n", base.settingName(), model.frozenBase().bytes() / (double) (1L << 30));
        // --lora R: adapters of rank R on every linear layer (as a LoRA run generates with them)
        if (loraR > 0) {
            model.withLora(new org.grpo4j.lora.LoraAdapters(org.grpo4j.lora.LoraConfig.of(loraR, 2.0 * loraR), c, model.backend()).initialise(2));
            System.out.printf("# LoRA r=%d on every linear layer%n", loraR);
        }
        // a packed base or adapters are timed against the full fp32 model, rep by rep (interleaved, so both see the
        // same load on a shared machine; the ratio is the median of the per-rep ratios)
        boolean packed = base != org.grpo4j.quant.WeightFormat.FP32 || loraR > 0;
        Generator fp32 = packed ? new Generator(Transformer.create(c, new CpuBackend()).initialise(1234, 0.02)) : null;
        Generator gen = new Generator(model);
        Timing timing = new Timing(gen, fp32, warmup, reps);
        SplittableRandom rng = new SplittableRandom(7);

        if (!only.equals("decode")) {
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < 2; b++) {
                int[] p = new int[64];
                for (int i = 0; i < p.length; i++) p[i] = rng.nextInt(c.vocabSize());
                prompts.add(p);
            }
            SamplingParams sp = SamplingParams.defaults().withNumGenerations(8).withTemperature(1.0).withMaxCompletionLength(tokens)
                    .withIgnoreEos(true).withSeed(1);
            Timing.Reps t = timing.measure(prompts, sp, GenerationStats::tokensPerSecond, 1, "full fp32 model", "generate calls");
            double ours = Stats.median(t.rates());
            System.out.printf("generate: %.1f tok/s%n", ours);
            System.out.println("# " + bound(c, gen.lastStats(), ours, false));
            if (packed) System.out.printf("generate full fp32 model (same run, interleaved): %.1f tok/s; ratio: %.2fx (median of the per-rep ratios; higher is better, target >= 1)%n",
                    Stats.median(t.fp32()), Stats.median(t.ratio()));
            if (!packed) System.out.println("# where time goes, generate: " + whereTimeGoes(model, prompts, sp));
            if (peer) {
                JsonNode j = PytorchPeer.run("bench", "--config", name, "--steps", "3", "--warmup", "1", "--max-retries", "2");
                JsonNode m = j == null ? null : j.path("derived").path("gen_tok_per_s").path("median");
                if (m != null && m.isNumber()) {
                    System.out.printf("pytorch generate: %.1f tok/s%n", m.asDouble());
                    System.out.printf("ratio vs pytorch: %.2fx%n", ours / m.asDouble());
                } else if (j != null) System.out.println("pytorch peer: no gen_tok_per_s in its output; no comparison");
            }
        }
        if (!only.equals("generate")) {
            SamplingParams sp = SamplingParams.defaults().withNumGenerations(1).withTemperature(1.0).withMaxCompletionLength(tokens)
                    .withIgnoreEos(true).withSeed(1);
            List<int[]> bos = List.of(new int[] {1});
            // as llama2.c and the peer: the BOS forward and the first token are not timed
            Timing.Reps t = timing.measure(bos, sp, GenerationStats::decodeTokensPerSecond, 2, "fp32", "decode calls");
            double ours = Stats.median(t.rates());
            System.out.printf("decode: %.2f tok/s%n", ours);
            System.out.println("# " + bound(c, gen.lastStats(), ours, true));
            if (!packed) System.out.println("# where time goes, decode: " + whereTimeGoes(model, bos, sp));
            else System.out.printf("decode fp32 (same run, interleaved): %.2f tok/s; %s / fp32 ratio: %.2fx (median of the per-rep ratios; higher is better)%n",
                    Stats.median(t.fp32()), (loraR > 0 ? "LoRA r" + loraR + " on " : "") + base.settingName(), Stats.median(t.ratio()));
            if (name.equals("bench-m")) System.out.println("llama2.c (bench.md, measured earlier on this machine kind, not in this run): 251 tok/s");
            if (peer) {
                List<String> a = new ArrayList<>(List.of("--config", name, "--tokens", String.valueOf(tokens), "--reps", String.valueOf(reps),
                        "--max-retries", "2", "--max-foreign", "1"));
                if (c.attentionBias()) a.add("--qkv-bias");
                JsonNode j = PytorchPeer.run("decode", a.toArray(String[]::new));
                JsonNode m = j == null ? null : j.path("tok_per_s").path("median");
                if (m != null && m.isNumber()) {
                    System.out.printf("pytorch decode: %.2f tok/s%n", m.asDouble());
                    System.out.printf("ratio vs pytorch: %.2fx%n", ours / m.asDouble());
                } else if (j != null) System.out.println("pytorch peer: no tok_per_s in its output; no comparison");
            }
        }
    }
}
