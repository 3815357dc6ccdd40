package org.grpo4j.dsl.reward.learned;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.model.ModelConfig;
import org.grpo4j.model.ScoreHead;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.reward.Sample;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * A Hugging Face reward model ({@code Qwen2ForSequenceClassification}, {@code LlamaForSequenceClassification},
 * {@code Qwen3ForSequenceClassification}) run on grpo4j's own engine, as TRL uses a model path in
 * {@code reward_funcs}: the text is the prompt followed by the completion (for conversational rows, the chat
 * template over the prompt's messages and the completion as the assistant's turn), tokenised without special
 * tokens, and the reward is the score head's first logit at the last token that is not {@code pad_token_id}.
 *
 * <pre>{@code
 * Reward rm = HfRewardModel.load(Path.of("models/my-reward-model"));
 * rm.score("The capital of France is Paris.");
 * }</pre>
 */
public final class HfRewardModel implements Reward {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Transformer decoder;
    private final ScoreHead head;
    private final Tokenizer tokenizer;
    private final int padId;

    private HfRewardModel(String name, Transformer decoder, ScoreHead head, Tokenizer tokenizer, int padId) {
        this.name = name;
        this.decoder = decoder;
        this.head = head;
        this.tokenizer = tokenizer;
        this.padId = padId;
    }

    /** Loads a sequence-classification folder on the CPU; the tokenizer is read from the same folder when it has one. */
    public static HfRewardModel load(Path dir) {
        return load(dir, new CpuBackend());
    }

    public static HfRewardModel load(Path dir, Backend backend) {
        Path cfgFile = dir.resolve("config.json");
        try {
            if (!Files.isRegularFile(cfgFile)) throw new IllegalArgumentException(dir + ": not a model folder (no config.json)");
            ObjectNode cfg = (ObjectNode) JSON.readTree(cfgFile.toFile());
            String arch = cfg.path("architectures").path(0).asText("");
            if (!arch.endsWith("ForSequenceClassification"))
                throw new IllegalArgumentException(cfgFile + ": architecture '" + arch + "' is not a reward model; expected "
                        + "Qwen2ForSequenceClassification, LlamaForSequenceClassification or Qwen3ForSequenceClassification");
            int labels = cfg.has("num_labels") ? cfg.get("num_labels").asInt() : cfg.has("id2label") ? cfg.get("id2label").size() : 2;
            // the decoder is the causal LM's minus lm_head: load it as a tied LM, whose head is never used here
            cfg.putArray("architectures").add(arch.replace("ForSequenceClassification", "ForCausalLM"));
            cfg.put("tie_word_embeddings", true);
            ModelConfig config = ModelConfig.parse(cfg);
            Transformer decoder = Transformer.create(config, backend);
            ScoreHead head;
            try (SafetensorsModel weights = SafetensorsModel.open(dir)) {
                decoder.loadWeights(weights, Set.of(ScoreHead.TENSOR));
                head = ScoreHead.load(weights, config.hiddenSize());
            }
            if (head.labels() != labels)
                throw new IllegalArgumentException(cfgFile + ": num_labels = " + labels + " but score.weight has " + head.labels() + " rows");
            JsonNode pad = cfg.get("pad_token_id");
            Tokenizer tok = Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
            int padId = pad != null && pad.isInt() ? pad.asInt() : tok != null && tok.padTokenId().isPresent() ? tok.padTokenId().getAsInt() : -1;
            return new HfRewardModel(dir.getFileName().toString(), decoder, head, tok, padId);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot load the reward model: " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double weight() {
        return 1.0;
    }

    /** The reward of each token sequence (padding anywhere at the end is skipped, as HF does). */
    public synchronized double[] scoreIds(List<int[]> sequences) {
        int n = sequences.size();
        if (n == 0) return new double[0];
        List<int[]> trimmed = new ArrayList<>(n);
        int[] first = new int[n];
        for (int b = 0; b < n; b++) {
            int[] ids = sequences.get(b);
            if (ids.length == 0) throw new IllegalArgumentException("reward model '" + name + "': sequence " + b + " has no tokens");
            // causal attention: the hidden state at the chosen position does not see what follows it
            trimmed.add(java.util.Arrays.copyOf(ids, ScoreHead.lastNonPad(ids, padId) + 1));
            first[b] = trimmed.get(b).length;
        }
        decoder.forward(TokenBatch.of(trimmed, first), 1f);
        float[] hidden = decoder.finalNormOutput();
        double[] out = new double[n];
        int row = -1;
        for (int b = 0; b < n; b++) {
            row += trimmed.get(b).length;
            out[b] = head.apply(hidden, row)[0];
        }
        return out;
    }

    @Override
    public double[] score(List<Sample> samples) {
        if (tokenizer == null) throw new IllegalStateException("reward model '" + name + "' has no tokenizer.json: score token ids with scoreIds");
        List<int[]> ids = new ArrayList<>(samples.size());
        for (Sample s : samples) ids.add(tokenizer.encode(text(s), false));
        return scoreIds(ids);
    }

    private String text(Sample s) {
        Object prompt = s.row().get("prompt");
        if (prompt instanceof List<?> messages && tokenizer.hasChatTemplate()) {
            List<ChatMessage> chat = new ArrayList<>();
            for (Object m : messages) if (m instanceof Map<?, ?> mm) chat.add(new ChatMessage(String.valueOf(mm.get("role")), String.valueOf(mm.get("content"))));
            chat.add(new ChatMessage("assistant", s.completion()));
            return tokenizer.chatTemplate().apply(chat, false);
        }
        return s.prompt() + s.completion();
    }

    @Override
    public String toString() {
        return "reward model '" + name + "' (" + decoder.config() + ")";
    }
}
