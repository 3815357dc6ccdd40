package org.grpo4j.grpo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;

/**
 * Held-out evaluation: greedy completions scored by every reward function (mean per function), accuracy = the
 * share of prompts whose greedy completion gets the full score from the {@code accuracy} reward (the first reward
 * when none is named so), and pass@G = the share of prompts for which at least one of G sampled completions does.
 */
public final class Evaluation {
    /** The figures of one evaluation, as {@code eval/...} metrics. */
    public record Result(double accuracy, double passAtK, int k, Map<String, Double> meanRewards, int prompts) {
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("eval/accuracy", accuracy);
            m.put("eval/pass@" + k, passAtK);
            meanRewards.forEach((name, v) -> m.put("eval/rewards/" + name + "/mean", v));
            return m;
        }
    }

    private final GrpoConfig config;
    private final List<RewardFunction> rewards;
    private final Function<int[], String> decoder;
    private final int[] stopTokenIds;
    private final RewardScoring scoring;

    public Evaluation(GrpoConfig config, List<RewardFunction> rewards, Function<int[], String> decoder, int[] stopTokenIds) {
        this.config = config;
        this.rewards = rewards;
        this.decoder = decoder;
        this.stopTokenIds = stopTokenIds;
        this.scoring = new RewardScoring(rewards, config.rollouts().rewardTimeout());
    }

    private int accuracyIndex() {
        for (int i = 0; i < rewards.size(); i++) if (rewards.get(i).name().equals("accuracy")) return i;
        return 0;
    }

    public Result run(Generator generator, List<Prompt> prompts) {
        int G = config.numGenerations();
        if (prompts.isEmpty()) return new Result(Double.NaN, Double.NaN, G, Map.of(), 0);
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : prompts) ids.add(p.ids());
        long seed = config.training().seed();
        SamplingParams greedy = config.sampling().greedy(stopTokenIds, seed);
        double[][] greedyScores = score(prompts, generator.generate(ids, greedy), 1);
        int acc = accuracyIndex();
        double correct = 0;
        Map<String, Double> means = new LinkedHashMap<>();
        for (int f = 0; f < rewards.size(); f++) {
            double s = 0;
            int n = 0;
            for (double v : greedyScores[f])
                if (!Double.isNaN(v)) {
                    s += v;
                    n++;
                }
            means.put(rewards.get(f).name(), n == 0 ? Double.NaN : s / n);
        }
        for (double v : greedyScores[acc]) if (v >= 1.0 - 1e-9) correct++;
        SamplingParams sampled = config.sampling().params(G, stopTokenIds, seed + 1);
        double[][] sampledScores = score(prompts, generator.generate(ids, sampled), G);
        double passed = 0;
        for (int p = 0; p < prompts.size(); p++) {
            boolean any = false;
            for (int k = 0; k < G; k++) any |= sampledScores[acc][p * G + k] >= 1.0 - 1e-9;
            if (any) passed++;
        }
        return new Result(correct / prompts.size(), passed / prompts.size(), G, means, prompts.size());
    }

    private double[][] score(List<Prompt> prompts, List<Completion> completions, int perPrompt) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < completions.size(); i++) {
            Prompt p = prompts.get(i / perPrompt);
            Completion c = completions.get(i);
            String text = c.text() != null ? c.text() : decoder != null ? decoder.apply(c.tokenIds()) : "";
            samples.add(new Sample(p.text(), text, c.tokenIds(), c.finishReason().toString(), p.row()));
        }
        return scoring.score(samples).values();
    }
}
