package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad tokenizer files fail to load with an error that names the file and the entry at fault. */
class TokenizerErrorsTest {
    @TempDir
    Path dir;

    /** A valid minimal byte-level BPE file to break in different ways. */
    static String valid() {
        return """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 5, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": null, "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
                           "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4},
                           "merges": ["a b", "Ġ ab"]}}
                """;
    }

    private TokenizerException loadFails(String json) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), json);
        return assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
    }

    private static void mentions(TokenizerException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void validFileLoads() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), valid());
        Tokenizer t = Tokenizer.load(dir);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 4, 5, 0}, t.encode("ab ab<|end|>a"));
        org.junit.jupiter.api.Assertions.assertEquals(6, t.vocabSize());
    }

    @Test
    void malformedJsonNamesFileAndLine() throws Exception {
        TokenizerException e = loadFails(valid().replace("\"merges\": [", "\"merges\": [,"));
        mentions(e, "tokenizer.json", "malformed JSON", "line 9");
    }

    @Test
    void unknownModelTypeIsNamed() throws Exception {
        mentions(loadFails(valid().replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"")),
                "tokenizer.json", "model.type", "Unigram");
    }

    @Test
    void mergeOfMissingTokenNamesTheMerge() throws Exception {
        mentions(loadFails(valid().replace("\"Ġ ab\"", "\"Ġ zz\"")), "tokenizer.json", "model.merges[1]", "\"zz\"");
        mentions(loadFails(valid().replace("\"Ġab\": 4", "\"Ġxy\": 4")), "model.merges[1]", "merged token \"Ġab\"");
        mentions(loadFails(valid().replace("\"a b\"", "\"a b c\"")), "model.merges[0]", "\"a b c\"");
    }

    @Test
    void unsupportedComponentsAreNamedNeverIgnored() throws Exception {
        mentions(loadFails(valid().replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"BertNormalizer\"}")),
                "normalizer.type", "BertNormalizer");
        mentions(loadFails(valid().replace("{\"type\": \"ByteLevel\", \"add_prefix_space\"", "{\"type\": \"Punctuation\", \"x\"")),
                "pre_tokenizer.type", "Punctuation");
        mentions(loadFails(valid().replace("\"decoder\": {\"type\": \"ByteLevel\"}", "\"decoder\": {\"type\": \"WordPiece\"}")),
                "decoder.type", "WordPiece");
        mentions(loadFails(valid().replace("\"post_processor\": null", "\"post_processor\": {\"type\": \"Mystery\"}")),
                "post_processor.type", "Mystery");
        mentions(loadFails(valid().replace("\"dropout\": null", "\"dropout\": 0.1")), "model.dropout");
        mentions(loadFails(valid().replace("\"truncation\": null", "\"truncation\": {\"max_length\": 8}")), "truncation");
        mentions(loadFails(valid().replace("\"unk_token\": null", "\"unk_token\": \"<unk>\"")), "model.unk_token", "<unk>");
        mentions(loadFails(valid().replace("\"b\": 1,", "\"b\": \"one\",")), "model.vocab[\"b\"]");
    }

    @Test
    void missingFileAndBadConfigAreNamed() throws Exception {
        mentions(assertThrows(TokenizerException.class, () -> Tokenizer.load(dir)), "tokenizer.json", "not found");
        Files.writeString(dir.resolve("tokenizer.json"), valid());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
        mentions(assertThrows(TokenizerException.class, () -> Tokenizer.load(dir)), "eos_token", "<|nope|>");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": ");
        mentions(assertThrows(TokenizerException.class, () -> Tokenizer.load(dir)), "tokenizer_config.json", "malformed JSON");
    }

    @Test
    void addedTokenFlagsFollowHuggingFace() {
        String json = valid().replace("\"added_tokens\": [", """
                "added_tokens": [{"id": 6, "content": "ab", "single_word": true, "lstrip": false, "rstrip": false,
                                  "normalized": false, "special": false},
                                 {"id": 7, "content": "<L>", "single_word": false, "lstrip": true, "rstrip": true,
                                  "normalized": false, "special": true},
                """);
        Tokenizer t = Tokenizer.fromJson(json, TokenizerConfig.EMPTY, "flags/tokenizer.json");
        // single_word: "ab" alone is the added token, inside "aab" it is not
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {6}, t.encode("ab"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 2, 1}, t.encode("aabb"));
        // lstrip/rstrip: the spaces around <L> are swallowed by it
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 7, 1}, t.encode("a  <L>  b"));
        org.junit.jupiter.api.Assertions.assertEquals("ab", t.decode(t.encode("a <L> b"), true));
        org.junit.jupiter.api.Assertions.assertEquals(List.of(5, 6, 7), t.addedTokens().stream().map(AddedToken::id).toList());
    }
}
