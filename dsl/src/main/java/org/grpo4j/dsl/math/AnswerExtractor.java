package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the answer in a text the way Math-Verify's {@code parse} does: regular expressions with priorities, from
 * the most explicit ("final answer is $…$. I hope", {@code \boxed{}} when asked first) to the most abstract (any
 * LaTeX environment, any number). Within the first priority that matches anything, matches are tried from the
 * rightmost; the first that parses is the answer. The text of the first match is kept as a fallback string
 * ({@code fallback_mode="first_match"}), so two unparseable answers can still be compared as strings.
 *
 * <ul>
 *   <li>{@link Latex}: {@code $…$}, {@code $$…$$}, {@code \[…\]}, {@code \(…\)}, {@code [ … ]}, a bare
 *       {@code \frac{1}{2}} and {@code \boxed{…}}; up to six environments joined by "," / "and" / "or" are one
 *       set ("$1$ and $2$"); a percent sign after an environment makes it a percentage.</li>
 *   <li>{@link Plain}: plain numbers ({@code 1,234.5}, {@code 1 000}, {@code 2,74}, {@code .4}, {@code 28 percent},
 *       {@code $100}) and plain expressions with an operator ({@code 10/9}).</li>
 * </ul>
 *
 * <pre>{@code AnswerExtractor.extract("Answer \\[ 9 \\]", AnswerExtractor.Config.DEFAULT).getFirst().expr() // Num 9}</pre>
 */
public final class AnswerExtractor {
    private AnswerExtractor() {}

    /** What to look for: Math-Verify's extraction targets. */
    public sealed interface Target permits Latex, Plain {}

    /**
     * LaTeX environments ({@code LatexExtractionConfig}).
     *
     * @param withoutAnchor  also match environments with no "answer" before them
     * @param boxedPriority  priority of {@code \boxed{}} matches: 0 first, 50 after "final answer … is", -1 never
     * @param normaliser     clean-up of what was matched
     */
    public record Latex(boolean withoutAnchor, int boxedPriority, LatexNormaliser normaliser) implements Target {}

    /**
     * Plain numbers and expressions ({@code ExprExtractionConfig}).
     *
     * @param withoutAnchor also match numbers with no "answer" before them
     * @param markers       also match GSM8K's {@code #### 72} and a number alone in an answer tag,
     *                      {@code <answer>72</answer>} (neither is a Math-Verify anchor)
     */
    public record Plain(boolean withoutAnchor, boolean markers) implements Target {
        public Plain(boolean withoutAnchor) {
            this(withoutAnchor, false);
        }
    }

    /**
     * Targets and mode. {@code firstMatch}: only the first match of the first priority that matches is tried
     * ({@code extraction_mode="first_match"}); otherwise later matches are tried until one parses.
     * {@code bareLatex}: a text with no math delimiters ({@code 2x+2}, {@code \sqrt{8}}) is first read whole as
     * LaTeX, where Math-Verify would find only the number 2 in the first and nothing in the second.
     */
    public record Config(List<Target> targets, boolean firstMatch, boolean bareLatex) {
        /** Math-Verify's {@code parse(text)}: LaTeX and plain targets, any match. */
        public static final Config DEFAULT = new Config(List.of(new Latex(true, 50, LatexNormaliser.DEFAULT), new Plain(true)), false, false);
        /** open-r1's gold: {@code parse(solution, extraction_mode="first_match")}. */
        public static final Config OPEN_R1_GOLD = new Config(DEFAULT.targets(), true, false);
        /** The accuracy reward's gold: open-r1's, but a bare answer column ({@code x^2-1}) is read whole first. */
        public static final Config GOLD = new Config(DEFAULT.targets(), true, true);
        /** open-r1's completion: LaTeX only, boxed first, nothing without an anchor, first match. */
        public static final Config OPEN_R1_COMPLETION = new Config(List.of(new Latex(false, 0, LatexNormaliser.OPEN_R1)), true, false);
        /** The accuracy reward's completion: open-r1's, plus plain numbers after "answer" or "####" ({@code <answer>42</answer>}). */
        public static final Config ANSWER = new Config(List.of(new Latex(false, 0, LatexNormaliser.OPEN_R1), new Plain(false, true)), true, false);

        public Config {
            targets = List.copyOf(targets);
        }

        public Config(List<Target> targets, boolean firstMatch) {
            this(targets, firstMatch, false);
        }
    }

    /** One extracted answer: the parsed value (null when only the fallback string is known) and its text. */
    public record Candidate(Expr expr, String text) {}

    // ------------------------------------------------------------------------------------------ patterns

    private record Rule(Pattern pattern, int priority, Target target, boolean boxedEnvs) {
        Rule(Pattern pattern, int priority, Target target) {
            this(pattern, priority, target, false);
        }
    }

    /**
     * From the first {@code \boxed{} to the text's last "}" (the box's own end is found by brace matching later).
     * Matched by {@link #plainBoxed} in one pass: as a regex, each box of an unclosed {@code \boxed{\boxed{…}
     * would rescan the rest of the text.
     */
    private static final Pattern PLAIN_BOXED = Pattern.compile("(?<g0box>\\\\boxed\\{.+\\})", Pattern.DOTALL);

    private static java.util.regex.MatchResult plainBoxed(CharSequence text) {
        String s = text.toString();
        int first = s.indexOf("\\boxed{"), last = s.lastIndexOf('}');
        if (first < 0 || last <= first + 7) return null;
        Matcher m = PLAIN_BOXED.matcher(text).region(first, last + 1);
        return m.matches() ? m.toMatchResult() : null;
    }

    private static final int KINDS = 6;
    /** Characters before an environment's content: $$, \\[, $, \\(, " [" and none for a bare \\frac. */
    private static final int[] OPENER = {2, 2, 1, 2, 2, 0};
    private static final int MORE_ENVS = 5;

    /**
     * One LaTeX environment. {@code named}: its content in group k{kind} and a following percent sign in group
     * pct (Java allows no underscores in names); otherwise without groups, for the repetition that follows.
     */
    private static String env(boolean boxed, boolean named) {
        // each written so that only a rare character (a lone $, a backslash) repeats a group: java.util.regex
        // recurses once per group repetition, and 4 kB of LaTeX must not overflow the stack
        String[][] c = {
                {"[^$]", "\\$(?!\\$)"},
                {"[^\\\\]", "\\\\(?!\\])"},
                {"[^\\n$]", "\\\\[$]"},
                {"[^\\\\\\n]", "\\\\(?!\\))"},
                {"[^\\n\\]\\[]", null}};
        String[] body = new String[c.length];
        for (int i = 0; i < c.length; i++) {
            String run = c[i][0] + "*?" + (c[i][1] == null ? "" : "(?:" + c[i][1] + c[i][0] + "*?)*?");
            String first = c[i][1] == null ? c[i][0] : "(?:" + c[i][0] + "|" + c[i][1] + ")";
            String nonEmpty = first + run;
            body[i] = boxed ? run + "\\\\boxed\\{" + nonEmpty + "\\}" + run : nonEmpty;
        }
        String[] open = new String[KINDS];
        for (int k = 0; k < KINDS; k++) open[k] = named ? "(?<k" + k + ">" : "(?:";
        List<String> alts = new ArrayList<>(List.of(
                "(?<!\\\\)\\$\\$" + open[0] + body[0] + ")(?<!\\\\)\\$\\$",
                "(?<!\\\\)\\\\\\[" + open[1] + body[1] + ")(?<!\\\\)\\\\\\]",
                "(?<![\\\\\\d])\\$" + open[2] + body[2] + ")(?<!\\\\)\\$",
                "(?<!\\\\)\\\\\\(" + open[3] + body[3] + ")(?<!\\\\)\\\\\\)",
                "\\s\\[" + open[4] + body[4] + ")\\]\\s"));
        if (!boxed) alts.add(open[5] + "-?\\\\frac\\{-?\\d+(?:[.,]\\d+)?\\}\\{-?\\d+(?:[.,]\\d+)?\\})");
        String pct = "(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct)";
        return "(?:(?:" + String.join("|", alts) + ")\\s*" + (named ? "(?<pct>" + pct + ")?" : pct + "?") + ")";
    }

    private static final String SEP = "\\s*(?:,?and|,?or|,)\\s*";

    /** Up to six environments joined by "," / "and" / "or": the first with named groups, the rest found again later. */
    private static String chain(boolean boxed) {
        return env(boxed, true) + "(?:" + SEP + env(boxed, false) + "){0," + MORE_ENVS + "}";
    }

    private static final String LATEX_ENVS = chain(false);
    private static final String BOXED_ENVS = chain(true);
    private static final Pattern ENV = Pattern.compile(env(false, true)), NEXT = Pattern.compile(SEP + env(false, true));
    private static final Pattern BOXED_ENV = Pattern.compile(env(true, true)), BOXED_NEXT = Pattern.compile(SEP + env(true, true));

    private static List<Rule> latexRules(Latex t) {
        List<Rule> r = new ArrayList<>();
        int f = Pattern.DOTALL;
        r.add(new Rule(Pattern.compile("(?i:final answer is):?\\s*" + LATEX_ENVS + "\\.?\\s?I hope", f), 0, t));
        r.add(new Rule(Pattern.compile("(?i:final answer).{0,100}?\\s+is:?\\s*" + LATEX_ENVS, f), 50, t));
        r.add(new Rule(Pattern.compile("(?i:answer):.{0,50}?" + LATEX_ENVS, f), 100, t));
        r.add(new Rule(Pattern.compile("(?i:answer).{0,50}?" + LATEX_ENVS, f), 200, t));
        if (t.withoutAnchor()) r.add(new Rule(Pattern.compile(LATEX_ENVS, f), 300, t));
        if (t.boxedPriority() >= 0) {
            r.add(new Rule(Pattern.compile(BOXED_ENVS, f), t.boxedPriority(), t, true));
            // the box's end is found by brace matching later; the match runs to the text's last "}"
            r.add(new Rule(PLAIN_BOXED, t.boxedPriority(), t));
        }
        return r;
    }

    private static final String NUMBER = "(?<!\\d)(?:(?<int1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?<dec1>\\.\\d+)?|(?<int2>-?\\d+)(?<dec2>[.,]\\d+)"
            + "|(?<dec3>\\.\\d+)|(?<int3>-?\\d+))(?<pct>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?";
    private static final String OPS = "\\+\\-\\*\\×\\/\\^\\(\\)\\÷";
    private static final String EXPR_CHARS = "[\\d\\.\\s" + OPS + "]";
    private static final String EXPR = "(?<expr>-?\\(?-?\\d" + EXPR_CHARS + "*[" + OPS + "]" + EXPR_CHARS + "+\\)?)";
    private static final String CURRENCY = Pattern.quote("$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₭₮₯₰₱₲₳₴₵₶₷₸₺₻₼₾₿");
    private static final String PREFIX = "(?:^|\\s|=)(?:\\*\\*)?";
    private static final String SUFFIX = "(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|$)";
    private static final String EXPR_ANCHORED = "(?:" + PREFIX + EXPR + SUFFIX + ")";
    private static final String NUMBER_ANCHORED = "(?:" + PREFIX + "[" + CURRENCY + "]?" + NUMBER + ")";
    private static final String EXPR_OR_NUMBER = "(?:" + EXPR_ANCHORED + "|" + NUMBER_ANCHORED + ")";

    private static List<Rule> plainRules(Plain t) {
        List<Rule> r = new ArrayList<>();
        r.add(new Rule(Pattern.compile("(?i:final answer is):?\\s*" + EXPR_OR_NUMBER + "\\.?\\s?I hope"), 0, t));
        r.add(new Rule(Pattern.compile("(?i:final answer).{0,100}?\\s+is:?" + EXPR_OR_NUMBER), 50, t));
        r.add(new Rule(Pattern.compile("(?i:answer):(?:.{0,100}=\\s*|.{0,50}?)" + EXPR_OR_NUMBER + "(?!\\s*=)"), 100, t));
        r.add(new Rule(Pattern.compile("(?i:answer)(?:.{0,100}=\\s*|.{0,50}?)" + EXPR_OR_NUMBER + "(?!\\s*=)"), 200, t));
        if (t.markers()) {
            r.add(new Rule(Pattern.compile("####\\s*[" + CURRENCY + "]?" + NUMBER), 100, t));
            r.add(new Rule(Pattern.compile("<answer>\\s*[" + CURRENCY + "]?" + NUMBER + "\\s*</answer>"), 100, t));
        }
        if (t.withoutAnchor()) {
            r.add(new Rule(Pattern.compile(EXPR_ANCHORED), 300, t));
            r.add(new Rule(Pattern.compile(NUMBER_ANCHORED), 300, t));
        }
        return r;
    }

    private static final java.util.Map<Target, List<Rule>> RULES = new java.util.concurrent.ConcurrentHashMap<>();

    private static List<Rule> rules(Target t) {
        return RULES.computeIfAbsent(t, k -> switch (k) {
            case Latex l -> latexRules(l);
            case Plain p -> plainRules(p);
        });
    }

    // ------------------------------------------------------------------------------------------ extraction

    private static final Pattern DELIMITED = Pattern.compile("\\$|\\\\\\[|\\\\\\(|\\\\boxed|\\\\fbox");

    private record Found(List<java.util.regex.MatchResult> m, int start, int end, Target target) {}

    /** Compiles the patterns of {@code config} now (tens of milliseconds), so that the first extraction does not pay. */
    public static void prepare(Config config) {
        for (Target t : config.targets()) rules(t);
    }

    /** The answers found in {@code text}: at most one parsed candidate, then the first match's text as a fallback. */
    public static List<Candidate> extract(String text, Config config) {
        List<Candidate> out = new ArrayList<>();
        if (text == null || text.isEmpty()) return out;
        if (config.bareLatex() && !DELIMITED.matcher(text).find()) {
            String norm = LatexNormaliser.DEFAULT.apply(text);
            Expr whole = norm.length() <= LatexParser.MAX_CHARS ? LatexParser.parse(norm) : null;
            if (whole != null) return List.of(new Candidate(whole, norm));
        }
        TreeMap<Integer, List<Rule>> byPriority = new TreeMap<>();
        for (Target t : config.targets()) for (Rule r : rules(t)) byPriority.computeIfAbsent(r.priority(), k -> new ArrayList<>()).add(r);
        CharSequence watched = Budget.watched(text);
        String fallback = null;
        for (List<Rule> group : byPriority.values()) {
            List<Found> found = new ArrayList<>();
            for (Rule r : group) {
                if (r.pattern() == PLAIN_BOXED) {
                    java.util.regex.MatchResult b = plainBoxed(watched);
                    if (b != null) found.add(new Found(List.of(b), b.start(), b.end(), r.target()));
                    continue;
                }
                Matcher m = r.pattern().matcher(watched);
                try {
                    while (m.find()) found.add(new Found(environments(m, r, watched), m.start(), m.end(), r.target()));
                } catch (StackOverflowError tooDeep) {
                    // a pathological text defeats this pattern; the others still get their chance
                }
            }
            if (found.isEmpty()) continue;
            found.sort(Comparator.comparingInt(Found::end).reversed().thenComparingInt(Found::start));
            Candidate parsed = null;
            for (Found f : found) {
                Candidate c = read(f.m(), f.target());
                if (fallback == null && c.text() != null && !c.text().isEmpty()) fallback = c.text();
                if (c.expr() != null) {
                    parsed = c;
                    break;
                }
                if (config.firstMatch()) break;
            }
            if (parsed != null) out.add(parsed);
            if (parsed != null || config.firstMatch()) break;
        }
        if (fallback != null) out.add(new Candidate(null, fallback));
        return out;
    }

    /**
     * The match and, for a chain of LaTeX environments, each environment after the first, found again from the
     * first one's end within the match (a pattern with six named copies would cost a quarter second to compile).
     */
    private static List<java.util.regex.MatchResult> environments(Matcher m, Rule r, CharSequence text) {
        java.util.regex.MatchResult first = m.toMatchResult();
        if (!(r.target() instanceof Latex)) return List.of(first);
        int kind = 0;
        while (kind < KINDS && first.start("k" + kind) < 0) kind++;
        if (kind == KINDS) return List.of(first);
        Pattern one = r.boxedEnvs() ? BOXED_ENV : ENV, next = r.boxedEnvs() ? BOXED_NEXT : NEXT;
        List<java.util.regex.MatchResult> out = new ArrayList<>(List.of(first));
        // the environment itself, to learn where it ends (the content group starts after its opening delimiter)
        int envStart = first.start("k" + kind) - OPENER[kind];
        Matcher e = one.matcher(text).region(Math.max(0, envStart), m.end()).useTransparentBounds(true);
        if (!e.lookingAt()) return out;
        int pos = e.end();
        for (int i = 0; i < MORE_ENVS; i++) {
            Matcher n = next.matcher(text).region(pos, m.end()).useTransparentBounds(true);
            if (!n.lookingAt()) break;
            out.add(n.toMatchResult());
            pos = n.end();
        }
        return out;
    }

    private static Candidate read(List<java.util.regex.MatchResult> m, Target target) {
        return switch (target) {
            case Latex l -> readLatex(m, l);
            case Plain p -> readPlain(m.getFirst());
        };
    }

    private static String group(java.util.regex.MatchResult m, String name) {
        try {
            return m.group(name);
        } catch (IllegalArgumentException noSuchGroup) {
            return null;
        }
    }

    private static Candidate readLatex(List<java.util.regex.MatchResult> envs, Latex config) {
        List<Expr> exprs = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        boolean allParsed = true;
        String box = group(envs.getFirst(), "g0box");
        if (box != null) {
            String norm = config.normaliser().withBoxed(LatexNormaliser.Boxed.LAST).apply(box);
            return new Candidate(parseLatex(norm), norm);
        }
        for (java.util.regex.MatchResult m : envs) {
            String content = null;
            for (int k = 0; k < KINDS && content == null; k++) content = group(m, "k" + k);
            if (content == null) continue;
            String norm = config.normaliser().apply(content);
            Expr e = parseLatex(norm);
            if (e != null && group(m, "pct") != null) e = new Expr.Percent(e);
            texts.add(norm);
            exprs.add(e);
            allParsed &= e != null;
        }
        if (exprs.isEmpty()) return new Candidate(null, "");
        if (exprs.size() > 1 && allParsed) {
            // "$1$, $2$ and $3$" is one answer: the set of all of them
            List<Expr> items = new ArrayList<>();
            for (Expr e : exprs) {
                if (e instanceof Expr.SetOf s) items.addAll(s.items());
                else items.add(e);
            }
            return new Candidate(new Expr.SetOf(items), String.join(" and ", texts));
        }
        return new Candidate(exprs.getFirst(), texts.getFirst());
    }

    private static final Pattern EQUALS = Pattern.compile("(?<![\\\\<!>])=");

    /** Parses normalised LaTeX; failing that, the last side of a chain {@code a = b = c} (when there is no comma). */
    static Expr parseLatex(String latex) {
        Expr e = LatexParser.parseNormalised(latex);
        if (e != null || latex.indexOf(',') >= 0 || latex.indexOf(';') >= 0) return e;
        String[] parts = EQUALS.split(latex, -1);
        return parts.length > 2 ? LatexParser.parseNormalised(parts[parts.length - 1]) : null;
    }

    private static Candidate readPlain(java.util.regex.MatchResult m) {
        String integer = first(m, "int1", "int2", "int3"), decimal = first(m, "dec1", "dec2", "dec3");
        boolean percent = group(m, "pct") != null;
        if (integer != null || decimal != null) {
            String i = integer == null ? "" : integer.replace(",", "").replace(" ", "");
            boolean negative = i.startsWith("-");
            if (negative) i = i.substring(1);
            i = i.replaceFirst("^0+", "");
            if (i.isEmpty()) i = "0";
            String d = decimal == null ? "" : decimal.replace(',', '.');
            String number = (negative ? "-" : "") + i + d;
            Expr e;
            try {
                e = new Expr.Num(Rational.parseDecimal(number), !d.isEmpty());
            } catch (NumberFormatException | ArithmeticException ex) {
                return new Candidate(null, number);
            }
            return new Candidate(percent ? new Expr.Percent(e) : e, number);
        }
        String expr = group(m, "expr");
        if (expr == null) return new Candidate(null, "");
        return new Candidate(LatexParser.parse(expr.replace('\n', ' ').replace('×', '*').replace('÷', '/')), expr);
    }

    private static String first(java.util.regex.MatchResult m, String... names) {
        for (String n : names) {
            String v = group(m, n);
            if (v != null && !v.isEmpty()) return v;
        }
        return null;
    }
}
