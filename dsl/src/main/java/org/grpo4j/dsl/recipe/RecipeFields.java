package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a GRPO and an SFT recipe both hold: model folder, tokenizer, data, how a row becomes a prompt, the settings
 * set by TRL name, device and console. One list, so a field added for one kind of recipe cannot be forgotten in
 * the other's copy; each recipe's own {@code Fields} extends it. Recipes are immutable: every change copies.
 */
class RecipeFields {
    Path model, tokenizer;
    Dataset dataset, evalDataset;
    Double testSplit;
    Long splitSeed;
    String promptColumn = "prompt", systemPrompt, promptTemplate;
    Boolean chatTemplate;
    Map<String, Object> settings = new LinkedHashMap<>();
    // settings set(…) could not take (unknown name, wrong kind): reported with every other problem when the recipe is checked
    java.util.List<String> settingProblems = new java.util.ArrayList<>();
    String device = "cpu";
    boolean quiet;

    /** Copies these fields into {@code to} (the settings into a map of its own) and returns it. */
    <F extends RecipeFields> F copyInto(F to) {
        to.model = model;
        to.tokenizer = tokenizer;
        to.dataset = dataset;
        to.evalDataset = evalDataset;
        to.testSplit = testSplit;
        to.splitSeed = splitSeed;
        to.promptColumn = promptColumn;
        to.systemPrompt = systemPrompt;
        to.promptTemplate = promptTemplate;
        to.chatTemplate = chatTemplate;
        to.settings = new LinkedHashMap<>(settings);
        to.settingProblems = new java.util.ArrayList<>(settingProblems);
        to.device = device;
        to.quiet = quiet;
        return to;
    }

    /**
     * Sets {@code name} after the schema coerced it; a wrong name or kind is kept as a problem, not thrown, so a
     * recipe's problems are all reported together when it is checked (validate, train). A later set of the same
     * name corrects it.
     */
    void set(org.grpo4j.train.SettingsSchema schema, String name, Object value) {
        String prefix = "set(\"" + name + "\", ";
        try {
            settings.put(name, schema.coerce(name, value));
            settingProblems.removeIf(pr -> pr.startsWith(prefix));
        } catch (IllegalArgumentException e) {
            settingProblems.add(prefix + value + "): " + e.getMessage());
        }
    }

    Prompting prompting() {
        return new Prompting(promptColumn, systemPrompt, promptTemplate, chatTemplate);
    }
}
