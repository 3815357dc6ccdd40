package org.grpo4j.repl;

import java.util.Set;
import org.jline.reader.Highlighter;
import org.jline.reader.LineReader;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/**
 * Colours REPL input as it is typed: Java keywords, string and char literals (text blocks too), numbers,
 * comments, and {@code :commands}. A small lexer, not a parser: it must be fast on every key stroke and never
 * fail on half-typed input.
 */
final class JavaHighlighter implements Highlighter {
    static final Set<String> KEYWORDS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
            "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
            "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
            "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
            "throw", "throws", "transient", "try", "void", "volatile", "while", "var", "record", "yield", "sealed",
            "permits", "non-sealed", "true", "false", "null");

    static final AttributedStyle KEYWORD = AttributedStyle.BOLD.foreground(AttributedStyle.BLUE);
    static final AttributedStyle STRING = AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN);
    static final AttributedStyle NUMBER = AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN);
    static final AttributedStyle COMMENT = AttributedStyle.DEFAULT.foreground(AttributedStyle.BRIGHT).faint();
    static final AttributedStyle COMMAND = AttributedStyle.BOLD.foreground(AttributedStyle.MAGENTA);

    @Override
    public AttributedString highlight(LineReader reader, String buffer) {
        return highlight(buffer);
    }

    static AttributedString highlight(String s) {
        AttributedStringBuilder b = new AttributedStringBuilder(s.length() + 16);
        int lead = 0;
        while (lead < s.length() && Character.isWhitespace(s.charAt(lead))) lead++;
        if (lead < s.length() && s.charAt(lead) == ':') {
            int end = lead;
            while (end < s.length() && !Character.isWhitespace(s.charAt(end))) end++;
            b.append(s.substring(0, lead)).styled(COMMAND, s.substring(lead, end)).append(s.substring(end));
            return b.toAttributedString();
        }
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int j;
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                j = s.indexOf('\n', i);
                j = j < 0 ? n : j;
                b.styled(COMMENT, s.substring(i, j));
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                j = s.indexOf("*/", i + 2);
                j = j < 0 ? n : j + 2;
                b.styled(COMMENT, s.substring(i, j));
            } else if (s.startsWith("\"\"\"", i)) {
                j = s.indexOf("\"\"\"", i + 3);
                j = j < 0 ? n : j + 3;
                b.styled(STRING, s.substring(i, j));
            } else if (c == '"' || c == '\'') {
                j = i + 1;
                while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') j += s.charAt(j) == '\\' ? 2 : 1;
                j = Math.min(n, j + 1);
                b.styled(STRING, s.substring(i, j));
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1))
                    && (i == 0 || !Character.isJavaIdentifierPart(s.charAt(i - 1))))) {
                j = i + 1;
                while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.' || s.charAt(j) == '_'
                        || ((s.charAt(j) == '-' || s.charAt(j) == '+') && (s.charAt(j - 1) == 'e' || s.charAt(j - 1) == 'E')))) j++;
                b.styled(NUMBER, s.substring(i, j));
            } else if (Character.isJavaIdentifierStart(c)) {
                j = i + 1;
                while (j < n && Character.isJavaIdentifierPart(s.charAt(j))) j++;
                String w = s.substring(i, j);
                if (KEYWORDS.contains(w)) b.styled(KEYWORD, w);
                else b.append(w);
            } else {
                j = i + 1;
                b.append(c);
            }
            i = j;
        }
        return b.toAttributedString();
    }
}
