package org.grpo4j.dsl.recipe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.data.HfFolder;

/**
 * The data set settings of a TRL / open-r1 YAML recipe, in one place: {@code dataset_name} (a data file, a Hugging
 * Face dataset folder, or a Hub name found in the local cache), {@code dataset_config} (or a one-element
 * {@code dataset_configs}), {@code dataset_train_split} (default {@code train}) and {@code dataset_test_split} (a
 * split of the folder, which becomes the held-out prompts, or a number: the fraction of the training split held
 * out). As in TRL, the test split is used only when it is named.
 *
 * <pre>{@code
 * # recipe.yaml
 * dataset_name: NuminaMath-TIR        # the folder huggingface-cli download left
 * dataset_train_split: train
 * dataset_test_split: test
 * dataset_prompt_column: problem
 * }</pre>
 */
final class DatasetSettings {
    private DatasetSettings() {}

    static GrpoRecipe apply(GrpoRecipe r, Map<String, Object> y, Path base, List<String> problems) {
        String name = y.get("dataset_name").toString();
        Path p = YamlRecipes.path(base, name);
        String config = config(y, problems);
        String trainSplit = y.get("dataset_train_split") == null ? "train" : y.get("dataset_train_split").toString();
        Object test = y.get("dataset_test_split");
        try {
            if (Files.isRegularFile(p)) {
                if (config != null) problems.add("dataset_config = '" + config + "': dataset_name " + p + " is one file, which has no configs");
                if (y.get("dataset_train_split") != null && !trainSplit.equals("train"))
                    problems.add("dataset_train_split = '" + trainSplit + "': dataset_name " + p + " is one file, which is the train split");
                if (test != null && !(test instanceof Number))
                    problems.add("dataset_test_split = '" + test + "': dataset_name " + p
                            + " is one file, which has no other split; give a fraction such as 0.1 to hold rows out, or name a dataset folder");
                r = r.dataset(Dataset.file(p));
            } else {
                HfFolder folder = HfFolder.open(p, config);
                r = r.dataset(Dataset.hf(folder.root(), config, trainSplit));
                if (test != null && !(test instanceof Number)) r = r.evalDataset(Dataset.hf(folder.root(), config, test.toString()));
            }
            if (test instanceof Number n) r = r.testSplit(n.doubleValue());
        } catch (IllegalArgumentException e) {
            problems.add("dataset_name: " + e.getMessage());
        }
        return r;
    }

    private static String config(Map<String, Object> y, List<String> problems) {
        Object one = y.get("dataset_config"), many = y.get("dataset_configs");
        if (one != null && many != null) problems.add("dataset_config and dataset_configs are both set: give one");
        if (one != null) return one.toString();
        if (many == null) return null;
        if (many instanceof List<?> l && l.size() == 1) return String.valueOf(l.getFirst());
        if (many instanceof String s) return s;
        problems.add("dataset_configs = " + many + ": grpo4j trains on one config; give dataset_config: NAME");
        return null;
    }
}
