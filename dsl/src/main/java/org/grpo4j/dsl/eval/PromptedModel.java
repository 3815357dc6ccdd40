package org.grpo4j.dsl.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.recipe.GrpoPlan;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.recipe.Recipes;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.RewardFunction;

/**
 * A model folder with a data set's prompts rendered for it, for {@code grpo eval} and {@code grpo generate-data}.
 * The prompts go through a GRPO recipe's checks, so a missing column, an absent chat template or a prompt longer
 * than the model's context is reported exactly as {@code train(...)} would (file and line of the row).
 *
 * <pre>{@code
 * PromptedModel m = PromptedModel.of(Path.of("examples/models/arithmetic-sft"), Dataset.jsonl("test.jsonl"),
 *         new PromptedModel.Prompting("prompt", "{prompt}\n", null, null), List.of(Rewards.accuracy("solution")), 64, "cpu");
 * System.out.println(m.plan().train().size() + " prompts");
 * }</pre>
 */
public record PromptedModel(Path model, Path adapter, GrpoPlan plan, String device) {

    /** How a row becomes a prompt: a column, or a {@code {column}} template; a system prompt; the chat template (null = when needed). */
    public record Prompting(String column, String template, String systemPrompt, Boolean chat) {
        public static final Prompting DEFAULT = new Prompting("prompt", null, null, null);

        /** These settings under their names, for a run's recorded settings (results.json, a data set's progress file). */
        public void putInto(java.util.Map<String, Object> m) {
            m.put("prompt_column", template == null ? column : null);
            m.put("prompt_template", template);
            m.put("system_prompt", systemPrompt);
            m.put("chat_template", chat);
        }
    }

    public static PromptedModel of(Path model, Dataset data, Prompting p, List<? extends RewardFunction> rewards, int maxTokens, String device) {
        ModelFolder.Resolved resolved = ModelFolder.resolve(model);
        Path dir = resolved.model();
        GrpoRecipe r = Recipes.grpo().model(dir).dataset(data).rewards(rewards).quiet()
                // the recipe's checks want a valid GRPO batch; evaluation's own n is kept elsewhere
                .numGenerations(2).perDeviceTrainBatchSize(2).maxCompletionLength(maxTokens).device(device);
        if (p.template() != null) r = r.promptTemplate(p.template());
        else r = r.promptColumn(p.column());
        if (p.systemPrompt() != null) r = r.systemPrompt(p.systemPrompt());
        if (p.chat() != null) r = r.chatTemplate(p.chat());
        try {
            // prompts may use whatever room the answer leaves; the plan names the row of one that does not fit
            int context = ModelConfig.load(dir).maxPositionEmbeddings();
            if (context > maxTokens) r = r.maxPromptLength(context - maxTokens);
        } catch (IOException | RuntimeException e) {
            // the plan reports the unreadable config.json with the folder's name
        }
        return new PromptedModel(dir, resolved.adapter(), r.build(), device);
    }

    /** What was evaluated: the adapter folder for a LoRA model, else the model folder. */
    public Path source() {
        return adapter != null ? adapter : model;
    }

    /** The weights, loaded on the device, with the PEFT adapter on them when there is one. */
    public Transformer load() {
        try {
            Transformer m = Transformer.load(model, org.grpo4j.backend.Devices.open(device));
            if (adapter != null) m.withLora(org.grpo4j.lora.PeftAdapter.load(adapter, m.config(), m.backend()));
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("model " + model + ": " + e.getMessage(), e);
        }
    }
}
