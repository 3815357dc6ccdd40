package org.grpo4j.repl;

import java.io.PrintStream;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.WeightedReward;

/**
 * What the REPL's model, reward and training commands ({@code :rewards}, {@code :try}, {@code :sample},
 * {@code :train}) need from the DSL, the generation engine and the trainer. The REPL evaluates the user's
 * expressions ({@code :train recipe}) to host objects and hands them over; an implementation decides what they
 * mean. {@link #basic()} is what works without those modules: rewards that are {@link RewardFunction}s.
 */
public interface ReplServices {
    /** The built-in reward functions {@code :rewards} lists, with one-line descriptions. */
    List<RewardInfo> builtinRewards();

    /**
     * The reward functions, with their weights, that a REPL value stands for ({@code :try}, {@code :sample ... with}).
     * Empty when the value is not a reward. The default accepts a {@link RewardFunction}, or an array or
     * {@link Iterable} of them (each with weight 1).
     */
    default List<WeightedReward> rewardComponents(Object value) {
        List<WeightedReward> out = new ArrayList<>();
        switch (value) {
            case RewardFunction f -> out.add(new WeightedReward(f, 1.0));
            case WeightedReward w -> out.add(w);
            case Iterable<?> it -> {
                for (Object o : it) {
                    List<WeightedReward> one = rewardComponents(o);
                    if (one.isEmpty()) return List.of();
                    out.addAll(one);
                }
            }
            case Object a when a.getClass().isArray() && !a.getClass().getComponentType().isPrimitive() -> {
                for (int i = 0; i < Array.getLength(a); i++) {
                    List<WeightedReward> one = rewardComponents(Array.get(a, i));
                    if (one.isEmpty()) return List.of();
                    out.addAll(one);
                }
            }
            case null, default -> { }
        }
        return out;
    }

    /** Generates {@code n} completions of {@code prompt} with {@code model} (a REPL value); {@code :sample}. */
    List<String> sample(Object model, String prompt, int n) throws Exception;

    /**
     * Starts training {@code recipe} (a REPL value) in the background and returns at once; {@code :train}.
     * {@code log} prints above the prompt; the REPL shows {@link TrainingSession#status()} in its status line.
     */
    TrainingSession startTraining(Object recipe, PrintStream log) throws Exception;

    /**
     * Evaluates {@code recipe} (an evaluation recipe, or a GRPO recipe on its held-out prompts) and returns the
     * lines to show; {@code :eval}.
     */
    default List<String> evaluate(Object recipe) throws Exception {
        throw new UnsupportedOperationException("evaluation is not available in this build (the DSL is not on the class path)");
    }

    /** Draws {@code metric} over the steps of {@code history} into {@code png}; {@code :plot}. Returns false when no step logged it. */
    default boolean plot(List<java.util.Map<String, Double>> history, String metric, java.nio.file.Path png) throws Exception {
        throw new UnsupportedOperationException("charts are not available in this build (the DSL is not on the class path)");
    }

    /** Completions to label and the model they were sampled from (a folder or checkpoint, as the user knows it). */
    record Sampled(String model, List<org.grpo4j.reward.Sample> samples) {}

    /**
     * {@code n} completions to label, sampled with the current model of {@code source} (a REPL value: a GRPO recipe;
     * its run's newest checkpoint when it has one, else its model) on prompts of its data set, each with its prompt
     * text and data set row (for the gold answer); {@code :label}.
     */
    default Sampled labelCandidates(Object source, int n) throws Exception {
        throw new UnsupportedOperationException("sampling for :label is not available in this build (the DSL is not on the class path); "
                + ":label FILE.jsonl labels logged completions");
    }

    /** What {@code :learn} says about the reward it trained ({@code reward}) on the labels in {@code labels}. */
    default List<String> describeLearned(Object reward, java.nio.file.Path labels) throws Exception {
        return List.of(String.valueOf(reward));
    }

    /** What works without the DSL, generation engine and trainer: reward functions only. */
    static ReplServices basic() {
        return new ReplServices() {
            @Override
            public List<RewardInfo> builtinRewards() {
                return List.of();
            }

            @Override
            public List<String> sample(Object model, String prompt, int n) {
                throw new UnsupportedOperationException("sampling is not available in this build (the generation engine is not wired to the REPL)");
            }

            @Override
            public TrainingSession startTraining(Object recipe, PrintStream log) {
                throw new UnsupportedOperationException("training is not available in this build (the trainer is not wired to the REPL)");
            }
        };
    }
}
