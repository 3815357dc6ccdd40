package org.grpo4j.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer loaded from a model folder ({@code tokenizer.json}, and {@code tokenizer_config.json}
 * when present): text to the token ids the model was trained with, and ids back to text.
 *
 * <p>Supported: BPE models, byte-level (GPT-2, Qwen2/2.5/3, Llama 3, SmolLM2) and SentencePiece-style (Metaspace,
 * byte fallback: Llama 2, Mistral); added and special tokens; the normalizers, pre-tokenizers, decoders and
 * post-processors those families use. Anything else fails to load with a {@link TokenizerException} naming it.
 * Instances are immutable and safe to share between threads.
 *
 * <p>Semantics are those of Hugging Face's Rust {@code tokenizers} (checked id for id against it): the
 * {@code post_processor} of tokenizer.json decides what {@code encode} adds ({@code add_bos_token} of
 * tokenizer_config.json is not consulted; the two agree in published models); {@code decode} returns exactly what
 * the tokens spell, without transformers' optional {@code clean_up_tokenization_spaces}; with a normalizer such
 * as Qwen's NFC, {@code decode(encode(s))} is the normalised form of {@code s}.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizer.load(Path.of("models/Qwen3-0.6B"));
 * int[] ids = tok.encode("Hello, world!");           // [9707, 11, 1879, 0]
 * String text = tok.decode(ids);                      // "Hello, world!"
 * String prompt = tok.chatTemplate().apply(List.of(new ChatMessage("user", "2+2?")), true);
 * }</pre>
 */
public final class Tokenizer {
    private final String source;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final AddedVocabulary rawAdded;
    private final AddedVocabulary normalizedAdded;
    /** Indexed by id; null where the id is not an added token. */
    private final AddedToken[] addedById;
    private final Map<String, AddedToken> addedByContent = new HashMap<>();
    private final Decoder decoder;
    private final PostProcessor postProcessor;
    private final TokenizerConfig config;
    private final int vocabSize;
    private volatile ChatTemplate chatTemplate;
    /**
     * Set when the pre-tokenizer is the byte-level families' {@code Sequence[Split(known regex), ByteLevel]}: words
     * are then cut by {@link FastSplit} and their ids cached per thread by the raw text, skipping the byte-level
     * mapping for repeated words. Same ids as the general path (checked by the oracle tests, which use it).
     */
    private final FastSplit byteLevelWords;
    private final ThreadLocal<WordCache> wordCache = ThreadLocal.withInitial(WordCache::new);

    private Tokenizer(String source, TokenizerJson.Parts parts, TokenizerConfig config) {
        this.source = source;
        this.normalizer = parts.normalizer();
        this.preTokenizer = parts.preTokenizer();
        this.model = parts.model();
        this.decoder = parts.decoder();
        this.postProcessor = parts.postProcessor();
        this.config = config;
        int size = model.vocabSize();
        for (AddedToken t : parts.addedTokens()) size = Math.max(size, t.id() + 1);
        this.vocabSize = size;
        this.addedById = new AddedToken[size];
        List<AddedToken> raw = new ArrayList<>(), norm = new ArrayList<>();
        List<String> rawPatterns = new ArrayList<>(), normPatterns = new ArrayList<>();
        for (AddedToken t : parts.addedTokens()) {
            if (t.id() < 0) throw new TokenizerException(source + ": added token \"" + t.content() + "\" has a negative id");
            addedById[t.id()] = t;
            addedByContent.putIfAbsent(t.content(), t);
            if (t.normalized() && normalizer != null) {
                norm.add(t);
                normPatterns.add(normalizer.normalize(t.content()));
            } else if (t.normalized()) {
                norm.add(t);
                normPatterns.add(t.content());
            } else {
                raw.add(t);
                rawPatterns.add(t.content());
            }
        }
        this.byteLevelWords = byteLevelFastPath(preTokenizer);
        this.rawAdded = new AddedVocabulary(raw, rawPatterns);
        this.normalizedAdded = new AddedVocabulary(norm, normPatterns);
        for (String name : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
            Optional<String> t = switch (name) {
                case "bos_token" -> config.bosToken();
                case "eos_token" -> config.eosToken();
                case "pad_token" -> config.padToken();
                default -> config.unkToken();
            };
            if (t.isPresent() && id(t.get()).isEmpty())
                throw new TokenizerException(source + ": " + name + " \"" + t.get() + "\" of tokenizer_config.json "
                        + "is not a token of tokenizer.json");
        }
    }

