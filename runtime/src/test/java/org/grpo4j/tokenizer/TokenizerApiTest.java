package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The public API on the real Qwen3 and Llama 3 files: special token ids, vocabulary lookups, long inputs. */
class TokenizerApiTest {
    @Test
    void qwen3SpecialTokensAndVocabulary() {
        Tokenizer t = Tokenizer.load(TestFiles.npmModel("qwen3"));
        assertEquals(151669, t.vocabSize());
        assertEquals(OptionalInt.of(151645), t.eosTokenId()); // <|im_end|>
        assertEquals(OptionalInt.of(151643), t.padTokenId()); // <|endoftext|>
        assertEquals(OptionalInt.empty(), t.bosTokenId());
        assertEquals("<|im_start|>", t.token(151644));
        assertEquals(OptionalInt.of(151644), t.id("<|im_start|>"));
        assertEquals("Hello", t.token(t.id("Hello").getAsInt()));
        assertTrue(t.isSpecial(151645));
        assertFalse(t.isSpecial(9707));
        assertArrayEquals(new int[] {9707, 11, 1879, 0}, t.encode("Hello, world!"));
        assertThrows(IllegalArgumentException.class, () -> t.token(10_000_000));
        // ids beyond the vocabulary (a model's padded embedding rows) are skipped by decode, as in Hugging Face
        assertEquals("Hello", t.decode(new int[] {9707, 151900}));
        assertEquals("Hello", t.decode(new int[] {151644, 9707, 151645}, true));
    }

    @Test
    void llama3SpecialTokens() {
        Tokenizer t = Tokenizer.load(TestFiles.npmModel("llama3"));
        assertEquals(128256, t.vocabSize());
        assertEquals(OptionalInt.of(128000), t.bosTokenId());
        assertEquals(OptionalInt.of(128001), t.eosTokenId());
        // this file's post-processor is ByteLevel: encode adds no BOS (the chat template writes it)
        assertEquals(t.encode("Hi").length, t.encode("Hi", false).length);
        assertEquals(128000, t.encode("<|begin_of_text|>Hi")[0]);
    }

    @Test
    void sharedBetweenThreads() throws Exception {
        Tokenizer t = Tokenizer.load(TestFiles.npmModel("qwen3"));
        java.util.List<String> texts = TestCorpus.all(17, 400, TestCorpus.QWEN_SPECIALS);
        java.util.List<int[]> expected = new java.util.ArrayList<>();
        for (String s : texts) expected.add(t.encode(s));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int k = 0; k < 4; k++) {
                int offset = k;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < texts.size(); i++) {
                        int j = (i * 7 + offset * 13) % texts.size();
                        if (!java.util.Arrays.equals(expected.get(j), t.encode(texts.get(j)))) return false;
                    }
                    return true;
                }));
            }
            for (var f : results) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a quadratic merge loop would take hours here, not seconds
    void longWordsEncodeWithoutQuadraticCost() {
        Tokenizer t = Tokenizer.load(TestFiles.npmModel("llama3"));
        String word = "abcdefghij".repeat(20_000); // one 200,000-letter word for the split regex
        int[] ids = t.encode(word);
        assertEquals(word, t.decode(ids));
        Tokenizer chars = CharTokenizer.build(java.util.List.of("ab"), java.util.List.of()).tokenizer();
        String text = "ab".repeat(200_000); // no pre-tokenizer: the whole text is one BPE word
        assertEquals(400_000, chars.encode(text).length);
    }
}
