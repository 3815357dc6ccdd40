package org.grpo4j.dsl.math;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a text. A completion is read strictly, like open-r1's use of math_verify
 * ({@code try_extract_without_anchor=False}): only the last {@code \boxed{…}}, the last {@code <answer>…</answer>}
 * or the text after an explicit anchor ("the answer is", "final answer:", "answer:", GSM8K's "####") counts;
 * "x = 10" on its own is no answer. A gold answer is read leniently: the same anchors first, then the whole text
 * ("10", "$\frac{1}{2}$").
 *
 * <pre>{@code AnswerExtractor.fromCompletion("So the answer is $\\frac{1}{2}$.") // "$\\frac{1}{2}$"}</pre>
 */
public final class AnswerExtractor {
    private AnswerExtractor() {}

    private static final Pattern ANSWER_TAG = Pattern.compile("<answer>(.*?)</answer>", Pattern.DOTALL);
    private static final Pattern ANCHOR = Pattern.compile(
            "(?i)(?:final\\s+answer(?:\\s+is)?|answer\\s+is|answer\\s*:|####)[\\s:*]*");
    private static final Pattern BOXED = Pattern.compile("\\\\(?:boxed|fbox)\\s*\\{");

    /** The answer text of a completion, or null when it states none with an anchor. */
    public static String fromCompletion(String text) {
        if (text == null || text.isEmpty()) return null;
        String boxed = lastBoxed(text);
        if (boxed != null) return boxed;
        String tag = lastAnswerTag(text);
        if (tag != null) {
            String inner = afterAnchor(tag);
            return inner != null ? inner : tag.strip();
        }
        return afterAnchor(text);
    }

    /** The answer text of a gold solution: anchored forms first, then the whole text. */
    public static String fromGold(String text) {
        if (text == null || text.isBlank()) return null;
        String c = fromCompletion(text);
        return c != null ? c : text.strip();
    }

    /** Content of the last {@code \boxed{…}} with balanced braces, or null (also when its braces never close). */
    public static String lastBoxed(String text) {
        Matcher m = BOXED.matcher(text);
        int start = -1;
        while (m.find()) start = m.end();
        while (start >= 0) {
            int depth = 1;
            for (int i = start; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\\' && i + 1 < text.length()) {
                    i++;
                    continue;
                }
                if (c == '{') depth++;
                else if (c == '}' && --depth == 0) return text.substring(start, i);
            }
            // unbalanced last box: try an earlier, well-formed one
            int prev = -1;
            m.reset();
            while (m.find() && m.end() < start) prev = m.end();
            start = prev;
        }
        return null;
    }

    static String lastAnswerTag(String text) {
        Matcher m = ANSWER_TAG.matcher(text);
        String last = null;
        while (m.find()) last = m.group(1);
        return last == null || last.isBlank() ? null : last;
    }

    /** The math after the last anchor: a delimited formula, or the rest of the sentence without trailing words. */
    static String afterAnchor(String text) {
        Matcher m = ANCHOR.matcher(text);
        int end = -1;
        while (m.find()) end = m.end();
        if (end < 0) return null;
        String rest = text.substring(end).stripLeading();
        while (rest.startsWith("*") || rest.startsWith(":")) rest = rest.substring(1).stripLeading();
        if (rest.isEmpty()) return null;
        String delimited = leadingDelimited(rest);
        if (delimited != null) return delimited;
        int stop = rest.length();
        int nl = rest.indexOf('\n');
        if (nl >= 0) stop = nl;
        for (int i = 0; i < stop; i++) {
            char c = rest.charAt(i);
            // a full stop ends the sentence unless it is a decimal point
            if (c == '.' && (i + 1 == stop || Character.isWhitespace(rest.charAt(i + 1)))) {
                stop = i;
                break;
            }
        }
        String s = rest.substring(0, stop).replace("**", "").strip();
        s = dropTrailingWords(s);
        return s.isEmpty() ? null : s;
    }

    private static String leadingDelimited(String s) {
        String[][] pairs = {{"$$", "$$"}, {"$", "$"}, {"\\(", "\\)"}, {"\\[", "\\]"}};
        for (String[] p : pairs) {
            if (s.startsWith(p[0])) {
                int close = s.indexOf(p[1], p[0].length());
                if (close > p[0].length()) return s.substring(p[0].length(), close);
                return null;
            }
        }
        return null;
    }

    private static final Pattern TRAILING_WORD = Pattern.compile("\\s+[A-Za-z]{2,}[.,;!?]?$");

    /** "42 apples in total" → "42": words of two or more letters at the end are prose, not maths. */
    private static String dropTrailingWords(String s) {
        String prev;
        do {
            prev = s;
            Matcher m = TRAILING_WORD.matcher(s);
            if (m.find()) {
                String word = m.group().strip().replaceAll("[.,;!?]$", "");
                if (!isMathWord(word)) s = s.substring(0, m.start());
            }
        } while (!s.equals(prev) && !s.isEmpty());
        return s.strip();
    }

    private static boolean isMathWord(String w) {
        return switch (w) {
            case "pi", "sqrt", "sin", "cos", "tan", "ln", "log", "exp", "inf", "infty" -> true;
            default -> false;
        };
    }
}
