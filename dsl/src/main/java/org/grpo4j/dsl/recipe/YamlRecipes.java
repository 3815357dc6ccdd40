package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.train.SettingsSchema;

/**
 * Reads TRL / open-r1 GRPO recipes ({@code recipes/…/grpo/config_demo.yaml}) into a {@link GrpoRecipe}.
 *
 * <p>Fields: {@code model_name_or_path} (a local model folder), {@code tokenizer_name_or_path},
 * {@code dataset_name} (a local data file, a Hugging Face dataset folder, or a Hub name found in the local Hugging Face
 * cache: the Hub is not reached), {@code dataset_config}, {@code dataset_train_split} (default {@code train}),
 * {@code dataset_prompt_column}, {@code dataset_test_split} (a split name of the folder, or a number: the held-out
 * fraction), {@code system_prompt},
 * {@code reward_funcs} (open-r1's names: accuracy, format, tag_count, reasoning_steps, cosine, repetition_penalty,
 * length, soft_overlong_punishment, code, binary_code, code_format; default accuracy, format, tag_count as in open-r1; or a function from a
 * Python/JavaScript file in TRL's convention, {@code rewards.py:format_reward}, or a local reward-model folder) with their
 * parameters ({@code cosine_min_value_wrong} … {@code cosine_max_len} with open-r1's command-line defaults — note
 * {@code cosine_min_value_wrong} defaults to 0.0 there —, {@code repetition_n_grams}, {@code repetition_max_penalty},
 * {@code code_language}, {@code max_completion_len}, {@code soft_punish_cache}), {@code reward_weights}, and every
 * {@code GRPOConfig} setting by name ({@link GrpoConfig#SCHEMA}). grpo4j's own additions: {@code eval_dataset_name}
 * (a held-out file), {@code prompt_template}, {@code chat_template_enabled} (true/false), {@code device}.
 *
 * <p>Relative paths are taken from the YAML file's folder when they exist there, else from the working directory.
 * LoRA/QLoRA and memory fields are settings ({@code use_peft}, {@code lora_r}, {@code lora_alpha}, {@code lora_dropout},
 * {@code lora_target_modules}, {@code use_rslora}, {@code load_in_4bit}, {@code load_in_8bit}, {@code torch_dtype},
 * {@code gradient_checkpointing}).
 * Fields that TRL or open-r1 know but that mean nothing here (bf16, use_vllm, hub_model_id,
 * push_to_hub, report_to, attn_implementation, vllm_*, wandb_*, …) are listed in
 * {@link Loaded#ignored()} (and printed as a warning by {@link Recipes#fromYaml}); any other field is an error that
 * suggests the closest known name.
 *
 * <pre>{@code
 * GrpoRecipe r = Recipes.fromYaml(Path.of("recipes/tiny/grpo.yaml")).maxSteps(10);
 * }</pre>
 */
public final class YamlRecipes {
    private YamlRecipes() {}

    /** The recipe and the fields that were ignored as not applicable. */
    public record Loaded(GrpoRecipe recipe, List<String> ignored) {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** open-r1's reward names, as {@code reward_funcs} lists them. */
    public static final List<String> REWARD_NAMES = List.of("accuracy", "format", "tag_count", "reasoning_steps", "cosine", "repetition_penalty",
            "length", "soft_overlong_punishment", "code", "binary_code", "code_format");

    private static final Set<String> RECIPE_FIELDS = Set.of("model_name_or_path", "tokenizer_name_or_path", "dataset_name", "dataset_prompt_column",
            "dataset_test_split", "dataset_config", "dataset_configs", "dataset_train_split", "system_prompt", "reward_funcs", "cosine_min_value_wrong", "cosine_max_value_wrong", "cosine_min_value_correct",
            "cosine_max_value_correct", "cosine_max_len", "repetition_n_grams", "repetition_max_penalty", "code_language", "max_completion_len",
            "soft_punish_cache", "eval_dataset_name", "prompt_template", "chat_template_enabled", "device", "chat_template");

