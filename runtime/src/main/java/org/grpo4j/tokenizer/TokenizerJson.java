package org.grpo4j.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads Hugging Face's {@code tokenizer.json} into the pieces of a {@link Tokenizer}. Every component kind that is
 * not implemented is rejected with its JSON path and name, so a file never loads into a silently wrong encoding.
 */
final class TokenizerJson {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The parsed pieces; {@code normalizer} and {@code preTokenizer} may be null (absent in the file). */
    record Parts(Normalizer normalizer, PreTokenizer preTokenizer, BpeModel model, List<AddedToken> addedTokens,
                 Decoder decoder, PostProcessor postProcessor) {}

    private final String file;

    private TokenizerJson(String file) {
        this.file = file;
    }

    static Parts read(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new TokenizerException(path + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, path.toString());
    }

    static Parts parse(String json, String fileName) {
        TokenizerJson reader = new TokenizerJson(fileName);
        ObjectNode root = JSON.createObjectNode();
        ModelData model = null;
        // streamed, not read as a tree: the vocabulary and merges of a real model are hundreds of thousands of
        // entries, and building them as JsonNodes first doubles the (cold-JVM) load time
        try (JsonParser p = JSON.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new TokenizerException(fileName + ": not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("model") && value == JsonToken.START_OBJECT) {
                    model = reader.readModel(p);
                    root.putObject("model");
                } else {
                    root.set(name, p.readValueAsTree());
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null)
                throw new TokenizerException(fileName + ": malformed JSON: content after the top-level object");
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new TokenizerException(fileName + ": malformed JSON" + (loc == null ? "" :
                    " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(fileName + ": cannot read: " + e.getMessage(), e);
        }
        return reader.parts(root, model);
    }

    /** The model object: its small fields as a tree, the vocabulary and merges as they stream by. */
    private record ModelData(ObjectNode fields, Map<String, Integer> vocab, List<String> left, List<String> right) {}

    private ModelData readModel(JsonParser p) throws IOException {
        ObjectNode fields = JSON.createObjectNode();
        Map<String, Integer> vocab = null;
        List<String> left = null, right = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (name.equals("vocab") && t == JsonToken.START_OBJECT) {
                vocab = new HashMap<>(1 << 18);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    JsonToken v = p.nextToken();
                    if (v != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0 || p.getLongValue() > Integer.MAX_VALUE)
                        throw error("model.vocab[\"" + token + "\"]", "expected a non-negative integer id, got "
                                + p.readValueAsTree());
                    vocab.put(token, p.getIntValue());
                }
            } else if (name.equals("merges") && t == JsonToken.START_ARRAY) {
                left = new ArrayList<>(1 << 18);
                right = new ArrayList<>(1 << 18);
                for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
                    if (p.currentToken() == JsonToken.VALUE_STRING) {
                        String m = p.getText();
                        int sp = m.indexOf(' ');
                        if (sp < 0 || m.indexOf(' ', sp + 1) >= 0)
                            throw error("model.merges[" + i + "]", "expected \"left right\", got \"" + m + "\"");
                        left.add(m.substring(0, sp));
                        right.add(m.substring(sp + 1));
                    } else if (p.currentToken() == JsonToken.START_ARRAY && p.nextToken() == JsonToken.VALUE_STRING) {
                        String a = p.getText();
                        if (p.nextToken() != JsonToken.VALUE_STRING)
                            throw error("model.merges[" + i + "]", "expected [\"left\", \"right\"]");
                        String b = p.getText();
                        if (p.nextToken() != JsonToken.END_ARRAY)
                            throw error("model.merges[" + i + "]", "expected [\"left\", \"right\"], got more");
                        left.add(a);
                        right.add(b);
                    } else {
                        throw error("model.merges[" + i + "]", "expected \"left right\" or [\"left\", \"right\"], got "
                                + (p.currentToken() == JsonToken.START_ARRAY ? "an array of non-strings" : p.readValueAsTree()));
                    }
                }
            } else {
                fields.set(name, p.readValueAsTree());
            }
        }
        return new ModelData(fields, vocab, left, right);
    }

    private TokenizerException error(String where, String message) {
        return new TokenizerException(file + ": " + where + ": " + message);
    }

    private Parts parts(JsonNode root, ModelData modelData) {
        if (modelData == null) throw error("model", has(root, "model") ? "expected an object" : "missing");
        BpeModel model = model(modelData);
        List<AddedToken> added = addedTokens(root.get("added_tokens"));
        Normalizer normalizer = has(root, "normalizer") ? normalizer(root.get("normalizer"), "normalizer") : null;
        PreTokenizer pre = has(root, "pre_tokenizer") ? preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer") : null;
        Decoder decoder = has(root, "decoder") ? decoder(root.get("decoder"), "decoder") : new Decoder.None();
        PostProcessor post = has(root, "post_processor")
                ? postProcessor(root.get("post_processor"), "post_processor", model, added) : new PostProcessor.Identity();
        if (has(root, "truncation")) throw error("truncation", "truncation settings are not supported; set it to null");
        // batch padding does not change one sequence's ids; fixed-length padding would, so it is refused
        if (has(root, "padding") && root.get("padding").path("strategy").has("Fixed"))
            throw error("padding.strategy", "fixed-length padding is not supported; set padding to null");
        return new Parts(normalizer, pre, model, added, decoder, post);
    }

    private static boolean has(JsonNode n, String field) {
        return n.has(field) && !n.get(field).isNull();
    }

    private String type(JsonNode n, String where) {
        if (n == null || !n.isObject() || !n.hasNonNull("type")) throw error(where, "expected an object with a \"type\"");
        return n.get("type").asText();
    }

    private String string(JsonNode n, String field, String where, String fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) throw error(where + "." + field, "missing");
            return fallback;
        }
        if (!v.isTextual()) throw error(where + "." + field, "expected a string, got " + v);
        return v.asText();
    }

    private boolean bool(JsonNode n, String field, boolean fallback) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    private char singleChar(JsonNode n, String field, String where) {
        String s = string(n, field, where, null);
        if (s.codePointCount(0, s.length()) != 1 || s.length() != 1)
            throw error(where + "." + field, "expected one character, got \"" + s + "\"");
        return s.charAt(0);
    }

    // ---------------------------------------------------------------- model

    private BpeModel model(ModelData data) {
        JsonNode m = data.fields();
        String type = m.hasNonNull("type") ? m.get("type").asText() : (data.left() != null ? "BPE" : "?");
        if (!type.equals("BPE"))
            throw error("model.type", "unsupported model type '" + type + "' (supported: BPE)");
        if (m.hasNonNull("dropout") && m.get("dropout").asDouble() != 0.0)
            throw error("model.dropout", "BPE dropout is not supported (encoding must be deterministic)");
        Map<String, Integer> vocab = data.vocab();
        if (vocab == null) throw error("model.vocab", "missing or not an object");
        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        String[] idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (idToToken[e.getValue()] != null)
                throw error("model.vocab[\"" + e.getKey() + "\"]", "id " + e.getValue() + " is also used by \""
                        + idToToken[e.getValue()] + "\"");
            idToToken[e.getValue()] = e.getKey();
        }
        String prefix = string(m, "continuing_subword_prefix", "model", "");
        String suffix = string(m, "end_of_word_suffix", "model", "");
        if (data.left() == null) throw error("model.merges", "missing or not an array");
        int count = data.left().size();
        PairMap merges = new PairMap(count);
        for (int i = 0; i < count; i++) {
            String a = data.left().get(i), b = data.right().get(i);
            Integer ia = vocab.get(a), ib = vocab.get(b);
            if (ia == null) throw error("model.merges[" + i + "]", "token \"" + a + "\" is not in model.vocab");
            if (ib == null) throw error("model.merges[" + i + "]", "token \"" + b + "\" is not in model.vocab");
            String merged = a + (b.startsWith(prefix) ? b.substring(prefix.length()) : b);
            Integer im = vocab.get(merged);
            if (im == null)
                throw error("model.merges[" + i + "]", "merged token \"" + merged + "\" is not in model.vocab");
            merges.put(ia, ib, i, im);
        }
        int unk = -1;
        if (m.hasNonNull("unk_token")) {
            String u = string(m, "unk_token", "model", null);
            Integer id = vocab.get(u);
            if (id == null) throw error("model.unk_token", "\"" + u + "\" is not in model.vocab");
            unk = id;
        }
        return new BpeModel(vocab, idToToken, merges, unk, bool(m, "fuse_unk", false), bool(m, "byte_fallback", false),
                bool(m, "ignore_merges", false), prefix, suffix);
    }

    private List<AddedToken> addedTokens(JsonNode arr) {
        List<AddedToken> out = new ArrayList<>();
        if (arr == null || arr.isNull()) return out;
        if (!arr.isArray()) throw error("added_tokens", "expected an array");
        for (int i = 0; i < arr.size(); i++) {
            JsonNode t = arr.get(i);
            String where = "added_tokens[" + i + "]";
            if (!t.hasNonNull("id") || !t.get("id").canConvertToInt()) throw error(where + ".id", "missing or not an integer");
            out.add(new AddedToken(t.get("id").asInt(), string(t, "content", where, null), bool(t, "single_word", false),
                    bool(t, "lstrip", false), bool(t, "rstrip", false), bool(t, "normalized", true),
                    bool(t, "special", false)));
        }
        return out;
    }

    // ---------------------------------------------------------------- normalizers

    private Normalizer normalizer(JsonNode n, String where) {
        String type = type(n, where);
        return switch (type) {
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Prepend" -> new Normalizer.Prepend(string(n, "prepend", where, null));
            case "Strip" -> new Normalizer.Strip(bool(n, "strip_left", true), bool(n, "strip_right", true));
            case "Replace" -> {
                Object p = pattern(n.get("pattern"), where + ".pattern");
                String content = string(n, "content", where, null);
                yield p instanceof Pattern rx ? new Normalizer.Replace(null, rx, content)
                        : new Normalizer.Replace((String) p, null, content);
            }
            case "Sequence" -> {
                JsonNode list = n.get("normalizers");
                if (list == null || !list.isArray()) throw error(where + ".normalizers", "missing or not an array");
                List<Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(normalizer(list.get(i), where + ".normalizers[" + i + "]"));
                yield new Normalizer.Sequence(List.copyOf(steps));
            }
            default -> throw error(where + ".type", "unsupported normalizer '" + type
                    + "' (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence)");
        };
    }

    /** {@code {"String": "..."}} gives the literal, {@code {"Regex": "..."}} a compiled pattern. */
    private Object pattern(JsonNode p, String where) {
        if (p != null && p.hasNonNull("String")) return p.get("String").asText();
        if (p != null && p.hasNonNull("Regex")) {
            String rx = p.get("Regex").asText();
            try {
                return Text.compileOniguruma(rx);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw error(where + ".Regex", "regex not supported by java.util.regex: " + e.getDescription());
            }
        }
        throw error(where, "expected {\"String\": ...} or {\"Regex\": ...}, got " + p);
    }

    // ---------------------------------------------------------------- pre-tokenizers

    private PreTokenizer preTokenizer(JsonNode n, String where) {
        String type = type(n, where);
        return switch (type) {
            case "Split" -> {
                Object p = pattern(n.get("pattern"), where + ".pattern");
                Pattern rx = p instanceof Pattern r ? r : Pattern.compile(Pattern.quote((String) p));
                String behavior = string(n, "behavior", where, null);
                PreTokenizer.Behavior b = switch (behavior) {
                    case "Removed" -> PreTokenizer.Behavior.REMOVED;
                    case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
                    case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
                    case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
                    case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
                    default -> throw error(where + ".behavior", "unknown split behavior '" + behavior + "'");
                };
                FastSplit fast = n.path("pattern").hasNonNull("Regex")
                        ? FastSplit.forPattern(n.get("pattern").get("Regex").asText()) : null;
                yield new PreTokenizer.Split(rx, b, bool(n, "invert", false), fast);
            }
            case "ByteLevel" -> new PreTokenizer.ByteLevelPre(bool(n, "add_prefix_space", true), bool(n, "use_regex", true));
            // SmolLM2 / StarCoder: digits split off (one by one, or as runs), as Rust's char::is_numeric
            case "Digits" -> new PreTokenizer.Split(Pattern.compile("\\p{N}"), bool(n, "individual_digits", false)
                    ? PreTokenizer.Behavior.ISOLATED : PreTokenizer.Behavior.CONTIGUOUS, false, null);
            case "Metaspace" -> new PreTokenizer.Metaspace(singleChar(n, "replacement", where), prependScheme(n, where),
                    bool(n, "split", true));
            case "Sequence" -> {
                JsonNode list = n.get("pretokenizers");
                if (list == null || !list.isArray()) throw error(where + ".pretokenizers", "missing or not an array");
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(preTokenizer(list.get(i), where + ".pretokenizers[" + i + "]"));
                yield new PreTokenizer.Sequence(List.copyOf(steps));
            }
            default -> throw error(where + ".type", "unsupported pre-tokenizer '" + type
                    + "' (supported: Split, ByteLevel, Metaspace, Digits, Sequence)");
        };
    }

    /** Newer files say {@code prepend_scheme}; older ones only {@code add_prefix_space}. */
    private PreTokenizer.PrependScheme prependScheme(JsonNode n, String where) {
        if (n.hasNonNull("prepend_scheme")) {
            String s = n.get("prepend_scheme").asText();
            return switch (s) {
                case "always" -> PreTokenizer.PrependScheme.ALWAYS;
                case "first" -> PreTokenizer.PrependScheme.FIRST;
                case "never" -> PreTokenizer.PrependScheme.NEVER;
                default -> throw error(where + ".prepend_scheme", "unknown prepend scheme '" + s + "'");
            };
        }
        return bool(n, "add_prefix_space", true) ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
    }

    // ---------------------------------------------------------------- decoders

    private Decoder decoder(JsonNode n, String where) {
        String type = type(n, where);
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevelDec();
            case "Metaspace" -> new Decoder.MetaspaceDec(singleChar(n, "replacement", where),
                    prependScheme(n, where) != PreTokenizer.PrependScheme.NEVER);
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> {
                String c = string(n, "content", where, null);
                if (c.codePointCount(0, c.length()) != 1) throw error(where + ".content", "expected one character");
                yield new Decoder.Strip(c.codePointAt(0), n.path("start").asInt(0), n.path("stop").asInt(0));
            }
            case "Replace" -> {
                Object p = pattern(n.get("pattern"), where + ".pattern");
                String content = string(n, "content", where, null);
                yield p instanceof Pattern rx ? new Decoder.Replace(null, rx, content)
                        : new Decoder.Replace((String) p, null, content);
            }
            case "Sequence" -> {
                JsonNode list = n.get("decoders");
                if (list == null || !list.isArray()) throw error(where + ".decoders", "missing or not an array");
                List<Decoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(decoder(list.get(i), where + ".decoders[" + i + "]"));
                yield new Decoder.Sequence(List.copyOf(steps));
            }
            default -> throw error(where + ".type", "unsupported decoder '" + type
                    + "' (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence)");
        };
    }

    // ---------------------------------------------------------------- post-processors

    private PostProcessor postProcessor(JsonNode n, String where, BpeModel model, List<AddedToken> added) {
        String type = type(n, where);
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.Identity();
            case "TemplateProcessing" -> template(n, where);
            case "BertProcessing", "RobertaProcessing" -> {
                int cls = specialPair(n.get("cls"), where + ".cls");
                int sep = specialPair(n.get("sep"), where + ".sep");
                yield new PostProcessor.Template(new int[] {cls}, new int[] {sep});
            }
            case "Sequence" -> {
                JsonNode list = n.get("processors");
                if (list == null || !list.isArray()) throw error(where + ".processors", "missing or not an array");
                List<PostProcessor> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++)
                    steps.add(postProcessor(list.get(i), where + ".processors[" + i + "]", model, added));
                yield new PostProcessor.Sequence(List.copyOf(steps));
            }
            default -> throw error(where + ".type", "unsupported post-processor '" + type
                    + "' (supported: ByteLevel, TemplateProcessing, BertProcessing, RobertaProcessing, Sequence)");
        };
    }

    private int specialPair(JsonNode pair, String where) {
        if (pair == null || !pair.isArray() || pair.size() != 2 || !pair.get(1).canConvertToInt())
            throw error(where, "expected [\"token\", id]");
        return pair.get(1).asInt();
    }

    private PostProcessor template(JsonNode n, String where) {
        JsonNode single = n.get("single");
        if (single == null || !single.isArray()) throw error(where + ".single", "missing or not an array");
        JsonNode specials = n.path("special_tokens");
        IntList before = new IntList(4), after = new IntList(4);
        boolean seenSequence = false;
        for (int i = 0; i < single.size(); i++) {
            JsonNode piece = single.get(i);
            String pw = where + ".single[" + i + "]";
            if (piece.has("Sequence")) {
                if (seenSequence) throw error(pw, "a single-sequence template may name the sequence only once");
                seenSequence = true;
            } else if (piece.has("SpecialToken")) {
                String name = string(piece.get("SpecialToken"), "id", pw + ".SpecialToken", null);
                JsonNode st = specials.get(name);
                if (st == null || !st.has("ids") || !st.get("ids").isArray())
                    throw error(pw, "special token \"" + name + "\" is not defined in " + where + ".special_tokens");
                for (JsonNode id : st.get("ids")) (seenSequence ? after : before).add(id.asInt());
            } else {
                throw error(pw, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}, got " + piece);
            }
        }
        if (!seenSequence) throw error(where + ".single", "the template never places the sequence ($A)");
        return new PostProcessor.Template(before.toArray(), after.toArray());
    }
}
