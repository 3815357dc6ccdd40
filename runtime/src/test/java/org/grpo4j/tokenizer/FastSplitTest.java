package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written split matcher gives exactly the matches of the regex it replaces (the slow reference). */
class FastSplitTest {
    static List<String> byRegex(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() > prev) out.add("GAP:" + s.substring(prev, m.start()));
            if (m.end() > m.start()) out.add(s.substring(m.start(), m.end()));
            prev = m.end();
        }
        if (prev < s.length()) out.add("GAP:" + s.substring(prev));
        return out;
    }

    static List<String> byFast(FastSplit f, String s) {
        List<String> out = new ArrayList<>();
        for (int pos = 0; pos < s.length(); ) {
            int end = f.matchEnd(s, pos);
            out.add(s.substring(pos, end));
            pos = end;
        }
        return out;
    }

    @Test
    void sameMatchesAsTheRegex() {
        Random r = new Random(1);
        // characters that stress each alternative: apostrophes, case-folded s, CR/LF and other breaks, digits of
        // many scripts, letters, marks, symbols, emoji (surrogate pairs), Unicode spaces
        String alphabet = "'sStTrReEvVmMlLdDſ \t\n\r\u000b\u000c\u0085\u00a0\u2028\u2029\u3000\u200b"
                + "aZé你ｱ가ǅ١٢३४Ⅻ½²0123456789.,;!?-_()[]{}<>/\\\"#$%&*+=@^`|~\u0301\u0903😀🤖€©";
        int[] cps = alphabet.codePoints().toArray();
        for (String pattern : List.of(FastSplit.QWEN, FastSplit.LLAMA3, FastSplit.GPT2)) {
            Pattern regex = Text.compileOniguruma(pattern);
            FastSplit fast = FastSplit.forPattern(pattern);
            assertNotNull(fast);
            List<String> texts = new ArrayList<>(TestCorpus.all(2, 1000, TestCorpus.QWEN_SPECIALS));
            for (int i = 0; i < 20_000; i++) {
                StringBuilder b = new StringBuilder();
                int len = 1 + r.nextInt(12);
                for (int k = 0; k < len; k++) b.appendCodePoint(cps[r.nextInt(cps.length)]);
                texts.add(b.toString());
            }
            for (String s : texts) assertEquals(byRegex(regex, s), byFast(fast, s), () -> "split of " + HfOracleTest.show(s));
        }
    }

    @Test
    void onlyTheKnownPatternsGetTheFastPath() {
        assertEquals(null, FastSplit.forPattern("\\s+"));
        assertEquals(null, FastSplit.forPattern(FastSplit.QWEN + "|x"));
    }
}
