package org.grpo4j.dsl.recipe;

import java.util.List;

/**
 * Everything wrong with a recipe, found before any work started; {@link #problems()} lists them one by one, each
 * naming the setting, the value and the rule, and the message lists them all.
 *
 * <pre>{@code
 * try { recipe.validate(); } catch (RecipeException e) { e.problems().forEach(System.out::println); }
 * }</pre>
 */
public final class RecipeException extends IllegalArgumentException {
    private final List<String> problems;

    public RecipeException(String what, List<String> problems) {
        super("invalid " + what + ":\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
