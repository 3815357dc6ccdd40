package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.reward.Rewards;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grpo4j.grpo.GrpoConfig;
import org.grpo4j.grpo.GrpoTask;
import org.grpo4j.grpo.Prompt;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.tokenizer.Tokenizer;
import org.grpo4j.reward.WeightedReward;

/**
 * A checked GRPO recipe, ready for a trainer: settings, tokenizer, the model's config (weights are loaded only
 * when training starts), the tokenised training and held-out prompts, the reward functions and the ids that end
 * a completion. Made by {@link GrpoRecipe#build()}.
 *
 * <pre>{@code
 * GrpoPlan plan = recipe.build();
 * System.out.println(plan.train().size() + " prompts, longest " + plan.longestPrompt() + " tokens");
 * }</pre>
 */
public record GrpoPlan(GrpoRecipe recipe, GrpoConfig config, Tokenizer tokenizer, ModelConfig modelConfig, List<Prompt> train,
                       List<Prompt> eval, List<RewardFunction> rewards, int[] stopTokenIds) {

    /** ids → text for reward functions: the tokenizer's decode, without special tokens. */
    public Function<int[], String> decoder() {
        Tokenizer t = tokenizer;
        return ids -> t.decode(ids, true);
    }

    /** What the trainer learns from: the prompts, the reward functions, the decoder, the stop ids and the tokenizer folder. */
    public GrpoTask task() {
        return new GrpoTask(train, eval, rewards, decoder(), stopTokenIds, recipe.tokenizerDir());
    }

    /**
     * A prompt as chat messages (the system prompt first) when the chat template renders it, else one user message
     * with the prompt text: the conversation a data set made from the model's answers continues.
     */
    public List<org.grpo4j.tokenizer.ChatMessage> promptMessages(Prompt p) {
        List<org.grpo4j.tokenizer.ChatMessage> m = recipe.prompting().chatMessages(recipe.dataset(), p.row());
        return m != null ? m : List.of(org.grpo4j.tokenizer.ChatMessage.user(p.text()));
    }

    public int longestPrompt() {
        int m = 0;
        for (Prompt p : train) m = Math.max(m, p.ids().length);
        for (Prompt p : eval) m = Math.max(m, p.ids().length);
        return m;
    }

    static GrpoPlan of(GrpoRecipe r) {
        List<String> problems = new ArrayList<>();
        problems.addAll(r.settingProblems());
        // ---- what can be checked without reading anything
        GrpoConfig config = null;
        try {
            config = r.config();
        } catch (IllegalArgumentException e) {
            for (String line : e.getMessage().split("\n")) if (line.startsWith("  - ")) problems.add(line.substring(4));
            if (problems.isEmpty()) problems.add(e.getMessage());
        }
        if (r.model() == null) problems.add("model: not set; call .model(\"path/to/model-folder\")");
        if (r.dataset() == null) problems.add("dataset: not set; call .dataset(Dataset.jsonl(\"data/train.jsonl\"))");
        if (r.rewards().isEmpty()) problems.add("rewards: none; GRPO needs at least one, e.g. .reward(Rewards.accuracy())");
        if (r.evalDataset() != null && r.testSplit() != null)
            problems.add("evalDataset and testSplit are both set: choose one source of held-out prompts");
        if (r.testSplit() != null && !(r.testSplit() > 0 && r.testSplit() < 1))
            problems.add("testSplit = " + r.testSplit() + " must be between 0 and 1 (exclusive)");
        if (r.promptTemplate() != null && !r.promptColumn().equals("prompt"))
            problems.add("promptColumn = '" + r.promptColumn() + "' and promptTemplate are both set: the template names its columns itself");
        String dev = org.grpo4j.backend.Devices.problem(r.device());
        if (dev != null) problems.add(dev);
        if (r.settings().get("reward_weights") instanceof List<?> w && w.size() != r.rewards().size())
            problems.add("reward_weights has " + w.size() + " weights but the recipe has " + r.rewards().size() + " reward functions");

        // ---- the model folder and the tokenizer
        ModelConfig modelConfig = null;
        Tokenizer tok = null;
        if (r.model() != null) {
            modelConfig = readModelConfig(r.model(), problems);
            Path td = r.tokenizerDir();
            if (Files.isDirectory(td) && !Files.isRegularFile(td.resolve("tokenizer.json")))
                problems.add((r.tokenizerDir().equals(r.model()) ? "model" : "tokenizer") + " = '" + td + "': no tokenizer.json in " + td
                        + (r.tokenizerDir().equals(r.model()) ? "; set .tokenizer(dir) when the tokenizer lives elsewhere" : ""));
            else if (!Files.isDirectory(td)) {
                if (!td.equals(r.model())) problems.add("tokenizer = '" + td + "': folder not found");
            } else {
                try {
                    tok = Tokenizer.load(td);
                } catch (RuntimeException e) {
                    problems.add("tokenizer = '" + td + "': " + e.getMessage());
                }
            }
            if (tok != null && modelConfig != null && tok.vocabSize() > modelConfig.vocabSize())
                problems.add("tokenizer " + td + " has " + tok.vocabSize() + " ids but the model's vocab_size is " + modelConfig.vocabSize()
                        + ": they do not belong together");
        }

        // ---- the data
        Dataset train = r.dataset(), eval = r.evalDataset();
        Prompting prompting = r.prompting();
        if (train != null) {
            try {
                if (r.testSplit() != null && r.testSplit() > 0 && r.testSplit() < 1) {
                    long seed = r.splitSeed() != null ? r.splitSeed() : config != null ? config.training().seed() : 42;
                    Dataset.Split s = train.split(r.testSplit(), seed);
                    train = s.train();
                    eval = s.test();
                }
                if (r.dataset().size() == 0) problems.add("dataset " + r.dataset().source() + " has no rows");
                else prompting.check(problems, train, tok, "");
                if (eval != null && eval.size() > 0 && eval != train && r.evalDataset() != null) prompting.check(problems, eval, tok, "evalDataset");
                for (WeightedReward w : r.rewards())
                    if (w.function() instanceof org.grpo4j.dsl.reward.Reward rw && rw.goldColumn() != null && train.size() > 0 && !train.hasColumn(rw.goldColumn()))
                        problems.add("reward '" + rw.name() + "' reads gold answers from " + train.missingColumn(rw.goldColumn()));
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                problems.add("dataset: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new RecipeException("GRPO recipe", problems);

        // ---- prompts, tokenised, and their lengths
        List<Prompt> trainPrompts = prompts(train, prompting, tok, problems);
        List<Prompt> evalPrompts = eval == null ? List.of() : prompts(eval, prompting, tok, problems);
        int maxPrompt = config.sampling().maxPromptLength();
        tooLong(trainPrompts, train, maxPrompt, problems);
        tooLong(evalPrompts, eval, maxPrompt, problems);
        int longest = 0;
        for (Prompt p : trainPrompts) longest = Math.max(longest, p.ids().length);
        for (Prompt p : evalPrompts) longest = Math.max(longest, p.ids().length);
        int need = longest + config.sampling().maxCompletionLength();
        if (problems.isEmpty() && need > modelConfig.maxPositionEmbeddings())
            problems.add("max_completion_length = " + config.sampling().maxCompletionLength() + ": the longest prompt (" + longest + " tokens) plus "
                    + config.sampling().maxCompletionLength() + " new tokens is " + need + " positions, more than the model's max_position_embeddings = "
                    + modelConfig.maxPositionEmbeddings());
        if (!problems.isEmpty()) throw new RecipeException("GRPO recipe", problems);

        LinkedHashSet<Integer> stops = new LinkedHashSet<>();
        for (int id : modelConfig.eosTokenIds()) stops.add(id);
        tok.eosTokenId().ifPresent(stops::add);
        int[] stopIds = stops.stream().mapToInt(Integer::intValue).toArray();
        List<RewardFunction> fns = new ArrayList<>();
        for (WeightedReward w : r.rewards()) fns.add(w.function());
        return new GrpoPlan(r, config, tok, modelConfig, trainPrompts, evalPrompts, List.copyOf(fns), stopIds);
    }

    static ModelConfig readModelConfig(Path dir, List<String> problems) {
        if (!Files.isDirectory(dir)) {
            problems.add("model = '" + dir + "': folder not found");
            return null;
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            problems.add("model = '" + dir + "': no config.json in " + dir + " (a Hugging Face model folder holds config.json, model.safetensors and the tokenizer files)");
            return null;
        }
        try (var files = Files.list(dir)) {
            if (files.noneMatch(p -> p.getFileName().toString().endsWith(".safetensors")))
                problems.add("model = '" + dir + "': no .safetensors weights in " + dir);
        } catch (IOException e) {
            problems.add("model = '" + dir + "': cannot list the folder: " + e.getMessage());
        }
        try {
            return ModelConfig.load(dir);
        } catch (IOException | RuntimeException e) {
            problems.add("model = '" + dir + "': " + e.getMessage());
            return null;
        }
    }

    private static List<Prompt> prompts(Dataset d, Prompting p, Tokenizer tok, List<String> problems) {
        List<Prompt> out = new ArrayList<>(d.size());
        for (int i = 0; i < d.size(); i++) {
            Map<String, Object> row = d.row(i);
            String text;
            try {
                text = p.render(d, row, tok);
            } catch (RuntimeException e) {
                problems.add(d.origin(i) + ": the prompt cannot be formatted: " + e.getMessage());
                continue;
            }
            int[] ids = tok.encode(text, false);
            if (ids.length == 0) {
                problems.add(d.origin(i) + ": the prompt is empty after templating");
                continue;
            }
            out.add(new Prompt(i, ids, text, d.lazyRow(i))); // the row is read again when a batch needs it
        }
        return out;
    }

    private static void tooLong(List<Prompt> prompts, Dataset d, int max, List<String> problems) {
        int count = 0, longest = 0;
        String first = null;
        int firstLen = 0;
        for (Prompt p : prompts)
            if (p.ids().length > max) {
                if (first == null) {
                    first = d.origin(p.index());
                    firstLen = p.ids().length;
                }
                count++;
                longest = Math.max(longest, p.ids().length);
            }
        if (first != null)
            problems.add("max_prompt_length = " + max + ": the prompt of " + first + " has " + firstLen + " tokens after templating"
                    + (count > 1 ? " (" + (count - 1) + " more rows are too long; the longest has " + longest + " tokens)" : "")
                    + "; raise max_prompt_length or shorten the prompts");
    }
}