    /** TRL / transformers / open-r1 fields with no meaning for grpo4j (multi-GPU, precision, hub, logging services). */
    private static final Set<String> NOT_APPLICABLE = Set.of("model_revision", "attn_implementation", "trust_remote_code", "bf16", "fp16",
            "tf32", "use_vllm", "gradient_checkpointing_kwargs", "hub_model_id", "hub_strategy", "hub_model_revision",
            "push_to_hub", "push_to_hub_revision", "overwrite_hub_revision", "report_to", "num_processes", "do_eval", "eval_strategy", "log_level",
            "logging_first_step", "logging_strategy", "per_device_eval_batch_size", "save_strategy",
            "callbacks", "benchmarks", "deepspeed", "use_liger_kernel", "use_liger_loss",
            "ds3_gather_for_generation", "model_init_kwargs", "remove_unused_columns", "code_eval_test_batch_size",
            "parallel_code_exec_per_proc", "e2b_router_url", "morph_router_url", "code_provider", "ioi_provider", "optim", "torch_compile",
            "data_seed", "log_on_each_node", "save_only_model", "dataset_num_proc", "ddp_timeout", "dataset_mixture", "eval_on_start",
            "generation_kwargs", "cast_lm_head_to_fp32", "vllm_mode", "log_completions_steps", "wandb_log_unique_prompts");
    private static final List<String> NOT_APPLICABLE_PREFIXES = List.of("vllm_", "wandb_", "lora_", "hub_", "ddp_", "dataloader_", "fsdp", "bnb_");

    /** Reads a recipe file; problems (unknown fields, bad values, a Hub dataset name) are listed in one {@link RecipeException}. */
    public static Loaded read(Path file) {
        return read(file, Map.of());
    }

    /**
     * Reads a recipe file with command-line overrides ({@code --learning_rate 1e-5} as {@code "learning_rate" → "1e-5"}),
     * as {@code accelerate launch grpo.py --config FILE --name value} does: each value is read as a YAML scalar, so
     * numbers and booleans keep their types, and replaces the file's field before the recipe is checked.
     */
    public static Loaded read(Path file, Map<String, String> overrides) {
        Map<String, Object> yaml;
        try {
            Object root = YAML.readValue(Files.readString(file), Object.class);
            if (root == null) root = Map.of();
            if (!(root instanceof Map<?, ?> m)) throw new RecipeException("YAML recipe " + file, List.of("the top level must be a mapping of field: value"));
            yaml = new LinkedHashMap<>();
            m.forEach((k, v) -> yaml.put(String.valueOf(k), v));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": malformed YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""), e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            try {
                yaml.put(o.getKey(), YAML.readValue(o.getValue(), Object.class));
            } catch (JsonProcessingException e) {
                yaml.put(o.getKey(), o.getValue());
            }
        }
        return parse(yaml, file);
    }

