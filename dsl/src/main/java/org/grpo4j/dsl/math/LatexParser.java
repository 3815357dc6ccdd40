package org.grpo4j.dsl.math;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses one answer written in LaTeX or plain text ({@code \frac{3}{4}}, {@code 2\sqrt{2}}, {@code x = 3},
 * {@code (1, 2]}, {@code \{1, 2\}}, {@code 50\%}, {@code 1{,}000 \text{ cm}}) into an {@link Expr}.
 * Returns null for anything it cannot read; it never throws on malformed input.
 *
 * <pre>{@code LatexParser.parse("\\dfrac{6}{8}") // Mul[Num 6, Pow[Num 8, Num -1]], exactly 3/4}</pre>
 */
public final class LatexParser {
    private LatexParser() {}

    /** Words dropped after a quantity ({@code 5 cm}, {@code \text{ dollars}}), as math_verify's {@code units=True}. */
    static final Set<String> UNITS = Set.of(
            "cm", "mm", "km", "m", "meter", "meters", "metre", "metres", "centimeter", "centimeters", "kilometer",
            "kilometers", "in", "inch", "inches", "ft", "foot", "feet", "yd", "yard", "yards", "mi", "mile", "miles",
            "g", "kg", "gram", "grams", "kilogram", "kilograms", "mg", "lb", "lbs", "pound", "pounds", "oz", "ounce",
            "ounces", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes", "h", "hr", "hrs",
            "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years", "l", "ml", "liter",
            "liters", "litre", "litres", "gallon", "gallons", "dollar", "dollars", "cent", "cents", "euro", "euros",
            "unit", "units", "sq", "square", "cubic", "mph", "kmh", "degree", "degrees", "deg", "percent", "points",
            "students", "people", "person", "times", "items", "apples", "marbles", "cookies", "pages", "books", "cups",
            "boxes", "balls", "cars", "children", "ways", "steps");

    private static final Set<String> FUNCS = Set.of("sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos",
            "arctan", "sinh", "cosh", "tanh", "ln", "log", "exp", "sqrt", "abs");

    private static final Set<String> GREEK = Set.of("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon",
            "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
            "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma",
            "Phi", "Psi", "Omega");

    /** Longest answer the parser reads; longer "answers" are prose or garbage and are refused at once. */
    static final int MAX_CHARS = 4000;
    /** Deepest nesting of brackets, fractions and roots the parser follows. */
    static final int MAX_DEPTH = 200;

    /** Parses {@code text}, or returns null when it is not a readable answer. */
    public static Expr parse(String text) {
        if (text == null) return null;
        String s = normalise(text);
        if (s.isBlank() || s.length() > MAX_CHARS) return null;
        try {
            return new Parser(tokenize(s)).top();
        } catch (ParseException | ArithmeticException | NumberFormatException | StackOverflowError e) {
            return null;
        }
    }

    /** Parses text that {@link LatexNormaliser} has already cleaned (the parser's own light clean-up still runs). */
    static Expr parseNormalised(String text) {
        return parse(text);
    }

    static final class ParseException extends RuntimeException {
        ParseException(String m) {
            super(m, null, false, false);
        }
    }

    // ---------------------------------------------------------------------------------------------- normalise

    private static final String[][] REPLACEMENTS = {
            {"\\dfrac", "\\frac"}, {"\\tfrac", "\\frac"}, {"\\cfrac", "\\frac"}, {"\\dbinom", "\\binom"},
            {"\\tbinom", "\\binom"}, {"\\left", ""}, {"\\right", ""}, {"\\bigl", ""}, {"\\bigr", ""}, {"\\Bigl", ""},
            {"\\Bigr", ""}, {"\\big", ""}, {"\\Big", ""}, {"\\displaystyle", ""}, {"\\cdot", "*"}, {"\\times", "*"},
            {"\\ast", "*"}, {"\\div", "/"}, {"\\!", ""}, {"\\;", " "}, {"\\:", " "}, {"\\quad", " "},
            {"\\qquad", " "}, {"\\%", "%"}, {"\\$", ""}, {"^\\circ", ""}, {"^{\\circ}", ""}, {"\\circ", ""},
            {"\\degree", ""}, {"{,}", ","}, {"\\dots", ""}, {"\\ldots", ""}, {"\\lbrace", "\\{"},
            {"\\rbrace", "\\}"}, {"\\lvert", "|"}, {"\\rvert", "|"}, {"\\vert", "|"}, {"\\mid", "|"},
            {"\\infin", "\\infty"}, {"\\cdots", ""}, {"\\dotsm", ""}, {"\\lt", "<"}, {"\\gt", ">"},
            {"\\leqslant", "\\le"}, {"\\geqslant", "\\ge"}, {"≤", "\\le "}, {"≥", "\\ge "}, {"≠", "\\neq "},
            {"−", "-"}, {"–", "-"}, {"×", "*"}, {"·", "*"}, {"÷", "/"}, {"π", "\\pi"}, {"∞", "\\infty"},
            {"√", "\\sqrt"}, {"°", ""}, {"∪", "\\cup"}, {"±", "\\pm"}, {"\u00a0", " "}};

    /** "7,425,000" is a number only when it is the whole answer; "(12,102)" is a pair (Math-Verify's rule). */
    private static final Pattern THOUSANDS = Pattern.compile(
            "^(-?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?)(\\s*(?:\\\\(?:text|mbox|mathrm)\\{[^{}]*\\}|[a-zA-Z ]+)?)$");
    private static final Pattern THIN_SPACE_DIGITS = Pattern.compile("(\\d)\\\\,(?=\\d{3})");
    private static final Pattern FRAC_SHORT = Pattern.compile("\\\\frac\\s*([0-9a-zA-Z])\\s*([0-9a-zA-Z])");
    private static final Pattern FRAC_SHORT_NUM = Pattern.compile("\\\\frac\\s*([0-9a-zA-Z])\\s*(?=\\{)");
    private static final Pattern FRAC_SHORT_DEN = Pattern.compile("\\\\frac\\s*(\\{[^{}]*\\})\\s*([0-9a-zA-Z])");
    private static final Pattern SQRT_SHORT = Pattern.compile("\\\\sqrt\\s*([0-9a-zA-Z])");

    static String normalise(String text) {
        String s = text.strip();
        // surrounding math delimiters
        for (int guard = 0; guard < 3; guard++) {
            String before = s;
            if (s.startsWith("$$") && s.endsWith("$$") && s.length() >= 4) s = s.substring(2, s.length() - 2).strip();
            else if (s.startsWith("$") && s.endsWith("$") && s.length() >= 2) s = s.substring(1, s.length() - 1).strip();
            else if ((s.startsWith("\\(") && s.endsWith("\\)")) || (s.startsWith("\\[") && s.endsWith("\\]")))
                s = s.substring(2, s.length() - 2).strip();
            if (s.equals(before)) break;
        }
        s = s.replace("$", " ");
        // a LaTeX line break "\\\\" must survive the clean-up of "\\ " and "\\," below
        s = s.replace("\\\\", "\u0001");
        s = THIN_SPACE_DIGITS.matcher(s).replaceAll("$1");
        for (String[] r : REPLACEMENTS) if (s.contains(r[0])) s = s.replace(r[0], r[1]);
        s = s.replace("\\,", " ").replace("\\ ", " ").replace("~", " ");
        s = FRAC_SHORT.matcher(s).replaceAll("\\\\frac{$1}{$2}");
        s = FRAC_SHORT_NUM.matcher(s).replaceAll("\\\\frac{$1}");
        s = FRAC_SHORT_DEN.matcher(s).replaceAll("\\\\frac$1{$2}");
        s = SQRT_SHORT.matcher(s).replaceAll("\\\\sqrt{$1}");
        s = s.replace("\u0001", "\\\\").strip();
        Matcher thousands = THOUSANDS.matcher(s);
        if (thousands.matches()) s = thousands.group(1).replace(",", "") + thousands.group(2);
        while (s.endsWith(".") || s.endsWith("\\\\")) s = s.substring(0, s.length() - (s.endsWith(".") ? 1 : 2)).strip();
        return s;
    }

    // ---------------------------------------------------------------------------------------------- tokenize

    enum T { NUM, ID, CMD, OP, WORD, END }

    record Tok(T type, String text) {
        boolean is(String op) {
            return (type == T.OP || type == T.CMD) && text.equals(op);
        }
    }

    static List<Tok> tokenize(String s) {
        List<Tok> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
                int j = i;
                while (j < n && Character.isDigit(s.charAt(j))) j++;
                if (j < n && s.charAt(j) == '.' && j + 1 < n && Character.isDigit(s.charAt(j + 1))) {
                    j++;
                    while (j < n && Character.isDigit(s.charAt(j))) j++;
                } else if (j < n && s.charAt(j) == '.' && (j + 1 == n || !Character.isLetter(s.charAt(j + 1)))) {
                    j++; // "5." is five
                }
                // scientific notation: 1.5e3, 2E-4 (only when digits follow, so "2e" stays 2·e)
                if (j + 1 < n && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
                    int k = j + 1;
                    if (k < n && (s.charAt(k) == '+' || s.charAt(k) == '-')) k++;
                    if (k < n && Character.isDigit(s.charAt(k))) {
                        while (k < n && Character.isDigit(s.charAt(k))) k++;
                        j = k;
                    }
                }
                out.add(new Tok(T.NUM, s.substring(i, j)));
                i = j;
            } else if (Character.isLetter(c)) {
                int j = i;
                while (j < n && Character.isLetter(s.charAt(j)) && s.charAt(j) < 128) j++;
                if (j == i) throw new ParseException("unexpected character " + c);
                out.add(new Tok(T.ID, s.substring(i, j)));
                i = j;
            } else if (c == '\\') {
                if (i + 1 >= n) throw new ParseException("dangling backslash");
                char d = s.charAt(i + 1);
                if (d == '{' || d == '}') {
                    out.add(new Tok(T.OP, "\\" + d));
                    i += 2;
                    continue;
                }
                if (d == '\\') { // a LaTeX line break: a matrix row ends, elsewhere it separates like a comma
                    out.add(new Tok(T.OP, "\\\\"));
                    i += 2;
                    continue;
                }
                if (d == '%') {
                    out.add(new Tok(T.OP, "%"));
                    i += 2;
                    continue;
                }
                int j = i + 1;
                while (j < n && Character.isLetter(s.charAt(j))) j++;
                if (j == i + 1) throw new ParseException("unknown command \\" + d);
                String name = s.substring(i + 1, j);
                i = j;
                if (name.equals("begin") || name.equals("end")) {
                    while (i < n && s.charAt(i) == ' ') i++;
                    if (i >= n || s.charAt(i) != '{') throw new ParseException("\\" + name + " without {");
                    int close = matchBrace(s, i);
                    String env = s.substring(i + 1, close).strip();
                    i = close + 1;
                    if (name.equals("begin") && env.equals("array")) { // skip the column specification {cc}
                        while (i < n && s.charAt(i) == ' ') i++;
                        if (i < n && s.charAt(i) == '{') i = matchBrace(s, i) + 1;
                    }
                    out.add(new Tok(T.CMD, name + ":" + env));
                    continue;
                }
                if (name.equals("text") || name.equals("textbf") || name.equals("textit") || name.equals("mbox")
                        || name.equals("textrm") || name.equals("mathrm") || name.equals("operatorname")
                        || name.equals("mathit") || name.equals("textnormal") || name.equals("rm")) {
                    while (i < n && s.charAt(i) == ' ') i++;
                    if (name.equals("rm")) continue;
                    if (i >= n || s.charAt(i) != '{') throw new ParseException("\\" + name + " without {");
                    int close = matchBrace(s, i);
                    String inner = s.substring(i + 1, close).strip();
                    i = close + 1;
                    if (name.equals("operatorname")) {
                        out.add(new Tok(T.CMD, inner));
                    } else {
                        out.add(new Tok(T.WORD, inner));
                    }
                } else if (name.equals("mathbb") && s.startsWith("{R}", i)) {
                    out.add(new Tok(T.CMD, "reals"));
                    i += 3;
                } else if (name.equals("mathbf") || name.equals("boldsymbol") || name.equals("bf")
                        || name.equals("mathbb") || name.equals("boxed") || name.equals("fbox")) {
                    // transparent: the group that follows is read as usual
                } else {
                    out.add(new Tok(T.CMD, name));
                }
            } else if ("+-*/^_()[]{},=!|:<>;&%".indexOf(c) >= 0) {
                out.add(new Tok(T.OP, String.valueOf(c)));
                i++;
            } else {
                throw new ParseException("unexpected character " + c);
            }
        }
        return dropUnits(out);
    }

    static int matchBrace(String s, int open) {
        int depth = 0;
        for (int k = open; k < s.length(); k++) {
            char ch = s.charAt(k);
            if (ch == '\\') {
                k++;
                continue;
            }
            if (ch == '{') depth++;
            else if (ch == '}' && --depth == 0) return k;
        }
        throw new ParseException("unbalanced {");
    }

    /** Drops unit words after a quantity; a WORD from {@code \text{}} that is a unit, anywhere after a value. */
    private static List<Tok> dropUnits(List<Tok> in) {
        List<Tok> out = new ArrayList<>(in.size());
        for (int k = 0; k < in.size(); k++) {
            Tok t = in.get(k);
            Tok prev = out.isEmpty() ? null : out.getLast();
            boolean afterValue = prev != null && (prev.type == T.NUM || prev.type == T.ID || prev.is(")")
                    || prev.is("}") || prev.type == T.CMD);
            if (t.type == T.WORD) {
                String w = t.text.toLowerCase(Locale.ROOT).replace("^2", "").replace("^3", "").strip();
                if (w.isEmpty()) continue;
                if (afterValue && isUnitPhrase(w)) {
                    // \mathrm{cm}^2: the unit's power goes with it
                    if (k + 2 < in.size() && in.get(k + 1).is("^") && in.get(k + 2).type == T.NUM) k += 2;
                    continue;
                }
            }
            if (t.type == T.ID && prev != null && (prev.type == T.NUM || prev.is(")") || prev.is("}"))
                    && t.text.length() >= 2 && isUnitPhrase(t.text.toLowerCase(Locale.ROOT))) {
                // a plain-text unit only where nothing but more units, separators or the end follow
                int j = k + 1;
                while (j < in.size() && in.get(j).type == T.ID && isUnitPhrase(in.get(j).text.toLowerCase(Locale.ROOT))) j++;
                if (j == in.size() || in.get(j).is(",") || in.get(j).is(")") || in.get(j).is("]")
                        || in.get(j).is("}") || in.get(j).is("\\}")) {
                    k = j - 1;
                    continue;
                }
            }
            out.add(t);
        }
        return out;
    }

    private static boolean isUnitPhrase(String w) {
        for (String part : w.split("[\\s/]+")) if (!part.isEmpty() && !UNITS.contains(part)) return false;
        return true;
    }

    // ---------------------------------------------------------------------------------------------- parse

    private static final class Parser {
        final List<Tok> toks;
        int pos;
        int absDepth;
        int matrixDepth;
        int steps;
        int depth;

        Parser(List<Tok> toks) {
            this.toks = new ArrayList<>(toks);
        }

        Tok peek() {
            if ((++steps & 255) == 0) Budget.check();
            return pos < toks.size() ? toks.get(pos) : new Tok(T.END, "");
        }

        Tok next() {
            Tok t = peek();
            if (t.type == T.END) throw new ParseException("unexpected end");
            pos++;
            return t;
        }

        boolean accept(String op) {
            if (peek().is(op)) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(String op) {
            if (!accept(op)) throw new ParseException("expected " + op + " at " + peek().text);
        }

        boolean isSeparator(Tok t) {
            if (t.is(",") || t.is(";") || (t.is("\\\\") && matrixDepth == 0)) return true;
            if (t.type == T.WORD || t.type == T.ID) {
                String w = t.text.toLowerCase(Locale.ROOT);
                return w.equals("and") || w.equals("or");
            }
            return false;
        }

        /** Items separated by commas; semicolons group them ({@code p=5,q=2; p=7,q=2} is a set of two tuples). */
        Expr top() {
            List<List<Expr>> groups = new ArrayList<>();
            groups.add(new ArrayList<>());
            while (peek().type != T.END) {
                Tok t = peek();
                if (t.is(";")) {
                    pos++;
                    if (!groups.getLast().isEmpty()) groups.add(new ArrayList<>());
                    continue;
                }
                if (isSeparator(t)) {
                    pos++;
                    continue;
                }
                groups.getLast().add(relation());
                if (!isSeparator(peek())) break;
            }
            if (peek().type != T.END) throw new ParseException("trailing " + peek().text);
            if (groups.getLast().isEmpty()) groups.removeLast();
            if (groups.isEmpty()) throw new ParseException("empty");
            List<Expr> items = new ArrayList<>();
            boolean singles = groups.stream().allMatch(g -> g.size() == 1);
            for (List<Expr> g : groups) {
                if (groups.size() == 1 || singles) items.addAll(g);
                else items.add(new Expr.Tuple(List.copyOf(g)));
            }
            return items.size() == 1 ? items.getFirst() : new Expr.SetOf(items);
        }

        /** Comma-separated items, stopping before a closing bracket or the end. */
        List<Expr> list() {
            List<Expr> items = new ArrayList<>();
            while (true) {
                Tok t = peek();
                if (t.type == T.END || t.is(")") || t.is("]") || t.is("}") || t.is("\\}") || t.is("&")
                        || (t.is("\\\\") && matrixDepth > 0) || t.text.startsWith("end:")) break;
                if (isSeparator(t)) {
                    pos++;
                    continue;
                }
                items.add(relation());
                if (!isSeparator(peek())) break;
            }
            return items;
        }

        /** The relation a token starts, or null: {@code =}, {@code \\neq}, {@code <}, {@code \\le}, ..., {@code \\in}, {@code \\approx}. */
        String relationOp() {
            Tok t = peek();
            if (t.type != T.OP && t.type != T.CMD) return null;
            return switch (t.text) {
                case "=" -> "=";
                case "!" -> pos + 1 < toks.size() && toks.get(pos + 1).is("=") ? "!=" : null;
                case "<" -> pos + 1 < toks.size() && toks.get(pos + 1).is("=") ? "<=" : "<";
                case ">" -> pos + 1 < toks.size() && toks.get(pos + 1).is("=") ? ">=" : ">";
                case "le", "leq", "leqq" -> "<=";
                case "ge", "geq", "geqq" -> ">=";
                case "ne", "neq" -> "!=";
                case "in" -> "in";
                case "approx", "simeq", "sim" -> "approx";
                default -> null;
            };
        }

        /**
         * A chain of relations, as latex2sympy reads it: {@code a = b = c} is a conjunction of neighbouring
         * equations; {@code x \\in S} is the equation {@code x = S}; {@code lhs \\approx v} is {@code v} when lhs
         * is only symbols, else lhs (an approximation is never the answer).
         */
        Expr relation() {
            // nesting deeper than any real answer is refused here, before the Java stack is
            if (++depth > MAX_DEPTH) throw new ParseException("nested too deeply");
            try {
                return relationChain();
            } finally {
                depth--;
            }
        }

        Expr relationChain() {
            Expr result = union();
            while (true) {
                String op = relationOp();
                if (op == null) break;
                pos += peek().is("!") || ((op.equals("<=") || op.equals(">=")) && (peek().is("<") || peek().is(">"))) ? 2 : 1;
                Expr rhs = union();
                if (op.equals("approx")) {
                    if (Expr.onlySymbols(result)) result = rhs;
                    continue;
                }
                if (op.equals("in")) op = "=";
                Expr lhs = result instanceof Expr.Rel r ? r.rhs() : result instanceof Expr.And a ? a.rels().getLast().rhs() : result;
                Expr.Rel rel = new Expr.Rel(op, lhs, rhs);
                if (result instanceof Expr.Rel r) result = new Expr.And(List.of(r, rel));
                else if (result instanceof Expr.And a) {
                    List<Expr.Rel> rels = new ArrayList<>(a.rels());
                    rels.add(rel);
                    result = new Expr.And(List.copyOf(rels));
                } else result = rel;
            }
            return result;
        }

        Expr union() {
            Expr first = expr();
            if (!peek().is("cup")) return first;
            List<Expr> parts = new ArrayList<>(List.of(first));
            while (accept("cup")) parts.add(expr());
            return new Expr.Union(parts);
        }

        Expr expr() {
            List<Expr> terms = new ArrayList<>();
            Expr pm = null;
            boolean pmSeen = false;
            if (accept("pm")) {
                pmSeen = true;
                pm = term();
            } else if (accept("-")) {
                terms.add(Expr.neg(term()));
            } else {
                accept("+");
                terms.add(term());
            }
            while (true) {
                if (accept("+")) terms.add(term());
                else if (accept("-")) terms.add(Expr.neg(term()));
                else if (peek().is("pm") || peek().is("mp")) {
                    if (pmSeen) throw new ParseException("two \\pm");
                    pos++;
                    pmSeen = true;
                    pm = term();
                } else break;
            }
            if (pmSeen) {
                List<Expr> plus = new ArrayList<>(terms), minus = new ArrayList<>(terms);
                plus.add(pm);
                minus.add(Expr.neg(pm));
                return new Expr.SetOf(List.of(sum(plus), sum(minus)));
            }
            return sum(terms);
        }

        static Expr sum(List<Expr> terms) {
            return terms.size() == 1 ? terms.getFirst() : new Expr.Add(List.copyOf(terms));
        }

        Expr term() {
            List<Expr> factors = new ArrayList<>();
            factors.add(unary());
            while (true) {
                if (accept("*")) factors.add(unary());
                else if (accept("/") || accept(":")) // a ratio 7:32 is the quotient, as latex2sympy reads it
                    factors.add(new Expr.Pow(unary(), new Expr.Num(Rational.ONE.negate())));
                else if (startsFactor(peek())) {
                    Expr f = power();
                    // "I can't parse this": words next to each other are prose, not a product
                    if (isWord(f) || isWord(factors.getLast())) throw new ParseException("prose");
                    factors.add(f);
                }
                else break;
            }
            return factors.size() == 1 ? factors.getFirst() : new Expr.Mul(List.copyOf(factors));
        }

        static boolean isWord(Expr e) {
            return e instanceof Expr.Sym s && s.name().length() >= 3 && !s.name().startsWith("\\") && !s.name().contains("_");
        }

        boolean startsFactor(Tok t) {
            return switch (t.type) {
                case NUM, ID -> !isSeparator(t);
                case WORD -> !isSeparator(t);
                case CMD -> !Set.of("cup", "pm", "mp", "le", "ge", "leq", "geq", "leqq", "geqq", "ne", "neq", "approx", "simeq",
                        "sim", "in", "rfloor", "rceil").contains(t.text) && !t.text.startsWith("end:");
                // not "[": after a value it closes or opens an interval, never multiplies
                case OP -> t.is("(") || t.is("{") || t.is("\\{") || (t.is("|") && absDepth == 0);
                case END -> false;
            };
        }

        Expr unary() {
            if (accept("-")) return Expr.neg(unary());
            if (accept("+")) return unary();
            return power();
        }

        Expr power() {
            Expr base = postfix();
            if (accept("^")) {
                Expr exp = exponent();
                base = new Expr.Pow(base, exp);
                while (accept("!")) base = new Expr.Func("factorial", base);
            }
            return base;
        }

        Expr exponent() {
            if (peek().is("{")) return group();
            if (accept("-")) return Expr.neg(exponent());
            Tok t = peek();
            if (t.type == T.ID && t.text.length() > 1 && !isName(t.text)) splitLetters();
            return postfix();
        }

        Expr postfix() {
            Expr e = primary();
            while (true) {
                if (peek().is("!") && !(pos + 1 < toks.size() && toks.get(pos + 1).is("="))) {
                    pos++;
                    e = new Expr.Func("factorial", e);
                } else if (accept("%")) e = new Expr.Percent(e);
                else if (peek().is("_") && e instanceof Expr.Num) {
                    // 204_5: the base of a numeral is ignored, as latex2sympy does
                    pos++;
                    if (peek().is("{")) group();
                    else next();
                } else if (peek().is("_") && e instanceof Expr.Sym s) {
                    pos++;
                    Tok sub = next();
                    String subName;
                    if (sub.is("{")) {
                        StringBuilder sb = new StringBuilder();
                        int depth = 1;
                        while (true) {
                            Tok x = next();
                            if (x.is("{")) depth++;
                            if (x.is("}") && --depth == 0) break;
                            sb.append(x.text);
                        }
                        subName = sb.toString();
                    } else {
                        subName = sub.type == T.NUM ? sub.text.substring(0, 1) : sub.text;
                        if (sub.type == T.NUM && sub.text.length() > 1) toks.add(pos, new Tok(T.NUM, sub.text.substring(1)));
                    }
                    e = new Expr.Sym(s.name() + "_" + subName);
                } else break;
            }
            return e;
        }

        boolean isName(String id) {
            return FUNCS.contains(id) || id.length() >= 3 || id.equals("pi") || id.equals("oo");
        }

        void splitLetters() {
            Tok t = toks.get(pos);
            toks.set(pos, new Tok(T.ID, t.text.substring(0, 1)));
            toks.add(pos + 1, new Tok(T.ID, t.text.substring(1)));
        }

        Expr group() {
            expect("{");
            List<Expr> items = list();
            expect("}");
            if (items.isEmpty()) throw new ParseException("empty group");
            return items.size() == 1 ? items.getFirst() : new Expr.SetOf(items);
        }

        Expr primary() {
            Tok t = peek();
            switch (t.type) {
                case NUM -> {
                    pos++;
                    boolean decimal = t.text.indexOf('.') >= 0 || t.text.indexOf('e') >= 0 || t.text.indexOf('E') >= 0;
                    Expr num = new Expr.Num(Rational.parseDecimal(t.text.endsWith(".") ? t.text + "0" : t.text), decimal);
                    // mixed number 2\frac{1}{2} = 5/2
                    if (peek().is("frac") && ((Expr.Num) num).value().isInteger() && ((Expr.Num) num).value().signum() >= 0) {
                        int save = pos;
                        Expr f = primary();
                        Rational fr = Expr.exact(f);
                        if (fr != null && f instanceof Expr.Mul m && m.factors().getFirst() instanceof Expr.Num
                                && m.factors().get(1) instanceof Expr.Pow p && p.base() instanceof Expr.Num) {
                            return new Expr.Add(List.of(num, f));
                        }
                        pos = save;
                    }
                    return num;
                }
                case ID -> {
                    String id = t.text;
                    if (!isName(id) && id.length() > 1) {
                        splitLetters();
                        return primary();
                    }
                    pos++;
                    if (FUNCS.contains(id)) return function(id);
                    String lower = id.toLowerCase(Locale.ROOT);
                    if (lower.equals("pi")) return Expr.Const.PI;
                    if (lower.equals("inf") || lower.equals("infty") || lower.equals("infinity") || lower.equals("oo"))
                        return Expr.Const.INFINITY;
                    if (id.equals("e")) return Expr.Const.E;
                    return new Expr.Sym(id.length() >= 3 ? lower : id);
                }
                case WORD -> {
                    pos++;
                    Expr inner = parse(t.text);
                    if (inner == null) throw new ParseException("unreadable text " + t.text);
                    return inner;
                }
                case CMD -> {
                    pos++;
                    return command(t.text);
                }
                case OP -> {
                    if (t.is("(") || t.is("[")) return bracket();
                    if (t.is("{")) return group();
                    if (t.is("\\{")) {
                        pos++;
                        List<Expr> items = list();
                        expect("\\}");
                        return new Expr.SetOf(items);
                    }
                    if (t.is("|")) {
                        pos++;
                        absDepth++;
                        Expr inner = expr();
                        absDepth--;
                        expect("|");
                        return new Expr.Func("abs", inner);
                    }
                    throw new ParseException("unexpected " + t.text);
                }
                default -> throw new ParseException("unexpected end");
            }
        }

        Expr bracket() {
            Tok open = next();
            int saveAbs = absDepth;
            absDepth = 0;
            List<Expr> items = list();
            absDepth = saveAbs;
            Tok close = next();
            if (!close.is(")") && !close.is("]")) throw new ParseException("unbalanced bracket");
            if (items.isEmpty()) throw new ParseException("empty brackets");
            boolean loOpen = open.is("("), hiOpen = close.is(")");
            if (items.size() == 1) {
                if (loOpen != hiOpen) throw new ParseException("half-open bracket around one value");
                return items.getFirst();
            }
            if (items.size() == 2) {
                // (a, b) is an open interval unless it would be empty (b <= a): then it is a pair, like (3, 2)
                double lo = Expr.eval(items.get(0), java.util.Map.of()), hi = Expr.eval(items.get(1), java.util.Map.of());
                boolean empty = !Double.isNaN(lo) && !Double.isNaN(hi) && (loOpen && hiOpen ? hi <= lo : !loOpen && !hiOpen && hi < lo);
                if (!empty) return new Expr.Interval(items.get(0), items.get(1), loOpen, hiOpen);
                if (loOpen == hiOpen) return new Expr.Tuple(items);
                throw new ParseException("empty half-open interval");
            }
            if (loOpen == hiOpen) return new Expr.Tuple(items); // (1, 2, 3) and [1, 2, 3]: ordered lists
            throw new ParseException("half-open bracket around " + items.size() + " values");
        }

        /** Cells separated by {@code &}, rows by {@code \\\\}, up to {@code \\end{env}}; every row as long as the first. */
        Expr matrix(String env) {
            matrixDepth++;
            List<Expr> cells = new ArrayList<>();
            int cols = -1, rows = 0, inRow = 0;
            while (true) {
                Tok t = peek();
                if (t.type == T.END) throw new ParseException("\\begin{" + env + "} without \\end");
                if (t.text.startsWith("end:")) {
                    pos++;
                    break;
                }
                if (t.is("&")) {
                    pos++;
                    continue;
                }
                if (t.is("\\\\")) {
                    pos++;
                    if (inRow == 0) continue;
                    if (cols >= 0 && inRow != cols) throw new ParseException("ragged matrix");
                    cols = inRow;
                    rows++;
                    inRow = 0;
                    continue;
                }
                cells.add(relation());
                inRow++;
            }
            if (inRow > 0) {
                if (cols >= 0 && inRow != cols) throw new ParseException("ragged matrix");
                cols = inRow;
                rows++;
            }
            matrixDepth--;
            if (rows == 0) throw new ParseException("empty matrix");
            return new Expr.Matrix(rows, cols, List.copyOf(cells));
        }

        Expr function(String name) {
            Expr exp = null;
            if (accept("^")) exp = exponent();
            Expr arg;
            if (peek().is("(")) {
                pos++;
                arg = expr();
                expect(")");
            } else if (peek().is("{")) {
                arg = group();
            } else {
                arg = power();
            }
            Expr f = new Expr.Func(name, arg);
            return exp == null ? f : new Expr.Pow(f, exp);
        }

        Expr command(String name) {
            switch (name) {
                case "frac" -> {
                    Expr num = group(), den = group();
                    return new Expr.Mul(List.of(num, new Expr.Pow(den, new Expr.Num(Rational.ONE.negate()))));
                }
                case "binom" -> {
                    Rational n = Expr.exact(group()), k = Expr.exact(group());
                    if (n == null || k == null || !n.isInteger() || !k.isInteger() || n.num().bitLength() > 16)
                        throw new ParseException("binom of non-integers");
                    int ni = n.num().intValueExact(), ki = k.num().intValueExact();
                    if (ki < 0 || ki > ni) return new Expr.Num(Rational.ZERO);
                    java.math.BigInteger r = java.math.BigInteger.ONE;
                    for (int i = 0; i < ki; i++)
                        r = r.multiply(java.math.BigInteger.valueOf(ni - i)).divide(java.math.BigInteger.valueOf(i + 1));
                    return new Expr.Num(Rational.of(r));
                }
                case "sqrt" -> {
                    if (accept("[")) {
                        Expr k = expr();
                        expect("]");
                        Expr x = group();
                        return new Expr.Pow(x, new Expr.Pow(k, new Expr.Num(Rational.ONE.negate())));
                    }
                    return new Expr.Func("sqrt", group());
                }
                case "reals" -> {
                    return new Expr.Interval(Expr.neg(Expr.Const.INFINITY), Expr.Const.INFINITY, true, true);
                }
                case "lfloor", "lceil" -> {
                    String close = name.equals("lfloor") ? "rfloor" : "rceil";
                    Expr inner = expr();
                    if (!accept(close)) throw new ParseException("\\" + name + " without \\" + close);
                    return new Expr.Func(name.substring(1), inner);
                }
                case "pi" -> {
                    return Expr.Const.PI;
                }
                case "infty" -> {
                    return Expr.Const.INFINITY;
                }
                case "begin:pmatrix", "begin:bmatrix", "begin:matrix", "begin:vmatrix", "begin:Bmatrix", "begin:array",
                     "begin:smallmatrix" -> {
                    return matrix(name.substring("begin:".length()));
                }
                case "emptyset", "varnothing" -> {
                    return new Expr.SetOf(List.of());
                }
                case "log" -> {
                    if (accept("_")) {
                        Expr base = peek().is("{") ? group() : primary();
                        Expr arg = function("ln");
                        return new Expr.Mul(List.of(arg, new Expr.Pow(new Expr.Func("ln", base), new Expr.Num(Rational.ONE.negate()))));
                    }
                    return function("log");
                }
                default -> {
                    if (FUNCS.contains(name) || name.equals("arcsin") || name.equals("arccos") || name.equals("arctan"))
                        return function(name);
                    if (GREEK.contains(name)) return new Expr.Sym("\\" + name);
                    throw new ParseException("unsupported command \\" + name);
                }
            }
        }
    }
}
