package org.grpo4j.tokenizer;

/**
 * A hand-written matcher for the split regex of the Qwen2/Qwen2.5/Qwen3 and Llama 3 families (GPT-4's cl100k
 * pattern, with {@code \p{N}} or {@code \p{N}{1,3}}):
 *
 * <pre>{@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,K}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}</pre>
 *
 * and GPT-2's ({@link #GPT2}, used by ByteLevel's {@code use_regex} for GPT-2 and SmolLM2). java.util.regex runs
 * these at a few MB/s, which would make tokenization the bottleneck of data loading; this
 * matcher gives the same matches (the regex is the reference: {@code FastSplitTest} compares the two on the
 * oracle corpus and random text). The pattern matches at every position, so the matches tile the text and
 * {@link #matchEnd} is all a split needs.
 */
final class FastSplit {
    static final String QWEN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final byte LETTER = 1, NUMBER = 2, SPACE = 3, NEWLINE = 4, OTHER = 5;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII[c] = Character.isLetter(c) ? LETTER : Character.isDigit(c) ? NUMBER
                    : (c == '\r' || c == '\n') ? NEWLINE : Text.isWhiteSpace(c) ? SPACE : OTHER;
        }
    }

    /** GPT-2's pattern, built into the ByteLevel pre-tokenizer ({@code use_regex: true}). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Digits per match for the GPT-4-style patterns; 0 selects GPT-2's pattern. */
    private final int maxDigits;

    private FastSplit(int maxDigits) {
        this.maxDigits = maxDigits;
    }

    /** The matcher for a pattern of tokenizer.json, or null when the pattern is not one this class implements. */
    static FastSplit forPattern(String regex) {
        if (regex.equals(QWEN)) return new FastSplit(1);
        if (regex.equals(LLAMA3)) return new FastSplit(3);
        if (regex.equals(GPT2)) return new FastSplit(0);
        return null;
    }

    private static byte kind(int cp) {
        if (cp < 128) return ASCII[cp];
        if (Text.isWhiteSpace(cp)) return SPACE; // only \r and \n are NEWLINE: U+0085, U+2028 are not in [\r\n]
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    private static boolean isS(int c) {
        return c == 's' || c == 'S' || c == 0x17F; // (?i) with Unicode case folding: ſ is an s
    }

    /** The end of the match that starts at {@code pos} (always {@code > pos} when {@code pos < s.length()}). */
    int matchEnd(String s, int pos) {
        if (maxDigits == 0) return gpt2MatchEnd(s, pos);
        int n = s.length();
        int c0 = s.codePointAt(pos);
        int l0 = Character.charCount(c0);
        // 1. contractions
        if (c0 == '\'' && pos + 1 < n) {
            char c1 = s.charAt(pos + 1);
            char lc = Character.toLowerCase(c1);
            if (isS(c1) || lc == 't' || lc == 'm' || lc == 'd') return pos + 2;
            if (pos + 2 < n) {
                char lc2 = Character.toLowerCase(s.charAt(pos + 2));
                if ((lc == 'r' && lc2 == 'e') || (lc == 'v' && lc2 == 'e') || (lc == 'l' && lc2 == 'l')) return pos + 3;
            }
        }
        byte k0 = kind(c0);
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        if (k0 == LETTER) return letters(s, pos + l0);
        if (k0 != NEWLINE && k0 != NUMBER && pos + l0 < n && kind(s.codePointAt(pos + l0)) == LETTER)
            return letters(s, pos + l0);
        // 3. \p{N}{1,K}
        if (k0 == NUMBER) {
            int end = pos + l0;
            for (int d = 1; d < maxDigits && end < n; d++) {
                int c = s.codePointAt(end);
                if (kind(c) != NUMBER) break;
                end += Character.charCount(c);
            }
            return end;
        }
        // 4. ' '?[^\s\p{L}\p{N}]+[\r\n]*
        int p = pos;
        if (c0 == ' ' && pos + 1 < n && kind(s.codePointAt(pos + 1)) == OTHER) p = pos + 1;
        if (kind(s.codePointAt(p)) == OTHER) {
            while (p < n) {
                int c = s.codePointAt(p);
                if (kind(c) != OTHER) break;
                p += Character.charCount(c);
            }
            while (p < n && (s.charAt(p) == '\r' || s.charAt(p) == '\n')) p++;
            return p;
        }
        // c0 is whitespace: W = the maximal whitespace run from pos
        int w = pos, lastNewline = -1;
        while (w < n) {
            int c = s.codePointAt(w);
            byte k = kind(c);
            if (k != SPACE && k != NEWLINE) break;
            if (c == '\r' || c == '\n') lastNewline = w;
            w += Character.charCount(c);
        }
        // 5. \s*[\r\n]+ : up to the last line break of the run
        if (lastNewline >= 0) return lastNewline + 1;
        // 6. \s+(?!\S) : the whole run at the end of text, else all but its last character
        if (w == n) return w;
        int last = s.offsetByCodePoints(w, -1);
        if (last > pos) return last;
        // 7. \s+
        return w;
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    private static int gpt2MatchEnd(String s, int pos) {
        int n = s.length();
        int c0 = s.codePointAt(pos);
        if (c0 == '\'' && pos + 1 < n) { // case-sensitive here, unlike the GPT-4-style patterns
            char c1 = s.charAt(pos + 1);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return pos + 2;
            if (pos + 2 < n) {
                char c2 = s.charAt(pos + 2);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return pos + 3;
            }
        }
        int start = pos;
        byte k = kind(c0);
        if (c0 == ' ' && pos + 1 < n) {
            byte k1 = kind(s.codePointAt(pos + 1));
            if (k1 == LETTER || k1 == NUMBER || k1 == OTHER) {
                start = pos + 1;
                k = k1;
            }
        }
        if (k == LETTER || k == NUMBER || k == OTHER) { // one run of the same class
            int p = start;
            while (p < n) {
                int c = s.codePointAt(p);
                if (kind(c) != k) break;
                p += Character.charCount(c);
            }
            return p;
        }
        int w = pos; // whitespace (line breaks included)
        while (w < n) {
            int c = s.codePointAt(w);
            byte kc = kind(c);
            if (kc != SPACE && kc != NEWLINE) break;
            w += Character.charCount(c);
        }
        if (w == n) return w;
        int last = s.offsetByCodePoints(w, -1);
        return last > pos ? last : w;
    }

    private static int letters(String s, int p) {
        int n = s.length();
        while (p < n) {
            int c = s.codePointAt(p);
            if (kind(c) != LETTER) break;
            p += Character.charCount(c);
        }
        return p;
    }
}