    /**
     * Loads {@code tokenizer.json} from a model folder, with {@code tokenizer_config.json} (special token names,
     * chat template) and {@code chat_template.jinja} when present.
     */
    public static Tokenizer load(Path modelDir) {
        Path dir = Files.isDirectory(modelDir) ? modelDir : modelDir.getParent();
        Path json = Files.isDirectory(modelDir) ? modelDir.resolve("tokenizer.json") : modelDir;
        if (!Files.isRegularFile(json))
            throw new TokenizerException(json + ": not found (a Hugging Face model folder holds tokenizer.json)");
        TokenizerJson.Parts parts = TokenizerJson.read(json);
        Path cfgPath = dir == null ? null : dir.resolve("tokenizer_config.json");
        TokenizerConfig cfg = cfgPath != null && Files.isRegularFile(cfgPath) ? TokenizerConfig.read(cfgPath) : TokenizerConfig.EMPTY;
        Path jinja = dir == null ? null : dir.resolve("chat_template.jinja");
        if (cfg.chatTemplate().isEmpty() && jinja != null && Files.isRegularFile(jinja)) {
            try {
                cfg = new TokenizerConfig(cfg.bosToken(), cfg.eosToken(), cfg.padToken(), cfg.unkToken(),
                        Optional.of(Files.readString(jinja)));
            } catch (java.io.IOException e) {
                throw new TokenizerException(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        return new Tokenizer(json.toString(), parts, cfg);
    }

    /** Builds a tokenizer from the text of a {@code tokenizer.json} (and optionally of a tokenizer_config.json). */
    static Tokenizer fromJson(String tokenizerJson, TokenizerConfig config, String sourceName) {
        return new Tokenizer(sourceName, TokenizerJson.parse(tokenizerJson, sourceName), config);
    }

    /**
     * Encodes text as Hugging Face's {@code encode(text, add_special_tokens=True)}: added and special tokens written
     * in the text become their ids, and the post-processor's tokens are added (a BOS for Llama 2's
     * {@code TemplateProcessing}; nothing for the byte-level families, whose chat templates write the BOS).
     */
    public int[] encode(String text) {
        return encode(text, true);
    }

    /** As {@link #encode(String)}; {@code addSpecialTokens=false} leaves out the post-processor's tokens. */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (rawAdded.isEmpty()) {
            encodeNormalizing(text, true, out);
        } else {
            for (AddedVocabulary.Segment s : rawAdded.split(text)) {
                if (s.id() >= 0) out.add(s.id());
                else encodeNormalizing(text.substring(s.start(), s.end()), s.start() == 0, out);
            }
        }
        int[] ids = out.toArray();
        return addSpecialTokens ? postProcessor.process(ids) : ids;
    }

    private void encodeNormalizing(String text, boolean atOrigin, IntList out) {
        String s = normalizer == null ? text : normalizer.normalize(text);
        if (normalizedAdded.isEmpty()) {
            encodeWords(s, atOrigin, out);
            return;
        }
        for (AddedVocabulary.Segment seg : normalizedAdded.split(s)) {
            if (seg.id() >= 0) out.add(seg.id());
            else encodeWords(s.substring(seg.start(), seg.end()), atOrigin && seg.start() == 0, out);
        }
    }

    private static FastSplit byteLevelFastPath(PreTokenizer pre) {
        if (pre instanceof PreTokenizer.Sequence(List<PreTokenizer> steps) && steps.size() == 2
                && steps.get(0) instanceof PreTokenizer.Split split && split.tilesWithFastSplit()
                && steps.get(1) instanceof PreTokenizer.ByteLevelPre(boolean addPrefixSpace, boolean useRegex)
                && !addPrefixSpace && !useRegex)
            return split.fast();
        return null;
    }

    private void encodeWords(String s, boolean atOrigin, IntList out) {
        if (s.isEmpty()) return;
        if (byteLevelWords != null) {
            WordCache cache = wordCache.get();
            for (int pos = 0, n = s.length(); pos < n; ) {
                int end = byteLevelWords.matchEnd(s, pos);
                if (end - pos <= WordCache.MAX_WORD) {
                    int slot = WordCache.hash(s, pos, end);
                    int[] ids = cache.get(s, pos, end, slot);
                    if (ids == null) {
                        String word = s.substring(pos, end);
                        int before = out.size();
                        model.encodeWord(ByteLevel.encode(word), out);
                        ids = new int[out.size() - before];
                        for (int i = 0; i < ids.length; i++) ids[i] = out.get(before + i);
                        cache.put(slot, word, ids);
                    } else {
                        out.addAll(ids);
                    }
                } else {
                    model.encodeWord(ByteLevel.encode(s.substring(pos, end)), out);
                }
                pos = end;
            }
            return;
        }
        if (preTokenizer == null) model.encodeWord(s, out);
        else preTokenizer.split(s, atOrigin, (word, o) -> model.encodeWord(word, out));
    }

    /** Decodes ids to text, special tokens included; ids outside the vocabulary are skipped, as Hugging Face does. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes ids to text; with {@code skipSpecialTokens} the added tokens marked special are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids, 0, ids.length, skipSpecialTokens);
    }

    String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            AddedToken a = id >= 0 && id < addedById.length ? addedById[id] : null;
            String t = a != null ? a.content() : model.token(id);
            if (t == null) continue;
            if (skipSpecialTokens) {
                AddedToken byContent = a != null ? a : addedByContent.get(t);
                if (byContent != null && byContent.special()) continue;
            }
            tokens.add(t);
        }
        List<String> parts = decoder.decodeChain(tokens);
        return parts.size() == 1 ? parts.get(0) : String.join("", parts);
    }

    /** The number of ids an embedding table needs: one more than the largest id of the model or an added token. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The token text of an id (added tokens as written, model tokens in their vocabulary form, e.g. {@code Ġthe}). */
    public String token(int id) {
        AddedToken a = id >= 0 && id < addedById.length ? addedById[id] : null;
        if (a != null) return a.content();
        String t = model.token(id);
        if (t == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source);
        return t;
    }

    /** The id of a token (added tokens first, then the model vocabulary). */
    public OptionalInt id(String token) {
        AddedToken a = addedByContent.get(token);
        if (a != null) return OptionalInt.of(a.id());
        int id = model.id(token);
        return id >= 0 ? OptionalInt.of(id) : OptionalInt.empty();
    }

    /** Whether the id is an added token marked special ({@code <|im_end|>}, {@code <s>}...). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < addedById.length && addedById[id] != null && addedById[id].special();
    }

    /** The added tokens of {@code tokenizer.json}, in file order. */
    public List<AddedToken> addedTokens() {
        List<AddedToken> out = new ArrayList<>();
        for (AddedToken t : addedById) if (t != null) out.add(t);
        return out;
    }

    /** The id of {@code eos_token} of tokenizer_config.json, if the folder has one. */
    public OptionalInt eosTokenId() {
        return config.eosToken().map(this::id).orElse(OptionalInt.empty());
    }

    public OptionalInt bosTokenId() {
        return config.bosToken().map(this::id).orElse(OptionalInt.empty());
    }

    public OptionalInt padTokenId() {
        return config.padToken().map(this::id).orElse(OptionalInt.empty());
    }

    public Optional<String> eosToken() {
        return config.eosToken();
    }

    public Optional<String> bosToken() {
        return config.bosToken();
    }

    /** Whether the folder has a chat template. */
    public boolean hasChatTemplate() {
        return config.chatTemplate().isPresent();
    }

    /** The folder's chat template; fails with a {@link TokenizerException} when there is none. */
    public ChatTemplate chatTemplate() {
        ChatTemplate t = chatTemplate;
        if (t == null) {
            synchronized (this) {
                if (chatTemplate == null) {
                    String src = config.chatTemplate().orElseThrow(() -> new TokenizerException(source
                            + ": the folder has no chat template (chat_template in tokenizer_config.json)"));
                    chatTemplate = new ChatTemplate(src, config.bosToken().orElse(""), config.eosToken().orElse(""),
                            config.padToken().orElse(""), config.unkToken().orElse(""), source);
                }
                t = chatTemplate;
            }
        }
        return t;
    }

    /** A decoder for streaming generation: feed ids one at a time, get the newly complete text. */
    public StreamDecoder streamDecoder(boolean skipSpecialTokens) {
        return new StreamDecoder(this, skipSpecialTokens);
    }

    /** Where this tokenizer was loaded from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", vocab " + vocabSize + "]";
    }
}
