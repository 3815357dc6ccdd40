package org.grpo4j.dsl.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Arithmetic word problems with worked column-by-column reasoning in open-r1's format
 * ({@code <think>\n...\n</think>\n<answer>\n...\n</answer>}), the data of {@code examples/arithmetic}. Generation
 * is deterministic for a seed, and the held-out split never shares a question with the training split.
 *
 * <p>The reasoning is deliberately short (one line per column, units first) so that a character-level model
 * generates it cheaply, and explicit enough that a model of a million parameters can learn to carry and borrow:
 *
 * <pre>
 * Ann has 47 pens and gets 38 more. How many pens does Ann have?
 * &lt;think&gt;
 * 47+38
 * 7+8=15
 * 4+3+1=8
 * &lt;/think&gt;
 * &lt;answer&gt;
 * 85
 * &lt;/answer&gt;
 * </pre>
 *
 * <pre>{@code
 * var split = ArithmeticProblems.split(7, 4000, 200, ArithmeticProblems.Kind.values());
 * ArithmeticProblems.writeJsonl(split.train(), Path.of("examples/arithmetic/data/train.jsonl"));
 * }</pre>
 */
public final class ArithmeticProblems {
    private ArithmeticProblems() {}

    /** The operations; the sizes are those of {@link #problem}. */
    public enum Kind {
        /** a + b, a and b of one or two digits. */
        ADD,
        /** a − b with a ≥ b, one or two digits. */
        SUB,
        /** a × d, a of two digits and d of one. */
        MUL,
        /** a + b − c, two steps, every number of one or two digits and a + b ≥ c. */
        TWO_STEP
    }

    /**
     * How a demonstration reasons: column by column ({@code WORKED}), or the whole result in one line, as mental
     * arithmetic ({@code MENTAL}: {@code <think>\n47+38=85\n</think>}), which is quicker to write and, for a small
     * model, much more often wrong.
     */
    public enum Style {
        WORKED,
        MENTAL
    }

    /**
     * One problem: the question, the gold answer, and the completion a model is taught by SFT.
     *
     * @param expression the arithmetic the question asks for, e.g. {@code 47+38}
     */
    public record Problem(String prompt, String solution, String completion, Kind kind, String expression, Style style) {
        /** The JSONL row: {@code prompt}, {@code solution}, {@code completion}, {@code kind}, {@code style}. */
        public Map<String, Object> row() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", prompt);
            m.put("solution", solution);
            m.put("completion", completion);
            m.put("kind", kind.name().toLowerCase());
            m.put("style", style.name().toLowerCase());
            return m;
        }

