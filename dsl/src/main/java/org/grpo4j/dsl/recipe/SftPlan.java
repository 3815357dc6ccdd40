package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.sft.SftConfig;
import org.grpo4j.sft.SftExample;
import org.grpo4j.tokenizer.CharTokenizer;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * A checked SFT recipe: settings, the tokenizer (a character tokenizer built from the data when asked for), the
 * model config (of the folder, or of the new model), and the tokenised examples. Made by {@link SftRecipe#build()}.
 *
 * <pre>{@code
 * SftPlan plan = Recipes.sft().newModel("qwen2", 64, 2, 4, 2, 176).charTokenizer().dataset(d).build();
 * System.out.println(plan.modelConfig() + ", " + plan.train().size() + " examples");
 * }</pre>
 *
 * @param charTokenizer the character tokenizer to save with the model, or null when the tokenizer is a folder's
 * @param newModel      true when the model is created from random weights rather than loaded
 */
public record SftPlan(SftRecipe recipe, SftConfig config, Tokenizer tokenizer, CharTokenizer charTokenizer, ModelConfig modelConfig,
                      boolean newModel, List<SftExample> train, List<SftExample> eval) {

    static SftPlan of(SftRecipe r) {
        List<String> problems = new ArrayList<>();
        problems.addAll(r.settingProblems());
        SftConfig config = null;
        try {
            config = r.config();
        } catch (IllegalArgumentException e) {
            for (String line : e.getMessage().split("\n")) if (line.startsWith("  - ")) problems.add(line.substring(4));
            if (problems.isEmpty()) problems.add(e.getMessage());
        }
        boolean fresh = r.newModelShape() != null || r.newModelConfig() != null;
        if (r.model() == null && !fresh) problems.add("model: not set; call .model(\"path/to/model-folder\") or .newModel(...)");
        if (fresh && r.tokenizerDir() == null && !r.usesCharTokenizer())
            problems.add("tokenizer: a new model needs one; call .charTokenizer() or .tokenizer(\"path/to/tokenizer-folder\")");
        if (r.dataset() == null) problems.add("dataset: not set; call .dataset(Dataset.jsonl(\"data/train.jsonl\"))");
        if (r.evalDataset() != null && r.testSplit() != null) problems.add("evalDataset and testSplit are both set: choose one source of held-out examples");
        if (r.testSplit() != null && !(r.testSplit() > 0 && r.testSplit() < 1))
            problems.add("testSplit = " + r.testSplit() + " must be between 0 and 1 (exclusive)");
        String dev = org.grpo4j.backend.Devices.problem(r.device());
        if (dev != null) problems.add(dev);

        if (r.newModelShape() != null) {
            SftRecipe.NewModel m = r.newModelShape();
            if (m.numHeads() <= 0 || m.hiddenSize() % m.numHeads() != 0)
                problems.add("newModel: hidden = " + m.hiddenSize() + " must be a multiple of heads = " + m.numHeads());
        }
        newModelSettingProblems(r, problems);
        if (r.usesCharTokenizer()) charTokenizerProblems(r.charSpecialTokens(), problems);

        ModelConfig modelConfig = null;
        if (r.model() != null) modelConfig = GrpoPlan.readModelConfig(r.model(), problems);

        Dataset train = r.dataset(), eval = r.evalDataset();
        Prompting prompting = r.prompting();
        try {
            if (train != null && r.testSplit() != null && r.testSplit() > 0 && r.testSplit() < 1) {
                Dataset.Split s = train.split(r.testSplit(), r.splitSeed() != null ? r.splitSeed() : config != null ? config.training().seed() : 42);
                train = s.train();
                eval = s.test();
            }
            if (train != null && r.dataset().size() == 0) problems.add("dataset " + r.dataset().source() + " has no rows");
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            problems.add("dataset: " + e.getMessage());
            train = null;
        }

        // ---- the tokenizer
        Tokenizer tok = null;
        CharTokenizer chars = null;
        if (r.usesCharTokenizer() && train != null && problems.isEmpty()) {
            List<String> corpus = new ArrayList<>(r.extraCorpus());
            for (Map<String, Object> row : r.dataset().rows()) strings(row, corpus);
            if (r.evalDataset() != null) for (Map<String, Object> row : r.evalDataset().rows()) strings(row, corpus);
            if (r.systemPrompt() != null) corpus.add(r.systemPrompt());
            // the template's own text: its {column} placeholders are replaced, so their braces are not text the model sees
            if (r.promptTemplate() != null) corpus.add(Prompting.fill(r.promptTemplate(), Map.of()));
            chars = CharTokenizer.build(corpus, r.charSpecialTokens());
            tok = chars.tokenizer();
        } else if (r.tokenizerDir() != null) {
            if (!Files.isRegularFile(r.tokenizerDir().resolve("tokenizer.json"))) {
                if (Files.isDirectory(r.tokenizerDir())) problems.add("tokenizer = '" + r.tokenizerDir() + "': no tokenizer.json in " + r.tokenizerDir());
                else if (!r.tokenizerDir().equals(r.model())) problems.add("tokenizer = '" + r.tokenizerDir() + "': folder not found");
            } else {
                try {
                    tok = Tokenizer.load(r.tokenizerDir());
                } catch (RuntimeException e) {
                    problems.add("tokenizer = '" + r.tokenizerDir() + "': " + e.getMessage());
                }
            }
        }
        if (tok != null && tok.eosTokenId().isEmpty())
            problems.add("tokenizer " + tok.source() + " names no EOS token (eos_token in tokenizer_config.json); SFT completions must end with one");
        if (tok != null && fresh && config != null) {
            try {
                modelConfig = r.newModelConfig() != null ? r.newModelConfig() : newConfig(r, tok, config.sft().maxLength());
            } catch (IllegalArgumentException e) {
                problems.add("newModel: " + e.getMessage());
            }
        }
        if (tok != null && modelConfig != null && tok.vocabSize() > modelConfig.vocabSize())
            problems.add("the tokenizer has " + tok.vocabSize() + " ids but the model's vocab_size is " + modelConfig.vocabSize());

        // ---- columns
        if (train != null && train.size() > 0) {
            boolean conv = conversational(r, prompting, train);
            if (!conv && r.promptTemplate() == null && !train.hasColumn(prompting.column(train)) && train.hasColumn("messages"))
                conv = true;
            if (!conv) {
                prompting.check(problems, train, tok, "");
                if (!train.hasColumn(r.completionColumn())) problems.add("completionColumn: " + train.missingColumn(r.completionColumn()));
            } else if (tok != null && !tok.hasChatTemplate()) {
                problems.add("column '" + prompting.column(train) + "' of " + train.source() + " holds chat messages, but the tokenizer " + tok.source() + " has no chat template");
            }
        }
        if (!problems.isEmpty()) throw new RecipeException("SFT recipe", problems);

        List<SftExample> trainEx = examples(r, prompting, train, tok, problems);
        List<SftExample> evalEx = eval == null ? List.of() : examples(r, prompting, eval, tok, problems);
        int longest = 0;
        for (SftExample e : trainEx) longest = Math.max(longest, Math.min(e.length(), config.sft().maxLength()));
        if (problems.isEmpty() && longest > modelConfig.maxPositionEmbeddings())
            problems.add("max_length = " + config.sft().maxLength() + ": examples of up to " + longest + " tokens do not fit the model's max_position_embeddings = "
                    + modelConfig.maxPositionEmbeddings());
        if (!problems.isEmpty()) throw new RecipeException("SFT recipe", problems);
        return new SftPlan(r, config, tok, chars, modelConfig, fresh, trainEx, evalEx);
    }

    private static boolean conversational(SftRecipe r, Prompting p, Dataset d) {
        return r.promptTemplate() == null && !d.hasColumn(r.completionColumn()) && d.hasColumn(p.column(d))
                && Prompting.isConversation(d.row(0).get(p.column(d)));
    }

    /** The config of the recipe's new model shape: its settings or their defaults, the tokenizer's vocabulary and EOS. */
    static ModelConfig newConfig(SftRecipe r, Tokenizer tok, int maxLength) {
        SftRecipe.NewModel m = r.newModelShape();
        int eos = tok.eosTokenId().orElse(-1);
        return new ModelConfig(m.architecture(), tok.vocabSize(), m.hiddenSize(), m.intermediateSize(), m.numLayers(), m.numHeads(), m.numKvHeads(),
                m.hiddenSize() / Math.max(1, m.numHeads()), (float) or(r.rmsNormEps(), SftRecipe.RMS_NORM_EPS), or(r.ropeTheta(), SftRecipe.ROPE_THETA), null,
                r.tieWordEmbeddings() == null || r.tieWordEmbeddings(), r.maxPositionEmbeddings() != null ? r.maxPositionEmbeddings() : maxLength,
                m.architecture() == Architecture.QWEN2, -1, eos < 0 ? new int[0] : new int[] {eos}, "float32");
    }

    /** The std a new model's weights are drawn with (the recipe's {@code initializer_range}, else 0.02). */
    public double initializerRange() {
        return or(recipe.initializerRange(), SftRecipe.INITIALIZER_RANGE);
    }

    private static double or(Double v, double fallback) {
        return v != null ? v : fallback;
    }

    /** A new model's settings: positive and finite, and set only where they apply. */
    private static void newModelSettingProblems(SftRecipe r, List<String> problems) {
        positive(problems, "initializerRange", "initializer_range", r.initializerRange());
        positive(problems, "rmsNormEps", "rms_norm_eps", r.rmsNormEps());
        positive(problems, "ropeTheta", "rope_theta", r.ropeTheta());
        if (r.maxPositionEmbeddings() != null && r.maxPositionEmbeddings() <= 0)
            problems.add("maxPositionEmbeddings = " + r.maxPositionEmbeddings() + " (max_position_embeddings) must be positive");
        if (r.initializerRange() != null && r.model() != null)
            problems.add("initializerRange = " + r.initializerRange() + ": only a new model's weights are drawn at random; .model(" + r.model() + ") loads its own");
        if (r.newModelShape() == null) {
            List<String> set = new ArrayList<>();
            if (r.rmsNormEps() != null) set.add("rmsNormEps");
            if (r.ropeTheta() != null) set.add("ropeTheta");
            if (r.tieWordEmbeddings() != null) set.add("tieWordEmbeddings");
            if (r.maxPositionEmbeddings() != null) set.add("maxPositionEmbeddings");
            if (!set.isEmpty())
                problems.add(String.join(", ", set) + ": only for .newModel(architecture, hidden, layers, heads, kvHeads, ffn); "
                        + (r.newModelConfig() != null ? "the ModelConfig given to .newModel(config) holds its own" : "a loaded model's config.json holds its own"));
        }
    }

    private static void positive(List<String> problems, String method, String hfName, Double v) {
        if (v != null && !(v > 0 && Double.isFinite(v))) problems.add(method + " = " + v + " (" + hfName + ") must be a positive number");
    }

    /** The character tokenizer's special tokens: one at least (the EOS), none empty, repeated or {@code <unk>} (always id 0). */
    private static void charTokenizerProblems(List<String> specials, List<String> problems) {
        if (specials.isEmpty()) problems.add("charTokenizer: no special tokens; completions must end with one (EOS), e.g. List.of(\"<|endoftext|>\")");
        Set<String> seen = new HashSet<>();
        for (String s : specials) {
            if (s == null || s.isEmpty()) problems.add("charTokenizer: special token " + (s == null ? "null" : "\"\"") + " in " + specials + "; each is a non-empty text");
            else if (s.equals(CharTokenizer.UNK)) problems.add("charTokenizer: special token " + s + " is always id 0; list only the others");
            else if (!seen.add(s)) problems.add("charTokenizer: special token " + s + " is listed twice in " + specials);
        }
    }

    private static void strings(Object v, List<String> out) {
        if (v instanceof String s) out.add(s);
        else if (v instanceof Map<?, ?> m) for (Object x : m.values()) strings(x, out);
        else if (v instanceof List<?> l) for (Object x : l) strings(x, out);
        else if (v != null) out.add(Prompting.text(v));
    }

    private static List<SftExample> examples(SftRecipe r, Prompting p, Dataset d, Tokenizer tok, List<String> problems) {
        List<SftExample> out = new ArrayList<>(d.size());
        int eos = tok.eosTokenId().getAsInt();
        boolean conv = d.size() > 0 && (conversational(r, p, d) || (r.promptTemplate() == null && !d.hasColumn(p.column(d)) && d.hasColumn("messages")));
        for (int i = 0; i < d.size(); i++) {
            Map<String, Object> row = d.row(i);
            try {
                String prompt, full = null;
                List<ChatMessage> msgs;
                String completion;
                if (conv) {
                    Object v = row.get(p.column(d)) != null ? row.get(p.column(d)) : row.get("messages");
                    if (!Prompting.isConversation(v)) throw new IllegalArgumentException("expected a list of {role, content} messages");
                    msgs = new ArrayList<>(Prompting.messages(v));
                    if (r.systemPrompt() != null && !msgs.getFirst().role().equals("system")) msgs.addFirst(ChatMessage.system(r.systemPrompt()));
                    if (!msgs.getLast().role().equals("assistant")) throw new IllegalArgumentException("the last message must be the assistant's (what the model learns)");
                    prompt = tok.chatTemplate().apply(msgs.subList(0, msgs.size() - 1), true);
                    full = tok.chatTemplate().apply(msgs, false);
                    completion = msgs.getLast().content();
                } else {
                    completion = Prompting.text(row.get(r.completionColumn()));
                    msgs = p.chatMessages(d, row);
                    if (msgs != null) {
                        prompt = tok.chatTemplate().apply(msgs, true);
                        List<ChatMessage> all = new ArrayList<>(msgs);
                        all.add(ChatMessage.assistant(completion));
                        full = tok.chatTemplate().apply(all, false);
                    } else prompt = p.render(d, row, tok);
                }
                int[] promptIds = tok.encode(prompt, false), completionIds;
                if (full != null && full.startsWith(prompt) && full.length() > prompt.length()) {
                    // the template's own end of turn (e.g. <|im_end|>) is what the model must learn to stop with
                    completionIds = tok.encode(full.substring(prompt.length()), false);
                    boolean hasEos = false;
                    for (int id : completionIds) hasEos |= id == eos;
                    if (!hasEos) completionIds = append(completionIds, eos);
                } else completionIds = append(tok.encode(completion, false), eos);
                out.add(new SftExample(promptIds, completionIds));
            } catch (RuntimeException e) {
                problems.add(d.origin(i) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static int[] append(int[] a, int x) {
        int[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = x;
        return b;
    }
}
