package org.grpo4j.repl;

import java.util.ArrayList;
import java.util.List;

/**
 * The imports every REPL session and {@code .grpo} script starts with. The DSL imports are added only when the
 * DSL classes are on the class path at run time, so the REPL works on a build without them and picks them up as
 * soon as they exist.
 */
public final class DefaultImports {
    private DefaultImports() {}

    /** An import statement, used only when {@code probe} (a class name) can be loaded; {@code probe == null}: always. */
    record Import(String statement, String probe) {}

    /** The one list of default imports; order matters only for readability of {@code :imports}-style listings. */
    static final List<Import> ALL = List.of(
            new Import("import java.util.*;", null),
            new Import("import java.util.function.*;", null),
            new Import("import java.util.stream.*;", null),
            new Import("import java.nio.file.*;", null),
            new Import("import java.io.*;", null),
            new Import("import org.grpo4j.reward.*;", "org.grpo4j.reward.RewardFunction"),
            new Import("import org.grpo4j.dsl.reward.*;", "org.grpo4j.dsl.reward.Rewards"),
            new Import("import org.grpo4j.dsl.recipe.*;", "org.grpo4j.dsl.recipe.Recipes"),
            new Import("import org.grpo4j.dsl.data.*;", "org.grpo4j.dsl.data.Dataset"),
            new Import("import org.grpo4j.dsl.eval.*;", "org.grpo4j.dsl.eval.EvalRecipe"),
            new Import("import org.grpo4j.dsl.datagen.*;", "org.grpo4j.dsl.datagen.DataGenRecipe"),
            new Import("import static org.grpo4j.dsl.reward.Rewards.*;", "org.grpo4j.dsl.reward.Rewards"),
            new Import("import static org.grpo4j.dsl.recipe.Recipes.*;", "org.grpo4j.dsl.recipe.Recipes"));

    /** The import statements whose classes {@code loader} can see. */
    public static List<String> statements(ClassLoader loader) {
        List<String> out = new ArrayList<>();
        for (Import i : ALL) if (i.probe() == null || present(i.probe(), loader)) out.add(i.statement());
        return out;
    }

    private static boolean present(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