    static Loaded parse(Map<String, Object> y, Path file) {
        Path base = file.toAbsolutePath().getParent();
        List<String> problems = new ArrayList<>(), ignored = new ArrayList<>();
        GrpoRecipe r = Recipes.grpo();
        for (Map.Entry<String, Object> e : y.entrySet()) {
            String k = e.getKey();
            if (RECIPE_FIELDS.contains(k)) continue;
            if (k.equals("lr_scheduler_kwargs")) continue; // after the loop: min_lr needs the final learning_rate
            if (GrpoConfig.SCHEMA.knows(k)) {
                try {
                    r = r.set(k, e.getValue());
                } catch (IllegalArgumentException ex) {
                    problems.add(ex.getMessage());
                }
            } else if (NOT_APPLICABLE.contains(k) || NOT_APPLICABLE_PREFIXES.stream().anyMatch(k::startsWith)) ignored.add(k);
            else problems.add("unknown field '" + k + "'" + suggestion(k));
        }
        r = schedulerKwargs(r, y.get("lr_scheduler_kwargs"), y, problems);
        for (String p : r.settingProblems()) problems.add(p.substring(p.indexOf("): ") + 3)); // a YAML field is not a set(…) call
        if (y.get("model_name_or_path") != null) r = r.model(path(base, text(y.get("model_name_or_path"))));
        else problems.add("model_name_or_path: not set (a local model folder)");
        if (y.get("tokenizer_name_or_path") != null) r = r.tokenizer(path(base, text(y.get("tokenizer_name_or_path"))));
        Object ds = y.get("dataset_name");
        if (ds == null) problems.add("dataset_name: not set (a local data file or dataset folder)");
        else r = DatasetSettings.apply(r, y, base, problems);
        if (y.get("eval_dataset_name") != null) r = withDataset(r, base, text(y.get("eval_dataset_name")), "eval_dataset_name", problems, true);
        if (y.get("dataset_prompt_column") != null) r = r.promptColumn(text(y.get("dataset_prompt_column")));
        if (y.get("system_prompt") != null) r = r.systemPrompt(text(y.get("system_prompt")));
        if (y.get("prompt_template") != null) r = r.promptTemplate(text(y.get("prompt_template")));
        if (y.get("chat_template_enabled") instanceof Boolean b) r = r.chatTemplate(b);
        else if (y.get("chat_template_enabled") != null) problems.add("chat_template_enabled = " + y.get("chat_template_enabled") + " must be true or false");
        if (y.get("chat_template") != null)
            problems.add("chat_template: replacing the tokenizer's chat template is not supported; put it into the model folder's tokenizer_config.json");
        if (y.get("device") != null) r = r.device(text(y.get("device")));

        Object funcs = y.containsKey("reward_funcs") ? y.get("reward_funcs") : List.of("accuracy", "format", "tag_count");
        List<Reward> rewards = new ArrayList<>();
        if (!(funcs instanceof List<?> names)) problems.add("reward_funcs = " + funcs + " must be a list of reward names");
        else for (Object n : names) {
            try {
                rewards.add(reward(text(n), y, r, base));
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
            }
        }
        r = r.rewards(rewards.toArray(Reward[]::new));
        if (!problems.isEmpty()) throw new RecipeException("YAML recipe " + file, problems);
        return new Loaded(r, List.copyOf(ignored));
    }

