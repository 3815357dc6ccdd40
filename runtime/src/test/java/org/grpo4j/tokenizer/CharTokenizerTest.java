package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The character tokenizer is a standard tokenizer.json: it round-trips, and Hugging Face reads it the same way. */
class CharTokenizerTest {
    static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>");

    @Test
    void roundTripsAndLoadsThroughTheSameLoader(@TempDir Path dir) throws Exception {
        List<String> corpus = List.of("2+2=4", "3*3=9\n", "héllo wörld 🤖", "数学");
        CharTokenizer ct = CharTokenizer.build(corpus, SPECIALS);
        ct.save(dir);
        Tokenizer tok = Tokenizer.load(dir);
        assertEquals(ct.vocabSize(), tok.vocabSize());
        assertEquals(0, tok.id(CharTokenizer.UNK).getAsInt());
        assertEquals(1, tok.id("<|endoftext|>").getAsInt());
        assertEquals(tok.id("<|im_end|>"), tok.eosTokenId());
        assertEquals(tok.id("<|endoftext|>"), tok.padTokenId());
        for (String s : List.of("2+2=4", "héllo 🤖 数学", "<|im_start|>user\n3*3=9<|im_end|>", "<think>4</think>", "")) {
            int[] ids = tok.encode(s);
            assertEquals(s, tok.decode(ids), s);
        }
        // one id per code point (the emoji is one token, not two UTF-16 halves)
        assertEquals(3, tok.encode("a🤖b".replace('a', '2').replace('b', '4')).length);
        // unseen characters become <unk>, one each; skipping special tokens drops them
        int[] unk = tok.encode("2x€4");
        assertArrayEquals(new int[] {tok.id("2").getAsInt(), 0, 0, tok.id("4").getAsInt()}, unk);
        assertEquals("2<unk><unk>4", tok.decode(unk));
        assertEquals("24", tok.decode(unk, true));
        // the chat template written with it
        assertEquals("<|im_start|>user\n2+2<|im_end|>\n<|im_start|>assistant\n",
                tok.chatTemplate().apply(List.of(ChatMessage.user("2+2")), true));
        // in memory, without files, the same tokenizer
        assertArrayEquals(tok.encode("héllo<|im_end|>"), ct.tokenizer().encode("héllo<|im_end|>"));

        // Hugging Face reads the file and agrees on the ids
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"))) {
            for (String s : List.of("2+2=4", "héllo wörld 🤖", "<|im_start|>数学<|im_end|>", "2x€4", "3*3=9\n")) {
                assertArrayEquals(HfOracleTest.toInt(hf.encode(s).getIds()), tok.encode(s), s);
                assertEquals(hf.decode(HfOracleTest.toLong(tok.encode(s)), false), tok.decode(tok.encode(s)), s);
            }
        }
    }

    @Test
    void withoutChatMlTokensAPlainTemplate() {
        Tokenizer tok = CharTokenizer.build(List.of("abc :\n"), List.of("<eos>")).tokenizer();
        assertEquals("user: abc\nassistant: ", tok.chatTemplate().apply(List.of(ChatMessage.user("abc")), true));
        assertEquals(tok.id("<eos>"), tok.eosTokenId());
    }
}
