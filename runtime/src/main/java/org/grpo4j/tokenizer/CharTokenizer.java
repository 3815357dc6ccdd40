package org.grpo4j.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.TreeSet;

/**
 * A character-level tokenizer for small models, stored as a standard {@code tokenizer.json} so that small and real
 * models load through the same {@link Tokenizer#load} (and Hugging Face's own libraries read it too).
 *
 * <p>The file is a BPE model with no merges over a vocabulary of: {@code <unk>} (id 0), the special tokens in the
 * order given, then every character (Unicode code point) of the corpus in code-point order. No normalizer and no
 * pre-tokenizer, and a {@code Fuse} decoder, so {@code decode(encode(s)) == s} for every text made of corpus
 * characters and special tokens. <b>Unseen characters</b> encode to {@code <unk>} (one per character) and decode to
 * the text {@code "<unk>"}, or to nothing with {@code skipSpecialTokens}. A {@code tokenizer_config.json} names
 * the EOS/PAD tokens and holds a ChatML chat template when {@code <|im_start|>} and {@code <|im_end|>} are among
 * the special tokens (else a plain {@code role: content} template); the characters of the role names
 * ({@code system user assistant tool}), {@code ':'}, space and newline are always in the vocabulary so rendered
 * prompts never contain {@code <unk>}.
 *
 * <pre>{@code
 * CharTokenizer ct = CharTokenizer.build(List.of("2+2=4", "3*3=9"), List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
 * ct.save(Path.of("runs/tiny-model"));          // tokenizer.json + tokenizer_config.json
 * Tokenizer tok = Tokenizer.load(Path.of("runs/tiny-model"));
 * }</pre>
 */
public final class CharTokenizer {
    public static final String UNK = "<unk>";
    /** Characters the written chat templates emit around messages: role names, ": " and newlines. */
    private static final String TEMPLATE_TEXT = "system user assistant tool:\n";

    private final List<String> specialTokens;
    private final List<String> chars;

    private CharTokenizer(List<String> specialTokens, List<String> chars) {
        this.specialTokens = specialTokens;
        this.chars = chars;
    }

    /** Collects the characters of the corpus; special tokens get the ids right after {@code <unk>}. */
    public static CharTokenizer build(Collection<String> corpus, List<String> specialTokens) {
        LinkedHashSet<String> specials = new LinkedHashSet<>();
        for (String s : specialTokens) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty special token");
            if (!s.equals(UNK)) specials.add(s);
        }
        TreeSet<Integer> cps = new TreeSet<>();
        for (String text : corpus) text.codePoints().forEach(cps::add);
        TEMPLATE_TEXT.codePoints().forEach(cps::add); // the chat template's own text never becomes <unk>
        List<String> chars = new ArrayList<>(cps.size());
        for (int cp : cps) {
            String c = Character.toString(cp);
            if (!specials.contains(c)) chars.add(c);
        }
        return new CharTokenizer(List.copyOf(specials), List.copyOf(chars));
    }

    /** The number of ids: {@code <unk>}, the special tokens and the characters. */
    public int vocabSize() {
        return 1 + specialTokens.size() + chars.size();
    }

    /** The {@code tokenizer.json} text. */
    public String tokenizerJson() {
        ObjectNode root = TokenizerJson.JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> specialsWithUnk = new ArrayList<>();
        specialsWithUnk.add(UNK);
        specialsWithUnk.addAll(specialTokens);
        for (int i = 0; i < specialsWithUnk.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", specialsWithUnk.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", UNK);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int id = 0;
        for (String s : specialsWithUnk) vocab.put(s, id++);
        for (String c : chars) vocab.put(c, id++);
        model.putArray("merges");
        try {
            return TokenizerJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code tokenizer_config.json} text: EOS/PAD token names and a chat template. */
    public String tokenizerConfigJson() {
        ObjectNode root = TokenizerJson.JSON.createObjectNode();
        boolean chatml = specialTokens.contains("<|im_start|>") && specialTokens.contains("<|im_end|>");
        String eos = chatml ? "<|im_end|>" : specialTokens.contains("<|endoftext|>") ? "<|endoftext|>"
                : specialTokens.isEmpty() ? null : specialTokens.get(0);
        String pad = specialTokens.contains("<|endoftext|>") ? "<|endoftext|>" : eos;
        if (eos != null) root.put("eos_token", eos); else root.putNull("eos_token");
        if (pad != null) root.put("pad_token", pad); else root.putNull("pad_token");
        root.putNull("bos_token");
        root.put("unk_token", UNK);
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        root.put("chat_template", chatml
                ? "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                  + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
                  + "{{ '<|im_start|>assistant\\n' }}{% endif %}"
                : "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}"
                  + "{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}");
        try {
            return TokenizerJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (created if needed). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson());
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfigJson());
    }

    /** The tokenizer these files describe, parsed by the same code as any model folder. */
    public Tokenizer tokenizer() {
        return Tokenizer.fromJson(tokenizerJson(), TokenizerConfig.parse(tokenizerConfigJson(), "tokenizer_config.json"),
                "tokenizer.json (character tokenizer)");
    }
}
