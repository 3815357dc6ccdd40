package org.grpo4j.grpo;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.grpo4j.reward.RewardFunction;

/**
 * What a GRPO run learns from, apart from its settings: the tokenised training and held-out prompts, the reward
 * functions (their weights are the {@code reward_weights} setting), how token ids become text for them, the ids
 * that end a completion, and the tokenizer files every checkpoint carries.
 *
 * <pre>{@code
 * var task = new GrpoTask(train, heldOut, List.of(accuracy), ids -> tokenizer.decode(ids, true), eosIds, modelDir);
 * new GrpoTrainer(policy, config, task, System.out, new StopSignal()).train();
 * }</pre>
 *
 * @param eval         held-out prompts; null or empty = no evaluation
 * @param decoder      token ids → text for reward functions (the tokenizer's decode, skipping special tokens); may be null
 * @param stopTokenIds ids that end a completion (EOS); null means the model config's
 * @param tokenizerDir the folder whose tokenizer files every checkpoint carries; may be null
 */
public record GrpoTask(List<Prompt> train, List<Prompt> eval, List<? extends RewardFunction> rewards, Function<int[], String> decoder, int[] stopTokenIds,
                       Path tokenizerDir) {
    public GrpoTask {
        if (train == null || train.isEmpty()) throw new IllegalArgumentException("the GRPO training set has no prompts");
        if (rewards == null || rewards.isEmpty()) throw new IllegalArgumentException("GRPO needs at least one reward function");
        train = List.copyOf(train);
        eval = eval == null ? List.of() : List.copyOf(eval);
        rewards = List.copyOf(rewards);
    }
}
