package org.grpo4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic test strings for the oracle comparisons: fragments of many scripts and formats mixed by a seeded
 * generator, plus fixed cases known to be tricky for byte-level BPE regexes.
 */
final class TestCorpus {
    private TestCorpus() {}

    static final String[] FRAGMENTS = {
            // ASCII prose and contractions
            "Hello, world!", "The quick brown fox jumps over the lazy dog.", "I'm", "you're", "they've", "he'd",
            "we'll", "it's", "DON'T", "She'S", "O'Neil", "rock'n'roll", "e.g.", "Mr. Smith", "U.S.A.",
            // digits and numbers
            "0", "7", "42", "123", "1234", "12345678901234567890", "3.14159", "-2.5e-10", "1,000,000", "v2.0.1",
            "2024-06-01", "12:30:45", "$19.99", "50%", "#1", "x1y2z3", "٣٤٥", "१२३", "Ⅻ", "½", "²",
            // whitespace runs
            " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n ", "\n\n\n", "    \n", "\u00a0", "\u3000",
            "\u2003", "\u200b", "\u2028", "\u0085",
            // Chinese, Japanese, Korean
            "你好，世界！", "机器学习是人工智能的一个分支。", "我们今天去公园散步吧", "日本語のテキストです。", "カタカナ",
            "ひらがな", "한국어 텍스트", "안녕하세요", "繁體中文測試", "〈書名〉", "「引用」",
            // other scripts
            "Привет, мир!", "Ελληνικά", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "ภาษาไทย", "Tiếng Việt có dấu",
            "Ærøskøbing", "straße", "ſ", "'ſ", "İstanbul", "ǅ", "Kelvin K",
            // emoji and symbols
            "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🤖 robots", "✨✨✨", "©®™", "→ ← ↑ ↓", "∑∫∂√∞", "€£¥₹",
            // combining marks
            "e\u0301", "n\u0303", "a\u0308\u0304", "Cafe\u0301", "\u0301", "o\u0302\u0323", "ก\u0e31", "अ\u0902",
            // LaTeX
            "$x^2 + y^2 = z^2$", "\\frac{a}{b}", "\\begin{equation}", "\\end{equation}", "\\sum_{i=1}^{n} i",
            "\\boxed{42}", "\\alpha\\beta\\gamma", "$$\\int_0^1 f(x)\\,dx$$", "\\sqrt{2}",
            // source code
            "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) {", "}", "if (a && b || !c)", "x += 1;",
            "public static void main(String[] args)", "console.log(`${a}`);", "#include <stdio.h>", "<div class=\"a\">",
            "SELECT * FROM t WHERE id = 1;", "    ", "\t\treturn;", "{\"key\": [1, 2, 3]}", "a_b_c", "__init__",
            "// comment", "/* block */", "x->y", "a::b", "i++", "!=", "===", ">>=", "...", "---", "***", "~~~",
            // punctuation runs
            "!!!", "???", "?!", "\"quoted\"", "'single'", "(parens)", "[brackets]", "{braces}", "<angle>", "@user",
            "#tag", "a/b/c", "C:\\path\\file", "http://example.com/a?b=c&d=e", "foo@bar.com",
            // reasoning-style text
            "<think>\nLet me think.\n</think>\n\n", "Answer: 42", "Step 1:", "Therefore,",
    };

    /** Special tokens of the two families, mixed into text so they must be matched before pre-tokenization. */
    static final String[] QWEN_SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>",
            "<tool_call>", "</tool_call>", "<|vision_pad|>"};
    static final String[] LLAMA_SPECIALS = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>", "<|reserved_special_token_5|>"};

    static final String[] TRICKY = {
            "", " ", "  ", "\n", " \n", "\n ", "a", " a", "a ", "  a", "a  ", "a  b", "a   b", "a\n\nb", "a \n b",
            "hello world", " hello world", "Hello  world", "hello\tworld", "\t\thello", "hello\n\n\n\nworld",
            "   leading", "trailing   ", "x\r\ny", "\r\n\r\n", "I'M", "I'm", "I 'm", "I'mnot", "'s", "''s", "'S",
            "'ſ", "a'ſb", "12345", "1 2 3", "1,2", "a1b2", "٣", "🤖", "🤖🤖", " 🤖", "😀\n", "e\u0301",
            "é", "\u0301\u0301", "你好", " 你好", "你好 ", "中文English混合", "한국어", "   \n   ", "\u00a0a",
            "a\u00a0", "\u3000\u3000", "a\u2028b", "<|im_start|>user\nhi<|im_end|>", "<|im_start|><|im_end|>",
            " <|im_end|> ", "x<|endoftext|>y", "<|endoftext", "<|im_start", "<think></think>",
            "<|begin_of_text|>Hello", "<|eot_id|><|eot_id|>", "<|start_header_id|>system<|end_header_id|>\n\nHi",
            "```python\nprint('hi')\n```", "    def f():\n        pass", "\\(\\frac{1}{2}\\)", "$$\n\\sum\n$$",
            "................", "!!!!!!!!!!", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "1111111111111111111111",
            "ab".repeat(200), "the ".repeat(100), "\n".repeat(20), " ".repeat(33), "é".repeat(50),
    };

    /** {@code n} mixed strings from a fixed seed, with the given special tokens sprinkled in. */
    static List<String> generated(long seed, int n, String[] specials) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(n);
        String[] joins = {"", " ", "  ", "\n", "\t", " \n", "\n\n"};
        for (int i = 0; i < n; i++) {
            int parts = 1 + r.nextInt(8);
            StringBuilder b = new StringBuilder();
            for (int p = 0; p < parts; p++) {
                if (p > 0) b.append(joins[r.nextInt(joins.length)]);
                int kind = r.nextInt(20);
                if (kind == 0 && specials.length > 0) b.append(specials[r.nextInt(specials.length)]);
                else if (kind == 1) b.appendCodePoint(randomCodePoint(r));
                else if (kind == 2) b.append(r.nextInt(1_000_000));
                else b.append(FRAGMENTS[r.nextInt(FRAGMENTS.length)]);
            }
            out.add(b.toString());
        }
        return out;
    }

    private static int randomCodePoint(Random r) {
        int[][] ranges = {{0x20, 0x7E}, {0xA0, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x590, 0x6FF},
                {0x900, 0x97F}, {0xE00, 0xE7F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3},
                {0x1F300, 0x1F64F}, {0x2000, 0x206F}, {0x300, 0x36F}, {0x1D400, 0x1D4FF}};
        while (true) {
            int[] rg = ranges[r.nextInt(ranges.length)];
            int cp = rg[0] + r.nextInt(rg[1] - rg[0] + 1);
            if (Character.isDefined(cp) && !Character.isSurrogate((char) cp)) return cp;
        }
    }

    static List<String> all(long seed, int n, String[] specials) {
        List<String> out = new ArrayList<>(List.of(TRICKY));
        out.addAll(List.of(FRAGMENTS));
        out.addAll(generated(seed, n, specials));
        return out;
    }
}
