package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Streaming decode: the pieces, joined, equal decode(all ids), and no piece holds half a character. */
class StreamDecoderTest {
    static void streamsExactly(Tokenizer tok, String text, boolean skip) {
        int[] ids = tok.encode(text, false);
        StreamDecoder d = tok.streamDecoder(skip);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = d.step(id);
            assertFalse(piece.contains("\uFFFD"), "piece with a broken character: " + HfOracleTest.show(piece));
            out.append(piece);
        }
        out.append(d.flush());
        assertEquals(tok.decode(ids, skip), out.toString(), "stream of " + HfOracleTest.show(text));
    }

    @Test
    void byteLevelTokenizersStreamMultiByteCharacters() {
        for (String name : List.of("qwen3", "llama3")) {
            Tokenizer tok = Tokenizer.load(TestFiles.npmModel(name));
            for (String s : TestCorpus.all(7, 200, name.equals("qwen3") ? TestCorpus.QWEN_SPECIALS : TestCorpus.LLAMA_SPECIALS)) {
                streamsExactly(tok, s, false);
                streamsExactly(tok, s, true);
            }
            // a rare character is several byte-level tokens: nothing comes out until its last byte
            String rare = multiTokenChar(tok);
            int[] ids = tok.encode(rare, false);
            StreamDecoder d = tok.streamDecoder(false);
            for (int i = 0; i < ids.length - 1; i++) assertEquals("", d.step(ids[i]));
            assertEquals(rare, d.step(ids[ids.length - 1]));
        }
    }

    static String multiTokenChar(Tokenizer tok) {
        for (String c : List.of("𓀀", "𝔸", "🜁", "ꙮ", "🤖"))
            if (tok.encode(c, false).length > 1) return c;
        throw new AssertionError("no multi-token character found");
    }

    @Test
    void sentencePieceTokenizersStream() throws Exception {
        Tokenizer tok = Tokenizer.fromJson(SentencePieceStyleTest.tokenizerJson(false), TokenizerConfig.EMPTY, "sp");
        for (String s : TestCorpus.all(8, 200, new String[] {"</s>"})) streamsExactly(tok, s, false);
        Tokenizer meta = Tokenizer.fromJson(SentencePieceStyleTest.tokenizerJson(true), TokenizerConfig.EMPTY, "sp2");
        for (String s : TestCorpus.all(9, 200, new String[] {"</s>"})) streamsExactly(meta, s, false);
    }

    @Test
    void unfinishedCharacterIsFlushedAsReplacement() {
        Tokenizer tok = Tokenizer.load(TestFiles.npmModel("qwen3"));
        int[] ids = tok.encode(multiTokenChar(tok), false);
        StreamDecoder d = tok.streamDecoder(false);
        assertEquals("", d.step(ids[0]));
        org.junit.jupiter.api.Assertions.assertTrue(tok.decode(new int[] {ids[0]}).endsWith("\uFFFD"));
        assertEquals(tok.decode(new int[] {ids[0]}), d.flush());
    }
}
