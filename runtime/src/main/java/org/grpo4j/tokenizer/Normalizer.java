package org.grpo4j.tokenizer;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code normalizer} of {@code tokenizer.json}: rewrites the text between added tokens before it is split into
 * words. Only the kinds the supported model families use are here; the loader rejects any other by name.
 */
sealed interface Normalizer {
    String normalize(String s);

    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String s) {
            return java.text.Normalizer.isNormalized(s, form) ? s : java.text.Normalizer.normalize(s, form);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Llama 2 / Mistral: prepends the metaspace to every non-empty piece of text. */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.isEmpty() ? s : prefix + s;
        }
    }

    /** Replaces every occurrence of a literal string, or of a regex when {@code regex} is non-null. */
    record Replace(String literal, Pattern regex, String content) implements Normalizer {
        @Override
        public String normalize(String s) {
            if (regex != null) return regex.matcher(s).replaceAll(java.util.regex.Matcher.quoteReplacement(content));
            return literal.isEmpty() ? s : s.replace(literal, content);
        }
    }

    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String s) {
            int a = 0, b = s.length();
            if (left) while (a < b && Character.isWhitespace(s.codePointAt(a))) a += Character.charCount(s.codePointAt(a));
            if (right) while (b > a && Character.isWhitespace(s.codePointBefore(b))) b -= Character.charCount(s.codePointBefore(b));
            return s.substring(a, b);
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String normalize(String s) {
            for (Normalizer n : normalizers) s = n.normalize(s);
            return s;
        }
    }
}
