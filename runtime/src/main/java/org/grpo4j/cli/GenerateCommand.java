package org.grpo4j.cli;

import java.nio.file.Files;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.grpo4j.generate.Completion;
import org.grpo4j.generate.GenerationStats;
import org.grpo4j.generate.Generator;
import org.grpo4j.generate.SamplingParams;
import org.grpo4j.model.Transformer;

/**
 * {@code grpo generate --model DIR (--ids 5,9,… | --prompt "…" [--chat]) [-n 8] [--temperature 0.7] [--max-tokens 128]
 * [--top-k K] [--top-p P] [--min-p P] [--repetition-penalty R] [--seed 1] [--ids-only] [--ignore-eos]}: samples
 * completions of one prompt and prints them. {@code --temperature 0} is greedy. Stop ids are the model's EOS ids
 * ({@code config.json}, plus {@code generation_config.json} when present).
 */
public final class GenerateCommand implements Command {

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "sample completions: --model DIR (--ids 1,2,3 | --prompt TEXT [--chat]) [-n 8] [--temperature 0.7] [--max-tokens 128] [--seed 1]";
    }

    @Override
    public Set<String> flags() {
        return Set.of("ids-only", "chat", "ignore-eos");
    }

    @Override
    public int run(Args args) throws Exception {
        Path dir = Path.of(args.require("model"));
        String ids = args.get("ids", null), prompt = args.get("prompt", null);
        boolean chat = args.flag("chat"), idsOnly = args.flag("ids-only");
        String device = args.get("device", "cpu");
        if ((ids == null) == (prompt == null)) throw new UsageException("give the prompt as --ids 1,2,3 or as --prompt TEXT (one of them)");
        double temperature = args.getDouble("temperature", 1.0);
        SamplingParams params = SamplingParams.defaults()
                .withNumGenerations(args.getInt("n", 1))
                .withTemperature(temperature)
                .withMaxCompletionLength(args.getInt("max-tokens", 128))
                .withTopK(args.getInt("top-k", 0))
                .withTopP(args.getDouble("top-p", 1.0))
                .withMinP(args.getDouble("min-p", 0.0))
                .withRepetitionPenalty(args.getDouble("repetition-penalty", 1.0))
                .withSeed(args.getInt("seed", 42))
                .withIgnoreEos(args.flag("ignore-eos"));
        args.rejectUnknown();

        int[] promptIds = ids != null ? args.ids("ids") : encodePrompt(dir, prompt, chat);
        Transformer model = Transformer.load(dir, org.grpo4j.backend.Devices.open(device));
        int[] eos = eosTokenIds(dir, model.config().eosTokenIds());
        if (eos.length > 0) params = params.withStopTokenIds(eos);
        Function<int[], String> decoder = decoder(dir);
        Generator generator = new Generator(model, decoder);
        List<Completion> out = generator.generate(List.of(promptIds), params);
        for (Completion c : out) {
            if (idsOnly) System.out.println(join(c.tokenIds()));
            else {
                System.out.printf("--- sample %d (%s, %d tokens)%n", c.sampleIndex(), c.finishReason(), c.length());
                System.out.println(c.text() != null ? c.text() : join(c.tokenIds()));
            }
        }
        if (!idsOnly) {
            GenerationStats st = generator.lastStats();
            System.err.printf("%d tokens in %.2f s (%.1f tok/s)%n", st.newTokens(), st.seconds(), st.tokensPerSecond());
        }
        return 0;
    }

    /**
     * A text prompt through the model folder's tokenizer. With {@code --chat} the chat template renders a user
     * message with the generation prompt, and the result is encoded without adding special tokens again (the
     * template writes them), as transformers' {@code apply_chat_template(tokenize=True)} does.
     */
    static int[] encodePrompt(Path dir, String text, boolean chat) {
        Tokenizer t = tokenizer(dir);
        if (t == null) throw new UsageException(dir + " has no tokenizer.json; give token ids with --ids 1,2,3");
        if (!chat) return t.encode(text);
        if (!t.hasChatTemplate()) throw new UsageException(dir + " has no chat template (tokenizer_config.json chat_template); drop --chat");
        return t.encode(t.chatTemplate().apply(List.of(ChatMessage.user(text)), true), false);
    }

    /** Completions as text (special tokens skipped), or null to print ids when the folder has no tokenizer. */
    static Function<int[], String> decoder(Path dir) {
        Tokenizer t = tokenizer(dir);
        return t == null ? null : ids -> t.decode(ids, true);
    }

    private static Tokenizer tokenizer(Path dir) {
        return Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
    }

    /** The config's EOS ids plus those of {@code generation_config.json} (instruct models list their end-of-turn token there). */
    static int[] eosTokenIds(Path dir, int[] fromConfig) throws IOException {
        Set<Integer> all = new LinkedHashSet<>();
        for (int id : fromConfig) all.add(id);
        Path gen = dir.resolve("generation_config.json");
        if (Files.exists(gen)) {
            JsonNode n = new ObjectMapper().readTree(gen.toFile()).get("eos_token_id");
            if (n != null && n.isArray()) for (JsonNode x : n) all.add(x.asInt());
            else if (n != null && n.isIntegralNumber()) all.add(n.asInt());
        }
        int[] out = new int[all.size()];
        int i = 0;
        for (int id : all) out[i++] = id;
        return out;
    }

    private static String join(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(sb.isEmpty() ? "" : ",").append(id);
        return sb.toString();
    }
}
