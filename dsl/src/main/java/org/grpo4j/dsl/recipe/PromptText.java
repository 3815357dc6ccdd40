package org.grpo4j.dsl.recipe;

import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * A row's prompt exactly as a recipe's trainer builds it (prompt column or template, system prompt, chat
 * template), for previews such as {@code grpo data inspect}. Without a tokenizer, chat messages are shown one per
 * line as {@code role: content} instead of through the chat template.
 *
 * <pre>{@code
 * GrpoRecipe r = Recipes.fromYaml("recipe.yaml");
 * System.out.println(PromptText.of(r, r.dataset(), r.dataset().row(0), Tokenizer.load(r.tokenizerDir())));
 * }</pre>
 */
public final class PromptText {
    private PromptText() {}

    /** The prompt text of {@code row} of {@code d}; {@code tok} may be null (no chat template applied). */
    public static String of(GrpoRecipe recipe, Dataset d, Map<String, Object> row, Tokenizer tok) {
        Prompting p = recipe.prompting();
        List<ChatMessage> msgs = p.chatMessages(d, row);
        if (msgs == null || tok != null) return p.render(d, row, tok);
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : msgs) sb.append(sb.isEmpty() ? "" : "\n").append(m.role()).append(": ").append(m.content());
        return sb.toString();
    }

    /** The column the recipe reads prompts from in {@code d} ({@code messages} stands in for a missing {@code prompt}). */
    public static String column(GrpoRecipe recipe, Dataset d) {
        return recipe.prompting().column(d);
    }
}
