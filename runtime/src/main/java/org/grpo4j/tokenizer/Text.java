package org.grpo4j.tokenizer;

import java.util.regex.Pattern;

/** Character classes with the Unicode meaning Hugging Face's Rust code gives them (Java's defaults differ). */
final class Text {
    private Text() {}

    /** The Unicode White_Space property, as Rust's {@code char::is_whitespace} and Oniguruma's {@code \s}. */
    static final String WHITE_SPACE_CLASS_BODY =
            "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

    static boolean isWhiteSpace(int cp) {
        return (cp >= 9 && cp <= 13) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Rust's {@code char::is_alphanumeric}: Alphabetic or Numeric. */
    static boolean isAlphanumeric(int cp) {
        if (Character.isAlphabetic(cp)) return true;
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /**
     * Compiles a regex of {@code tokenizer.json} (written for Oniguruma) for java.util.regex. The constructs the model
     * families use ({@code \p{L}}, {@code \p{N}}, {@code (?i:...)}, {@code (?!\S)}, possessive quantifiers) mean the
     * same in both, except the shorthand classes: Oniguruma's {@code \s}, {@code \d}, {@code \w} are Unicode-wide,
     * Java's are ASCII. They are rewritten to explicit Unicode classes rather than switching on
     * {@code UNICODE_CHARACTER_CLASS}, which would also change {@code \b} and slow every class down.
     * {@code UNICODE_CASE} makes {@code (?i:'s)} match {@code 'ſ} as Oniguruma's case folding does.
     */
    static Pattern compileOniguruma(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length() + 64);
        int depth = 0; // inside [...] when > 0
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                char e = pattern.charAt(++i);
                String body = switch (e) {
                    case 's' -> WHITE_SPACE_CLASS_BODY;
                    case 'd' -> "\\p{Nd}";
                    case 'w' -> "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
                    default -> null;
                };
                if (body != null) {
                    out.append(depth > 0 ? body : "[" + body + "]");
                } else if (e == 'S' || e == 'D' || e == 'W') { // inside [...] Java reads [^...] as a union
                    String b = e == 'S' ? WHITE_SPACE_CLASS_BODY : e == 'D' ? "\\p{Nd}" : "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
                    out.append("[^").append(b).append(']');
                } else {
                    out.append('\\').append(e);
                }
            } else {
                if (c == '[') depth++;
                else if (c == ']' && depth > 0) depth--;
                out.append(c);
            }
        }
        return Pattern.compile(out.toString(), Pattern.UNICODE_CASE);
    }
}