        /** The same problem demonstrated in one line: {@code <think>\n47+38=85\n</think>}. */
        public Problem mental() {
            return new Problem(prompt, solution, "<think>\n" + expression + "=" + solution + "\n</think>\n<answer>\n" + solution + "\n</answer>", kind,
                    expression, Style.MENTAL);
        }
    }

    /** A training split and a held-out split with no question in common. */
    public record Split(List<Problem> train, List<Problem> test) {}

    private static final String[] NAMES = {"Ann", "Ben", "Cy", "Dee", "Eva", "Max", "Sam", "Zoe"};
    private static final String[] THINGS = {"pens", "apples", "cards", "coins", "books", "shells"};

    /** One problem of {@code kind}, its numbers and wording drawn from {@code rng}. */
    public static Problem problem(SplittableRandom rng, Kind kind) {
        String who = NAMES[rng.nextInt(NAMES.length)], what = THINGS[rng.nextInt(THINGS.length)];
        switch (kind) {
            case ADD -> {
                int a = number(rng), b = number(rng);
                String q = rng.nextBoolean()
                        ? who + " has " + a + " " + what + " and gets " + b + " more. How many " + what + " now?"
                        : "What is " + a + " plus " + b + "?";
                return new Problem(q, Integer.toString(a + b), worked(a + "+" + b, addColumns(a, b), a + b), kind, a + "+" + b, Style.WORKED);
            }
            case SUB -> {
                int a = number(rng), b = number(rng);
                if (a < b) {
                    int t = a;
                    a = b;
                    b = t;
                }
                String q = rng.nextBoolean()
                        ? who + " has " + a + " " + what + " and loses " + b + ". How many are left?"
                        : "What is " + a + " minus " + b + "?";
                return new Problem(q, Integer.toString(a - b), worked(a + "-" + b, subColumns(a, b), a - b), kind, a + "-" + b, Style.WORKED);
            }
            case MUL -> {
                int a = 10 + rng.nextInt(90), d = 2 + rng.nextInt(8);
                String q = rng.nextBoolean()
                        ? who + " has " + d + " boxes of " + a + " " + what + ". How many " + what + "?"
                        : "What is " + a + " times " + d + "?";
                return new Problem(q, Integer.toString(a * d), worked(a + "*" + d, mulColumns(a, d), a * d), kind, a + "*" + d, Style.WORKED);
            }
            case TWO_STEP -> {
                int a = number(rng), b = number(rng);
                int c = rng.nextInt(Math.min(99, a + b) + 1);
                String q = who + " has " + a + " " + what + ", gets " + b + " more and loses " + c + ". How many are left?";
                int s = a + b;
                List<String> lines = new ArrayList<>(addColumns(a, b));
                lines.add(s + "-" + c);
                lines.addAll(subColumns(s, c));
                return new Problem(q, Integer.toString(s - c), worked(a + "+" + b + "-" + c, lines, s - c), kind, a + "+" + b + "-" + c, Style.WORKED);
            }
        }
        throw new AssertionError(kind);
    }

    /** One or two digits, two-digit numbers three times as likely: the columns with carries are what is hard. */
    private static int number(SplittableRandom rng) {
        return rng.nextInt(4) == 0 ? rng.nextInt(10) : 10 + rng.nextInt(90);
    }

    private static String worked(String expression, List<String> steps, int result) {
        return "<think>\n" + expression + "\n" + String.join("\n", steps) + "\n</think>\n<answer>\n" + result + "\n</answer>";
    }

    /** Units column first: {@code 7+8=15}, then {@code 4+3+1=8} with the carry. */
    static List<String> addColumns(int a, int b) {
        List<String> out = new ArrayList<>();
        int carry = 0;
        for (int place = 0; a > 0 || b > 0 || place == 0; place++) {
            int x = a % 10, y = b % 10, s = x + y + carry;
            out.add(x + "+" + y + (carry > 0 ? "+" + carry : "") + "=" + s);
            carry = s / 10;
            a /= 10;
            b /= 10;
        }
        return out;
    }

    /** Units column first; a borrow shows as {@code 13-7=6} and the next column as {@code 8-1-4=3}. */
    static List<String> subColumns(int a, int b) {
        List<String> out = new ArrayList<>();
        int borrow = 0;
        for (int place = 0; a > 0 || place == 0; place++) {
            int x = a % 10, y = b % 10;
            int top = x - borrow;
            borrow = top < y ? 1 : 0;
            out.add((borrow == 1 ? "1" : "") + x + (top != x ? "-1" : "") + "-" + y + "=" + (top + 10 * borrow - y));
            a /= 10;
            b /= 10;
        }
        return out;
    }

    /** Units first: {@code 7*6=42}, then {@code 4*6+4=28}. */
    static List<String> mulColumns(int a, int d) {
        List<String> out = new ArrayList<>();
        int carry = 0;
        for (int place = 0; a > 0 || place == 0; place++) {
            int x = a % 10, p = x * d + carry;
            out.add(x + "*" + d + (carry > 0 ? "+" + carry : "") + "=" + p);
            carry = p / 10;
            a /= 10;
        }
        return out;
    }

    /**
     * {@code train + test} problems, the kinds taking turns. The held-out split is drawn first, with distinct
     * expressions (e.g. {@code 47+38}); the training split never contains a held-out expression (so held-out
     * accuracy is never recall) nor the same question twice, though it may word one expression several ways.
     */
    public static Split split(long seed, int train, int test, Kind... kinds) {
        if (kinds.length == 0) throw new IllegalArgumentException("no problem kinds given");
        SplittableRandom rng = new SplittableRandom(seed);
        Set<String> heldOut = new HashSet<>(), questions = new HashSet<>();
        List<Problem> testSet = draw(rng, test, kinds, p -> heldOut.add(p.expression()));
        List<Problem> trainSet = draw(rng, train, kinds, p -> !heldOut.contains(p.expression()) && questions.add(p.prompt()));
        return new Split(trainSet, testSet);
    }

    /**
     * The problems with a seeded {@code share} of them demonstrated in {@link Style#MENTAL} style instead, as a
     * data set written by several people would be: some show their work, some just write the result.
     */
    public static List<Problem> mixStyles(List<Problem> problems, double share, long seed) {
        if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("share = " + share + " must be between 0 and 1");
        SplittableRandom rng = new SplittableRandom(seed);
        List<Problem> out = new ArrayList<>(problems.size());
        for (Problem p : problems) out.add(rng.nextDouble() < share ? p.mental() : p);
        return out;
    }

    private static List<Problem> draw(SplittableRandom rng, int n, Kind[] kinds, java.util.function.Predicate<Problem> accept) {
        List<Problem> out = new ArrayList<>(n);
        for (long attempts = 0; out.size() < n; attempts++) {
            if (attempts > 100L * n + 1000)
                throw new IllegalArgumentException("cannot draw " + n + " distinct problems of " + java.util.Arrays.toString(kinds));
            Problem p = problem(rng, kinds[out.size() % kinds.length]);
            if (accept.test(p)) out.add(p);
        }
        return out;
    }

    /** Writes one JSON object per line (UTF-8, {@code \n}), creating the folder. */
    public static void writeJsonl(List<Problem> problems, Path file) throws IOException {
        writeRows(problems.stream().map(Problem::row).toList(), file);
    }

    /** Rows (column → value, written as strings) as JSON Lines; the examples' generators share it. */
    static void writeRows(List<Map<String, Object>> rows, Path file) throws IOException {
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Map<String, Object> row : rows) {
                ObjectNode o = json.createObjectNode();
                row.forEach((k, v) -> o.put(k, v.toString()));
                w.write(json.writeValueAsString(o));
                w.write('\n');
            }
        }
    }

    /**
     * Reads a JSONL file into rows (column → value); a line that is not a JSON object is an error naming the file
     * and the line.
     */
    public static List<Map<String, Object>> readJsonl(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Map<String, Object>> rows = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            Object v;
            try {
                v = json.readValue(line, Object.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + ":" + lineNo + ": not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (!(v instanceof Map<?, ?> m)) throw new IOException(file + ":" + lineNo + ": expected a JSON object, got " + line);
            Map<String, Object> row = new LinkedHashMap<>();
            m.forEach((k, x) -> row.put(k.toString(), x));
            rows.add(row);
        }
        return rows;
    }

    /** Regenerates the committed data: {@code train.jsonl} and {@code test.jsonl} in {@code args[0]} (default as below). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "examples/arithmetic/data");
        Split s = split(DEFAULT_SEED, DEFAULT_TRAIN, DEFAULT_TEST, DEFAULT_KINDS);
        writeJsonl(mixStyles(s.train(), DEFAULT_MENTAL_SHARE, DEFAULT_SEED + 1), dir.resolve("train.jsonl"));
        writeJsonl(s.test(), dir.resolve("test.jsonl"));
        System.out.println("wrote " + s.train().size() + " + " + s.test().size() + " problems to " + dir);
    }

    /** The settings of the committed data set. */
    public static final long DEFAULT_SEED = 2025;
    public static final int DEFAULT_TRAIN = 4000, DEFAULT_TEST = 200;
    /** The share of training demonstrations written in {@link Style#MENTAL} style. */
    public static final double DEFAULT_MENTAL_SHARE = 0.5;
    /**
     * The one-step operations: a model of a million parameters, trained for minutes on a CPU, learns these well
     * enough for GRPO to have signal; {@link Kind#TWO_STEP} doubles the reasoning and is left for bigger runs.
     */
    public static final Kind[] DEFAULT_KINDS = {Kind.ADD, Kind.SUB, Kind.MUL};
}
