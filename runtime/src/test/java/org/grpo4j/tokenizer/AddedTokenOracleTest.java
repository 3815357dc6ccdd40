package org.grpo4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Added tokens with every flag ({@code single_word}, {@code lstrip}, {@code rstrip}, {@code normalized},
 * {@code special}) against Hugging Face, on the SentencePiece-style files whose normalizer rewrites spaces (so
 * normalised tokens are matched in the normalised text).
 */
class AddedTokenOracleTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String withFlaggedTokens(String json) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(json);
        int next = root.get("model").get("vocab").size();
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        Object[][] specs = { // content, single_word, lstrip, rstrip, normalized, special
                {"[MASK]", false, true, true, false, true},
                {"<tool>", false, false, true, false, false},
                {"</tool>", false, true, false, false, false},
                {"cat", true, false, false, true, false},
                {"dog", false, false, false, true, false},
                {"é!", true, true, false, false, true},
                {"ab", false, false, false, false, false},
                {"abc", false, false, false, false, false},
        };
        for (Object[] sp : specs) {
            ObjectNode t = added.addObject();
            t.put("id", next++).put("content", (String) sp[0]).put("single_word", (Boolean) sp[1])
                    .put("lstrip", (Boolean) sp[2]).put("rstrip", (Boolean) sp[3]).put("normalized", (Boolean) sp[4])
                    .put("special", (Boolean) sp[5]);
        }
        return JSON.writeValueAsString(root);
    }

    static List<String> texts() {
        String[] toks = {"[MASK]", "<tool>", "</tool>", "cat", "dog", "é!", "ab", "abc", "<s>", "</s>"};
        String[] around = {"", " ", "  ", "x", "\n", " x ", "cats", "é", "!", "\t"};
        List<String> out = new ArrayList<>();
        java.util.Random r = new java.util.Random(4);
        for (int i = 0; i < 1200; i++) {
            StringBuilder b = new StringBuilder();
            int n = 1 + r.nextInt(5);
            for (int k = 0; k < n; k++) {
                b.append(around[r.nextInt(around.length)]);
                b.append(r.nextBoolean() ? toks[r.nextInt(toks.length)] : TestCorpus.FRAGMENTS[r.nextInt(TestCorpus.FRAGMENTS.length)]);
                b.append(around[r.nextInt(around.length)]);
            }
            out.add(b.toString());
        }
        out.addAll(List.of("a cat sat", "concatenate", "cat", " cat ", "the dog's dog", "[MASK]", "  [MASK]  x",
                "<tool>  call  </tool>", "abcab", "aab", "é!é!", "café!", " é! "));
        return out;
    }

    private static void check(String json) throws Exception {
        Tokenizer ours = Tokenizer.fromJson(json, TokenizerConfig.EMPTY, "flags tokenizer.json");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"))) {
            HfOracleTest.compare(ours, hf, texts(), null);
        }
        // the flags did something: single_word "cat" matches alone but not inside a word, lstrip/rstrip eat spaces
        int cat = ours.id("cat").getAsInt(), mask = ours.id("[MASK]").getAsInt();
        org.junit.jupiter.api.Assertions.assertTrue(contains(ours.encode("cat sat"), cat));
        org.junit.jupiter.api.Assertions.assertFalse(contains(ours.encode("concatenate"), cat));
        org.junit.jupiter.api.Assertions.assertEquals("x", ours.decode(ours.encode("  [MASK]  x", false), true).strip());
    }

    static boolean contains(int[] ids, int id) {
        for (int i : ids) if (i == id) return true;
        return false;
    }

    @Test
    void llama2LayoutFlags() throws Exception {
        check(withFlaggedTokens(SentencePieceStyleTest.tokenizerJson(false)));
    }

    @Test
    void metaspaceLayoutFlags() throws Exception {
        check(withFlaggedTokens(SentencePieceStyleTest.tokenizerJson(true)));
    }
}
