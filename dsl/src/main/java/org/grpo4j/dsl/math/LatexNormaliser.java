package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cleans an extracted LaTeX answer before it is parsed, with the switches of Math-Verify's
 * {@code NormalizationConfig}: which {@code \boxed{}} contents to keep, basic LaTeX clean-up ({@code \left},
 * {@code \dfrac}, "and"/"or" as commas, percent words, JSON-doubled backslashes), trailing units, small nits and
 * malformed operators ({@code \frac12}, {@code \sqrt3}).
 *
 * <pre>{@code LatexNormaliser.OPEN_R1.apply("\\boxed{15\\mbox{ cm}^2}") // "15"}</pre>
 *
 * @param boxed              {@code ALL}: every {@code \boxed{}} of the text, comma-joined; {@code LAST}: the last one
 *                           (and those just before it, separated by a comma or "and"); {@code NONE}: keep the text
 * @param basicLatex         the basic clean-up
 * @param units              drop a trailing unit word or {@code \text{unit}}
 * @param nits               {@code .5} → {@code 0.5}
 * @param malformedOperators {@code \frac12}, {@code \sqrt3}, {@code ^(x)}, {@code 2/3}
 * @param equations          keep only the last side of a chain {@code a = b = c} (when there is no comma)
 */
public record LatexNormaliser(Boxed boxed, boolean basicLatex, boolean units, boolean nits, boolean malformedOperators,
                              boolean equations) {
    public enum Boxed { ALL, LAST, NONE }

    /** Math-Verify's default for {@code LatexExtractionConfig}. */
    public static final LatexNormaliser DEFAULT = new LatexNormaliser(Boxed.ALL, true, true, true, true, false);
    /** open-r1's {@code accuracy_reward} for completions: no repairs of malformed LaTeX, equations reduced. */
    public static final LatexNormaliser OPEN_R1 = new LatexNormaliser(Boxed.ALL, true, true, false, false, true);

    public LatexNormaliser withBoxed(Boxed b) {
        return new LatexNormaliser(b, basicLatex, units, nits, malformedOperators, equations);
    }

    public String apply(String text) {
        Budget.check();
        if (boxed != Boxed.NONE) text = boxedContent(text, boxed == Boxed.LAST);
        if (basicLatex) text = basic(text);
        if (equations && text.indexOf(',') < 0 && text.indexOf(';') < 0) {
            String[] parts = EQUALS.split(text, -1);
            if (parts.length > 2) text = parts[parts.length - 1];
        }
        if (units) text = dropUnits(text);
        if (nits) {
            if (text.startsWith(".")) text = "0" + text;
            if (text.equals("0.5")) text = "\\frac{1}{2}";
        }
        if (malformedOperators) text = repairOperators(text);
        return text.strip();
    }

    // ------------------------------------------------------------------------------------------ boxed

    private static final Pattern SEPARATOR = Pattern.compile("\\b(and|or)\\b|,|;");

    /**
     * Contents of {@code \boxed{…}} / {@code \fbox{…}}, read right to left. In LAST mode an earlier box joins only
     * when it sits right before the next (fewer than 10 characters between) or, being different, is separated
     * from it by a comma/"and"/"or" within 70 characters: {@code \boxed{1}, \boxed{2}} is the answer "1,2".
     */
    static String boxedContent(String text, boolean lastOnly) {
        List<String> found = new ArrayList<>();
        int limit = text.length(), from = text.length();
        int nextStart = -1;
        while (true) {
            int b = text.lastIndexOf("\\boxed", from - 1), f = text.lastIndexOf("\\fbox", from - 1);
            if (b < 0 && f < 0) break;
            int start = Math.max(b, f);
            int p = start + (b > f ? 6 : 5);
            while (p < limit && Character.isWhitespace(text.charAt(p))) p++;
            if (p >= limit) break;
            if (text.charAt(p) != '{') {
                if (found.isEmpty()) found.add(text.substring(p, limit));
                break;
            }
            int close = closingBrace(text, p, limit);
            if (close < 0) {
                if (found.isEmpty()) found.add(text.substring(p));
                break;
            }
            String content = text.substring(p + 1, close).strip();
            if (lastOnly && nextStart >= 0) {
                String between = text.substring(Math.min(close + 1, nextStart), nextStart);
                boolean near = between.length() < 10;
                boolean listed = !content.equals(found.getLast()) && between.length() < 70 && SEPARATOR.matcher(between).find();
                if (!near && !listed) break;
            }
            if (found.isEmpty() || !found.getLast().equals(content)) found.add(content);
            nextStart = start;
            limit = start;
            from = start;
            Budget.check();
        }
        if (found.isEmpty()) return text;
        StringBuilder sb = new StringBuilder();
        for (int i = found.size() - 1; i >= 0; i--) {
            if (sb.length() > 0) sb.append(',');
            sb.append(found.get(i));
        }
        return sb.toString();
    }

    /** Index of the brace closing the one at {@code open}, before {@code limit}, or -1. */
    static int closingBrace(String s, int open, int limit) {
        int depth = 0;
        for (int i = open; i < limit; i++) {
            char c = s.charAt(i);
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i;
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------ basic

    private static final Pattern LEFT = Pattern.compile("\\\\m?left(\\\\\\{|\\{|\\\\\\||\\||\\[|\\(|\\\\lbrace|\\\\lbrack|\\\\vert|\\\\lvert|\\\\lceil|\\\\lfloor|\\\\langle|\\.)");
    private static final Pattern RIGHT = Pattern.compile("\\\\m?right(\\\\\\}|\\}|\\\\\\||\\||\\]|\\)|\\\\rbrace|\\\\rbrack|\\\\vert|\\\\rvert|\\\\rceil|\\\\rfloor|\\\\rangle|\\.)");
    private static final Pattern REMOVE = Pattern.compile(
            "\\\\mathrm\\{th\\}|\\\\!\\s*|\\\\text\\s*\\{\\s*\\}|\\\\\\$|\\$|(?<!\\\\)[\"']|\\\\displaystyle");
    private static final String[][] RULES = {
            {"\\\\math(?:rm|it|bf)(?![a-zA-Z])", "\\\\text"},
            {"\\\\text(?:normal|bf|it|rm)", "\\\\text"},
            {"\\\\(?:d|t|c)frac", "\\\\frac"},
            {"\\s\\.(?=\\d)", " 0."},
            {"\\{\\.(?=\\d)", "{0."},
            {"~=", "\\\\approx"},
            {"\\s*\\{\\s*,\\s*\\}", ","},
            {"(?<![a-zA-Z])(,?\\s*(?:and|or))(?![a-zA-Z])", ","},
            {",?\\s*\\\\text\\{\\s*(?:and|or)\\s*\\}", ","},
            {"(?<!\\\\)\\\\\\s", " "},
            {"infinity", "\\\\infty"},
            {",?\\\\ldots", " "},
            {"\\s*\\bpercentage\\b", "\\\\%"},
            {"\\\\text\\{percentage\\}", "%"},
            {"\\s*\\bpercent\\b", "\\\\%"},
            {"\\\\text\\{percent\\}", "%"},
            {"\\s*\\bpct\\b", "\\\\%"},
            {"(?<![\\\\a-zA-Z])inf(?![a-zA-Z])", "\\\\infty"},
            {" sqrt", "\\\\sqrt"}};
    /** All rules in one alternation, applied in one left-to-right pass as Math-Verify does (the leftmost match wins). */
    private static final Pattern RULES_PATTERN;
    /** The group number that wraps each rule in {@link #RULES_PATTERN}. */
    private static final int[] RULE_GROUP = new int[RULES.length];

    static {
        StringBuilder sb = new StringBuilder();
        int group = 1;
        for (int k = 0; k < RULES.length; k++) {
            sb.append(k == 0 ? "" : "|").append('(').append(RULES[k][0]).append(')');
            RULE_GROUP[k] = group;
            group += 1 + Pattern.compile(RULES[k][0]).matcher("").groupCount();
        }
        RULES_PATTERN = Pattern.compile(sb.toString());
    }

    private static String applyRules(String s) {
        Matcher m = RULES_PATTERN.matcher(s);
        if (!m.find()) return s;
        StringBuilder out = new StringBuilder();
        do {
            int rule = 0;
            while (m.group(RULE_GROUP[rule]) == null) rule++;
            m.appendReplacement(out, RULES[rule][1]);
        } while (m.find());
        m.appendTail(out);
        return out.toString();
    }

    private static final Pattern DOUBLED_COMMAND = Pattern.compile("\\\\\\\\(?=[a-zA-Z])");
    private static final Pattern EQUALS = Pattern.compile("(?<![\\\\<!>])=");

    static String basic(String s) {
        s = s.replace("\\mathrm{T}", "T").replace("\\mathrm{d}", "d").replace("{\\rm d}", "d");
        s = s.replace("\\left[\\begin{matrix}", "\\begin{bmatrix}").replace("\\end{matrix}\\right]", "\\end{bmatrix}");
        // JSON-escaped LaTeX ("\\frac") is ordinary LaTeX; inside a matrix "\\" is a row break and stays
        if (!s.contains("matrix") && !s.contains("array")) s = DOUBLED_COMMAND.matcher(s).replaceAll("\\\\");
        s = LEFT.matcher(s).replaceAll(m -> m.group(1).equals(".") ? "" : Matcher.quoteReplacement(m.group(1)));
        s = RIGHT.matcher(s).replaceAll(m -> m.group(1).equals(".") ? "" : Matcher.quoteReplacement(m.group(1)));
        s = REMOVE.matcher(s).replaceAll("");
        s = applyRules(s);
        return s.replace('\n', ' ').replace('\t', ' ');
    }

    // ------------------------------------------------------------------------------------------ units

    private static final String[] UNIT_WORDS = {"integerpoint", "feet", "sue", "digit", "pound", "meal", "edge", "student",
            "children ticket", "multiple", "east", "degree", "mph", "kmph", "ft", "m square", " m east", "sq m", "deg", "mile",
            "monkey", "prime", "ratio", "profit of rs", "rd", "gm", "lb", "tile", "per", "dm", "lt", "gain", "way", "west",
            "no change", "men", "soldier", "pie", "excess", "st", "inches", "noon", "cent", "by", "gal", "kmh", "acre", "rise",
            "th", "sq", "mark", "toy", "coin", "gallon", "profit", "yr", "women", "am", "pm", "hr", "cu cm", "square", "rupee",
            "rounds", "cubic", "cc", "mtr", "ohm", "number", "day", "hour", "minute", "min", "second", "man", "woman", "sec",
            "cube", "mt", "sq inch", "hectare", "more", "unit", "cm 2", "rs", "kg", "month", "km", "cm", "mm", "apple",
            "liter", "loss", "yard", "pure", "year", "increase", "decrease", "less", "Surface", "litre", "metre", "meter",
            "inch", "dollar", "euro", "people", "person", "meters", "times", "point", "page", "book", "box", "ball", "car",
            "cookie", "marble", "step", "item", "hours", "miles", "seconds", "minutes", "days", "weeks", "week", "m", "g",
            "s", "h", "l", "t", "mi", "oz", "ounce", "gram", "kilogram", "mile", "yards"};
    private static final Pattern UNIT_TAIL;
    private static final Pattern TEXT_TAIL = Pattern.compile("(\\\\(?:text|mbox)\\{[^{}]*\\})(\\^\\d|\\{\\^\\d\\})?$");

    static {
        StringBuilder alt = new StringBuilder();
        for (String w : UNIT_WORDS) {
            if (alt.length() > 0) alt.append('|');
            alt.append(Pattern.quote(w));
        }
        UNIT_TAIL = Pattern.compile("(\\d|\\}|\\s)\\s*(?:" + alt + ")(?:s|es)?\\s*$");
    }

    /** {@code 15\mbox{ cm}^2} → {@code 15}, {@code 125 miles} → {@code 125}; a text that is only a unit stays. */
    static String dropUnits(String s) {
        // the patterns are anchored at the end, but java.util.regex tries every start: look at the tail only
        if (s.length() > 400) {
            int cut = s.length() - 400;
            return s.substring(0, cut) + dropUnits(s.substring(cut));
        }
        String t = TEXT_TAIL.matcher(s).replaceAll("").strip();
        // a \text{} answer on its own ("\text{Evelyn}") is the answer, not a unit
        if (!t.isEmpty() && !t.equals(s) && endsWithValue(t)) s = t;
        for (int i = 0; i < 2; i++) {
            t = UNIT_TAIL.matcher(s).replaceAll("$1");
            if (!t.isBlank() && !t.equals(s)) s = t;
        }
        return s;
    }

    private static boolean endsWithValue(String t) {
        char c = t.charAt(t.length() - 1);
        return Character.isLetterOrDigit(c) || c == '}' || c == ')' || c == ']';
    }

    // ------------------------------------------------------------------------------------------ malformed operators

    private static final Pattern[][] REPAIRS = {
            {Pattern.compile("\\^\\s?\\((.*?)\\)"), null},
            {Pattern.compile("(?<!\\\\)sqrt\\s?\\((.*?)\\)"), null},
            {Pattern.compile("\\\\frac\\s?(\\d)\\s?(\\d+)"), null},
            {Pattern.compile("\\\\log_\\s?(\\d)\\s?(\\d+)"), null},
            {Pattern.compile("\\\\frac\\s?\\{([^{}]*)\\}\\s?(\\d)"), null},
            {Pattern.compile("\\\\frac\\s?(\\d)\\s?\\{([^{}]*)\\}"), null},
            {Pattern.compile("\\\\sqrt\\s?(\\d)"), null}};
    private static final String[] REPAIR_TO = {"^{$1}", "\\\\sqrt{$1}", "\\\\frac{$1}{$2}", "\\\\log_{$1}{$2}", "\\\\frac{$1}{$2}",
            "\\\\frac{$1}{$2}", "\\\\sqrt{$1}"};
    private static final Pattern FRAC_LETTERS = Pattern.compile("\\\\frac\\s*([0-9a-zA-Z])\\s*([0-9a-zA-Z])");
    private static final Pattern SQRT_LETTER = Pattern.compile("\\\\sqrt\\s*([a-zA-Z0-9])");
    private static final Pattern A_SLASH_B = Pattern.compile("^(-?\\d+)/(\\d+)$");

    static String repairOperators(String s) {
        for (int i = 0; i < REPAIRS.length; i++) s = REPAIRS[i][0].matcher(s).replaceAll(REPAIR_TO[i]);
        s = s.replace(" sqrt", "\\sqrt");
        s = SQRT_LETTER.matcher(s).replaceAll("\\\\sqrt{$1}");
        s = FRAC_LETTERS.matcher(s).replaceAll("\\\\frac{$1}{$2}");
        Matcher m = A_SLASH_B.matcher(s);
        if (m.matches()) s = "\\frac{" + m.group(1) + "}{" + m.group(2) + "}";
        return s;
    }
}
