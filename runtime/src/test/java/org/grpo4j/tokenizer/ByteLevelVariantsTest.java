package org.grpo4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The other byte-level layouts, on Qwen3's vocabulary with the pre-tokenizer swapped, against Hugging Face: GPT-2's
 * (ByteLevel with its own regex and a prefix space) and SmolLM2's (Digits, then ByteLevel with its regex).
 */
class ByteLevelVariantsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    private static void check(String preTokenizerJson, boolean roundTrips) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(TestFiles.npmModel("qwen3").resolve("tokenizer.json")));
        root.set("pre_tokenizer", JSON.readTree(preTokenizerJson));
        root.putNull("normalizer");
        String json = JSON.writeValueAsString(root);
        Tokenizer ours = Tokenizer.fromJson(json, TokenizerConfig.EMPTY, "variant tokenizer.json");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"))) {
            List<String> texts = TestCorpus.all(21, 800, TestCorpus.QWEN_SPECIALS);
            HfOracleTest.compare(ours, hf, texts, roundTrips ? s -> s : null);
        }
    }

    @Test
    void gpt2Layout() throws Exception {
        // the prefix space stays in the decoded text, so decode(encode(s)) is not s
        check("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}", false);
    }

    @Test
    void smolLm2Layout() throws Exception {
        check("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true},"
                + " {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}]}", true);
    }

    @Test
    void digitRunsLayout() throws Exception {
        check("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": false},"
                + " {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true}]}", true);
    }
}
