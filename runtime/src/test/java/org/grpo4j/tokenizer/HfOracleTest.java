package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exact ids against Hugging Face's own Rust tokenizers (through DJL) for the real Qwen3 and Llama 3 files, on
 * 1,500+ strings each: ASCII, CJK, emoji, combining marks, numbers, whitespace runs, LaTeX, code, special tokens.
 */
class HfOracleTest {
    static Tokenizer qwen, llama;
    static HuggingFaceTokenizer hfQwen, hfLlama;

    @BeforeAll
    static void load() throws Exception {
        Path q = TestFiles.npmModel("qwen3"), l = TestFiles.npmModel("llama3");
        qwen = Tokenizer.load(q);
        llama = Tokenizer.load(l);
        hfQwen = oracle(q.resolve("tokenizer.json"));
        hfLlama = oracle(l.resolve("tokenizer.json"));
    }

    static HuggingFaceTokenizer oracle(Path json) throws Exception {
        return HuggingFaceTokenizer.newInstance(json, Map.of("addSpecialTokens", "true", "truncation", "false",
                "padding", "false", "modelMaxLength", "100000000"));
    }

    @AfterAll
    static void close() {
        if (hfQwen != null) hfQwen.close();
        if (hfLlama != null) hfLlama.close();
    }

    @Test
    void qwen3IdsEqualHuggingFace() {
        // Qwen's NFC normalizer makes decode(encode(s)) the NFC form of s (a decomposed "e\u0301" comes back "é")
        compare(qwen, hfQwen, TestCorpus.all(3, 1500, TestCorpus.QWEN_SPECIALS),
                s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC));
    }

    @Test
    void llama3IdsEqualHuggingFace() {
        compare(llama, hfLlama, TestCorpus.all(33, 1500, TestCorpus.LLAMA_SPECIALS), s -> s);
    }

    /** Ids and decoding equal Hugging Face's; {@code roundTrip} (null: not checked) is what decode(encode(s)) must give. */
    static void compare(Tokenizer ours, HuggingFaceTokenizer hf, List<String> texts,
                        java.util.function.UnaryOperator<String> roundTrip) {
        assertTrue(texts.size() >= 1000);
        List<String> failures = new ArrayList<>();
        for (String s : texts) {
            int[] got = ours.encode(s);
            int[] want = toInt(hf.encode(s).getIds());
            if (!Arrays.equals(got, want)) {
                failures.add("ids of " + show(s) + "\n   ours " + Arrays.toString(got) + "\n   hf   " + Arrays.toString(want));
                continue;
            }
            String back = ours.decode(got);
            if (roundTrip != null && !back.equals(roundTrip.apply(s))) failures.add("decode(encode(" + show(s) + ")) = " + show(back));
            String hfBack = hf.decode(toLong(got), false);
            if (!back.equals(hfBack)) failures.add("decode of " + show(s) + ": ours " + show(back) + " hf " + show(hfBack));
            String skip = ours.decode(got, true), hfSkip = hf.decode(toLong(got), true);
            if (!skip.equals(hfSkip)) failures.add("decode(skip) of " + show(s) + ": ours " + show(skip) + " hf " + show(hfSkip));
        }
        if (!failures.isEmpty())
            fail(failures.size() + " of " + texts.size() + " strings differ from Hugging Face, e.g.:\n"
                    + String.join("\n", failures.subList(0, Math.min(15, failures.size()))));
    }

    @Test
    void decodingArbitraryIdSequencesEqualsHuggingFace() {
        // partial UTF-8 (a byte-level token cut mid-character) must become U+FFFD exactly as Rust's from_utf8_lossy
        java.util.Random r = new java.util.Random(5);
        for (int k = 0; k < 500; k++) {
            int n = 1 + r.nextInt(6);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = r.nextInt(qwen.vocabSize());
            assertEquals(hfQwen.decode(toLong(ids), false), qwen.decode(ids), "decode " + Arrays.toString(ids));
            assertEquals(hfQwen.decode(toLong(ids), true), qwen.decode(ids, true), "decode(skip) " + Arrays.toString(ids));
            for (int i = 0; i < n; i++) ids[i] = r.nextInt(llama.vocabSize());
            assertEquals(hfLlama.decode(toLong(ids), false), llama.decode(ids), "decode " + Arrays.toString(ids));
        }
    }

    static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.toIntExact(a[i]);
        return r;
    }

    static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA1) || Character.isWhitespace(cp) && cp != ' ')
                b.append(String.format("\\u%04x", cp));
            else b.appendCodePoint(cp);
        });
        return b.append('"').toString();
    }
}
