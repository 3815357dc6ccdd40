package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SentencePiece-style BPE (Metaspace, byte fallback, as Llama 2 and Mistral) against Hugging Face through DJL. No
 * npm package ships such a file, so the test trains a small BPE on a fixed corpus and writes the two layouts the
 * families use: Llama 2's normalizer (Prepend + Replace, BOS post-processor, Replace/ByteFallback/Fuse/Strip
 * decoder) and the newer Metaspace pre-tokenizer with {@code prepend_scheme: first} and a Metaspace decoder.
 */
class SentencePieceStyleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String META = "\u2581";

    @Test
    void llama2LayoutEqualsHuggingFace() throws Exception {
        check(tokenizerJson(false));
    }

    @Test
    void metaspacePreTokenizerLayoutEqualsHuggingFace() throws Exception {
        check(tokenizerJson(true));
    }

    @Test
    void metaspaceSplittingEveryWordEqualsHuggingFace() throws Exception {
        String base = tokenizerJson(true);
        String json = base.replace("\"prepend_scheme\" : \"first\",\n    \"split\" : false",
                "\"prepend_scheme\" : \"always\",\n    \"split\" : true");
        org.junit.jupiter.api.Assertions.assertNotEquals(base, json);
        check(json);
    }

    private void check(String json) throws Exception {
        Tokenizer ours = Tokenizer.fromJson(json, TokenizerConfig.EMPTY, "sp-test tokenizer.json");
        List<String> texts = TestCorpus.all(11, 1000, new String[] {"<s>", "</s>", "<unk>"});
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"))) {
            List<String> failures = new ArrayList<>();
            for (String s : texts) {
                int[] got = ours.encode(s);
                int[] want = HfOracleTest.toInt(hf.encode(s).getIds());
                if (!java.util.Arrays.equals(got, want)) {
                    failures.add("ids of " + HfOracleTest.show(s) + "\n   ours " + java.util.Arrays.toString(got)
                            + "\n   hf   " + java.util.Arrays.toString(want));
                    continue;
                }
                String back = ours.decode(got), hfBack = hf.decode(HfOracleTest.toLong(got), false);
                if (!back.equals(hfBack)) failures.add("decode " + HfOracleTest.show(s) + ": ours " + HfOracleTest.show(back)
                        + " hf " + HfOracleTest.show(hfBack));
                String skip = ours.decode(got, true), hfSkip = hf.decode(HfOracleTest.toLong(got), true);
                if (!skip.equals(hfSkip)) failures.add("decode(skip) " + HfOracleTest.show(s) + ": ours "
                        + HfOracleTest.show(skip) + " hf " + HfOracleTest.show(hfSkip));
            }
            if (!failures.isEmpty())
                org.junit.jupiter.api.Assertions.fail(failures.size() + " of " + texts.size() + " differ:\n"
                        + String.join("\n", failures.subList(0, Math.min(12, failures.size()))));
        }
        // byte fallback: characters outside the vocabulary are spelled as <0xXX> tokens and decode back exactly
        int[] ids = ours.encode("猫 🐈", false);
        for (int id : ids) assertEquals(false, ours.token(id).equals("<unk>"));
        assertEquals("猫 🐈", ours.decode(ids, true));
        assertArrayEquals(new int[] {1}, java.util.Arrays.copyOf(ours.encode("hello"), 1), "BOS from TemplateProcessing");
    }

    /** Trains a small BPE on the fragments, SentencePiece-style (words carry a leading ▁). */
    static String tokenizerJson(boolean metaspacePreTokenizer) throws Exception {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), vocab.size());
        // words of the training text, with their counts
        Map<String, Integer> words = new HashMap<>();
        String training = String.join(" ", TestCorpus.FRAGMENTS).replace('\n', ' ').replace('\t', ' ');
        for (String w : training.split(" +")) {
            if (w.isEmpty()) continue;
            words.merge(META + w, 1, Integer::sum);
        }
        // alphabet: ASCII-range characters only, so CJK and emoji go through byte fallback
        vocab.putIfAbsent(META, vocab.size());
        for (String w : words.keySet())
            w.codePoints().filter(cp -> cp < 0x250).forEach(cp -> vocab.putIfAbsent(Character.toString(cp), vocab.size()));
        Map<String, List<String>> split = new HashMap<>();
        for (String w : words.keySet()) {
            List<String> syms = new ArrayList<>();
            w.codePoints().forEach(cp -> syms.add(Character.toString(cp)));
            split.put(w, syms);
        }
        List<String[]> merges = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
            Map<String, Integer> pairs = new HashMap<>();
            for (var e : split.entrySet()) {
                List<String> s = e.getValue();
                for (int i = 0; i + 1 < s.size(); i++)
                    if (vocab.containsKey(s.get(i)) && vocab.containsKey(s.get(i + 1)))
                        pairs.merge(s.get(i) + "\u0000" + s.get(i + 1), words.get(e.getKey()), Integer::sum);
            }
            String best = null;
            int bestCount = 1;
            for (var e : pairs.entrySet())
                if (e.getValue() > bestCount || (e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            if (best == null) break;
            String[] ab = best.split("\u0000");
            merges.add(ab);
            vocab.putIfAbsent(ab[0] + ab[1], vocab.size());
            for (List<String> s : split.values())
                for (int i = 0; i + 1 < s.size(); i++)
                    if (s.get(i).equals(ab[0]) && s.get(i + 1).equals(ab[1])) {
                        s.set(i, ab[0] + ab[1]);
                        s.remove(i + 1);
                    }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        if (metaspacePreTokenizer) {
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", META)
                    .put("prepend_scheme", "first").put("split", false);
        } else {
            ObjectNode norm = root.putObject("normalizer");
            norm.put("type", "Sequence");
            ArrayNode ns = norm.putArray("normalizers");
            ns.addObject().put("type", "Prepend").put("prepend", META);
            ObjectNode rep = ns.addObject().put("type", "Replace");
            rep.putObject("pattern").put("String", " ");
            rep.put("content", META);
            root.putNull("pre_tokenizer");
        }
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        if (metaspacePreTokenizer) {
            ObjectNode dec = root.putObject("decoder");
            dec.put("type", "Sequence");
            ArrayNode ds = dec.putArray("decoders");
            ds.addObject().put("type", "Metaspace").put("replacement", META).put("prepend_scheme", "first").put("split", false);
            ds.addObject().put("type", "ByteFallback");
            ds.addObject().put("type", "Fuse");
        } else {
            ObjectNode dec = root.putObject("decoder");
            dec.put("type", "Sequence");
            ArrayNode ds = dec.putArray("decoders");
            ObjectNode r = ds.addObject().put("type", "Replace");
            r.putObject("pattern").put("String", META);
            r.put("content", " ");
            ds.addObject().put("type", "ByteFallback");
            ds.addObject().put("type", "Fuse");
            ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        for (String[] ab : merges) m.addArray().add(ab[0]).add(ab[1]);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }
}