    /**
     * transformers' {@code lr_scheduler_kwargs} for {@code cosine_with_min_lr}: {@code min_lr_rate} (a fraction of
     * learning_rate) or {@code min_lr} (an absolute rate, divided by learning_rate here), one of them.
     */
    private static GrpoRecipe schedulerKwargs(GrpoRecipe r, Object value, Map<String, Object> y, List<String> problems) {
        if (value == null) return r;
        if (!(value instanceof Map<?, ?> kw)) {
            problems.add("lr_scheduler_kwargs = " + value + " must be a mapping such as {min_lr_rate: 0.1}");
            return r;
        }
        for (Map.Entry<?, ?> e : kw.entrySet()) {
            String k = String.valueOf(e.getKey());
            try {
                double v = e.getValue() instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(e.getValue()).trim());
                switch (k) {
                    case "min_lr_rate" -> r = r.set("min_lr_rate", v);
                    case "min_lr" -> {
                        if (kw.containsKey("min_lr_rate")) problems.add("lr_scheduler_kwargs: give min_lr or min_lr_rate, not both");
                        else r = r.set("min_lr_rate", v / learningRate(y));
                    }
                    default -> problems.add("lr_scheduler_kwargs: '" + k + "' is not supported (min_lr_rate or min_lr, for cosine_with_min_lr)");
                }
            } catch (NumberFormatException ex) {
                problems.add("lr_scheduler_kwargs: " + k + " = '" + e.getValue() + "' must be a number");
            } catch (IllegalArgumentException ex) {
                problems.add("lr_scheduler_kwargs: " + ex.getMessage());
            }
        }
        return r;
    }

    private static double learningRate(Map<String, Object> y) {
        Object lr = GrpoConfig.SCHEMA.coerce("learning_rate", y.getOrDefault("learning_rate", GrpoConfig.SCHEMA.defaults().get("learning_rate")));
        return ((Number) lr).doubleValue();
    }

    private static GrpoRecipe withDataset(GrpoRecipe r, Path base, String name, String field, List<String> problems, boolean eval) {
        Path p = path(base, name);
        try {
            Dataset d = Dataset.of(p);
            return eval ? r.evalDataset(d) : r.dataset(d);
        } catch (IllegalArgumentException e) {
            problems.add(field + ": " + e.getMessage());
            return r;
        }
    }

    private static Reward reward(String name, Map<String, Object> y, GrpoRecipe r, Path base) {
        Reward guest = guestReward(name, base);
        if (guest != null) return guest;
        return switch (name) {
            case "accuracy" -> Rewards.accuracy();
            case "format" -> Rewards.format();
            case "tag_count" -> Rewards.tagCount();
            case "reasoning_steps" -> Rewards.reasoningSteps();
            case "length" -> Rewards.length();
            case "cosine" -> Rewards.cosine(num(y, "cosine_min_value_wrong", 0.0), num(y, "cosine_max_value_wrong", -0.5),
                    num(y, "cosine_min_value_correct", 0.5), num(y, "cosine_max_value_correct", 1.0), (int) num(y, "cosine_max_len", 1000));
            case "repetition_penalty" -> Rewards.repetitionPenalty((int) num(y, "repetition_n_grams", 3), num(y, "repetition_max_penalty", -1.0));
            case "soft_overlong_punishment" -> {
                int maxLen = (int) num(y, "max_completion_len", r.config().integer("max_completion_length"));
                yield Rewards.softOverlongPunishment(maxLen, (int) num(y, "soft_punish_cache", Math.max(1, maxLen / 4)));
            }
            case "code" -> Rewards.code();
            case "binary_code" -> Rewards.binaryCode();
            case "code_format" -> y.get("code_language") != null ? Rewards.codeFormat(text(y.get("code_language"))) : Rewards.codeFormat();
            default -> {
                String best = closest(name, REWARD_NAMES);
                throw new IllegalArgumentException("reward_funcs: '" + name + "' is not a built-in reward"
                        + (best != null ? " (did you mean '" + best + "'?)" : "") + "; built-ins are " + String.join(", ", REWARD_NAMES)
                        + (name.equals("ioi_code") || name.equals("cf_code") ? " (C++ judging with Piston is not available; code and binary_code run Python and JavaScript locally)" : ""));
            }
        };
    }

    /** {@code rewards.py:format_reward} or {@code rewards.js:fn}: a function (or factory call) from a file; null otherwise. */
    private static Reward guestReward(String name, Path base) {
        Path folder = path(base, name);
        if (Files.isRegularFile(folder.resolve("config.json"))) return Rewards.rewardModel(folder.toString());
        int colon = name.indexOf(':');
        if (colon <= 0) return null;
        String file = name.substring(0, colon).strip(), callable = name.substring(colon + 1).strip();
        if (!file.endsWith(".py") && !file.endsWith(".js")) return null;
        Path p = path(base, file);
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException("reward_funcs: '" + name + "': reward file " + p + " not found");
        return file.endsWith(".py") ? Rewards.python(p.toString(), callable) : Rewards.js(p.toString(), callable);
    }

    private static double num(Map<String, Object> y, String key, double fallback) {
        Object v = y.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " = '" + v + "' must be a number");
        }
    }

    private static String text(Object v) {
        return v == null ? null : v.toString();
    }

    static Path path(Path base, String p) {
        Path given = Path.of(p);
        if (!given.isAbsolute() && base != null && Files.exists(base.resolve(given))) return base.resolve(given).normalize();
        return given;
    }

    private static String suggestion(String name) {
        Set<String> known = new LinkedHashSet<>(GrpoConfig.SCHEMA.settings().keySet());
        known.addAll(RECIPE_FIELDS);
        known.addAll(NOT_APPLICABLE);
        String best = closest(name, known);
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    private static String closest(String name, java.util.Collection<String> known) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : known) {
            int d = SettingsSchema.editDistance(name.toLowerCase(Locale.ROOT), k);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best != null && bestD <= Math.max(2, name.length() / 3) ? best : null;
    }
}
