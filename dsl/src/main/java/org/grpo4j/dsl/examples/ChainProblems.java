package org.grpo4j.dsl.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The data of {@code examples/r1-zero}: the skills a base model is taught, and a target task whose solutions it never
 * sees. Every number, intermediate result and answer stays within 0–99, and the reasoning is
 * {@link ArithmeticProblems}'s column-by-column layout in open-r1's {@code <think>/<answer>} format.
 *
 * <p>The base model learns from demonstrations to add, to subtract, and to combine three numbers in order with
 * operations drawn at random (a {@code COMBINE} demonstration has no goal: any chain of {@code +} and {@code -} that stays within 0–99 is a right
 * answer, and the answer is the equation with its value). Before each operation a chain checks its running value
 * against the number of the question's label, and then takes an operation drawn at random, whatever the check said:
 *
 * <pre>
 * Round 7: combine 21, 34 and 17.
 * &lt;think&gt;
 * 21&gt;7
 * 21+34
 * 1+4=5
 * 2+3=5
 * 55&gt;7
 * 55-17
 * 15-7=8
 * 5-1-1=3
 * &lt;/think&gt;
 * &lt;answer&gt;
 * 21+34-17=38
 * &lt;/answer&gt;
 * </pre>
 *
 * Every chain question starts with a label: a word and a number for {@code COMBINE} ("Round 7", "Card 52", ...), never
 * the chain's result. The target, {@code REACH}, puts a goal there — "Make 38: combine 21, 34 and 17." — which is
 * Countdown with the numbers in order and {@code +}/{@code -}: the model has to find the operations that hit the
 * number. Target questions are kept only where one local rule, never shown, solves them: {@code +} while the
 * running value is below the goal, else {@code -} — an operation chosen from the check just written. No
 * demonstration ever aims at a number or lets its check choose its operation; target rows carry the question, the
 * numbers and the goal only ({@code prompt}, {@code numbers}, {@code solution}, {@code kind}), and {@link #reaches}
 * is the verifier.
 *
 * <pre>{@code
 * ChainProblems.Data d = ChainProblems.generate(ChainProblems.DEFAULT_SEED, 6000, 200, 4000, 200);
 * ChainProblems.writeJsonl(d.baseTrain(), Path.of("examples/r1-zero/data/base-train.jsonl"));
 * }</pre>
 */
public final class ChainProblems {
    private ChainProblems() {}

    /** The kinds of problem; {@link #isTarget()} tells the target from the base model's skills. */
    public enum Kind {
        /** a + b: a base skill. */
        ADD,
        /** a − b: a base skill. */
        SUB,
        /** a ± b ± c with operations drawn at random: a base skill. */
        COMBINE,
        /** a ± b ± c reaching a given number: the target, never demonstrated. */
        REACH;

        public boolean isTarget() {
            return this == REACH;
        }
    }

    /**
     * One problem. For {@code REACH}, {@code completion} is one worked solution, used only by tests to check that
     * the goal is reachable, and never written out; {@code numbers} is {@code "a,b,c"} for the chains.
     */
    public record Problem(String prompt, String solution, String completion, Kind kind, String expression, String numbers) {
        /** The JSONL row: {@code prompt}, {@code solution}, {@code numbers} (chains), {@code completion} (base skills), {@code kind}. */
        public Map<String, Object> row() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", prompt);
            m.put("solution", solution);
            if (numbers != null) m.put("numbers", numbers);
            if (!kind.isTarget()) m.put("completion", completion);
            m.put("kind", kind.name().toLowerCase());
            return m;
        }
    }

    /** The four files of the example: base skills (train, held out) and target problems (train, held out). */
    public record Data(List<Problem> baseTrain, List<Problem> baseTest, List<Problem> targetTrain, List<Problem> targetTest) {}

    private static final String[] NAMES = {"Ann", "Ben", "Cy", "Dee", "Eva", "Max", "Sam", "Zoe"};
    private static final String[] THINGS = {"pens", "apples", "cards", "coins", "books", "shells"};
    private static final String[] LABELS = {"Round", "Game", "Card", "Turn", "Level", "Test", "Set", "Box", "Day", "Page", "Room", "Team"};
    private static final Kind[] BASE = {Kind.ADD, Kind.SUB, Kind.COMBINE, Kind.COMBINE};
    private static final Kind[] TARGET = {Kind.REACH};

    /** One problem of {@code kind}, its numbers, operations and wording drawn from {@code rng}; every partial result is in 0–99. */
    public static Problem problem(SplittableRandom rng, Kind kind) {
        if (kind == Kind.COMBINE) return chain(rng, kind);
        if (kind == Kind.REACH) {
            Problem p;
            do p = chain(rng, kind); while (p == null);
            return p;
        }
        char op = kind == Kind.ADD ? '+' : '-';
        int a, b;
        do {
            a = number(rng);
            b = number(rng);
        } while (!inRange(apply(op, a, b)));
        int r = apply(op, a, b);
        List<String> lines = new ArrayList<>();
        lines.add(a + "" + op + b);
        lines.addAll(columns(op, a, b));
        String who = NAMES[rng.nextInt(NAMES.length)], what = THINGS[rng.nextInt(THINGS.length)];
        String q = !rng.nextBoolean() ? "What is " + a + (op == '+' ? " plus " : " minus ") + b + "?"
                : op == '+' ? who + " has " + a + " " + what + " and gets " + b + " more. How many " + what + " now?"
                : who + " has " + a + " " + what + " and loses " + b + ". How many are left?";
        return new Problem(q, Integer.toString(r), worked(lines, Integer.toString(r)), kind, a + "" + op + b, null);
    }

    /** A chain problem, or null where a drawn target is one the local rule does not solve. */
    private static Problem chain(SplittableRandom rng, Kind kind) {
        char op1, op2;
        int a, b, c, label;
        do {
            op1 = rng.nextBoolean() ? '+' : '-';
            op2 = rng.nextBoolean() ? '+' : '-';
            a = number(rng);
            b = number(rng);
            c = number(rng);
            // a label heads every chain question: the goal, or a word and a number that the demonstrations only
            // check against (many words, so that no one word means "combine"; the number never their result, else
            // some would look like a solution of the target)
            // half the labels share the first number's tens, so that the close comparisons (45>42) are practised;
            // drawn before the operations are known, a label says nothing about them
            label = rng.nextBoolean() ? rng.nextInt(100) : a / 10 * 10 + rng.nextInt(10);
        } while (!inRange(apply(op1, a, b)) || !inRange(apply(op2, apply(op1, a, b), c)) || label == apply(op2, apply(op1, a, b), c));
        if (kind == Kind.REACH) {
            // the goal is the drawn chain's value; kept only where the local rule (+ while the running value is
            // below the goal, else -) reaches it with every step in 0-99, so one rule read off the checks solves
            // every target question; the worked solution (tests only) is the rule's
            int goal = apply(op2, apply(op1, a, b), c);
            op1 = rule(a, goal);
            op2 = rule(apply(op1, a, b), goal);
            if (!inRange(apply(op1, a, b)) || apply(op2, apply(op1, a, b), c) != goal) return null;
            label = goal;
        }
        int ab = apply(op1, a, b), r = apply(op2, ab, c);
        List<String> lines = new ArrayList<>();
        lines.add(check(a, label));
        lines.add(a + "" + op1 + b);
        lines.addAll(columns(op1, a, b));
        lines.add(check(ab, label));
        lines.add(ab + "" + op2 + c);
        lines.addAll(columns(op2, ab, c));
        String expression = a + "" + op1 + b + op2 + c;
        String q = (kind == Kind.REACH ? "Make " + r : LABELS[rng.nextInt(LABELS.length)] + " " + label) + ": combine " + a + ", " + b + " and " + c + ".";
        return new Problem(q, Integer.toString(r), worked(lines, expression + "=" + r), kind, expression, a + "," + b + "," + c);
    }

    /**
     * The check a chain writes before each operation: the running value against the question's number
     * ({@code 23<60}, {@code 76>29}, {@code 38=38}). In a {@code COMBINE} demonstration the operation that follows is
     * drawn at random, whatever the check says; using it to choose is what the target needs and nobody shows.
     */
    static String check(int value, int label) {
        return value + (value < label ? "<" : value > label ? ">" : "=") + label;
    }

    /** The local rule that solves every target question: + while the running value is below the goal, else -. */
    static char rule(int value, int goal) {
        return value < goal ? '+' : '-';
    }

    /**
     * The verifier of the target task: the last {@code <answer>} holds {@code a±b±c=v} (or {@code a±b±c}) with the
     * given numbers in their order, its value is {@code goal}, and so is {@code v} when it is written.
     */
    public static boolean reaches(String completion, String numbers, String goal) {
        int open = completion.lastIndexOf("<answer>"), close = completion.lastIndexOf("</answer>");
        if (open < 0 || close < open) return false;
        String answer = completion.substring(open + "<answer>".length(), close).strip();
        java.util.regex.Matcher m = EQUATION.matcher(answer);
        if (!m.matches()) return false;
        if (!(m.group(1) + "," + m.group(3) + "," + m.group(5)).equals(numbers)) return false;
        long v = Long.parseLong(m.group(1));
        v = m.group(2).equals("+") ? v + Long.parseLong(m.group(3)) : v - Long.parseLong(m.group(3));
        v = m.group(4).equals("+") ? v + Long.parseLong(m.group(5)) : v - Long.parseLong(m.group(5));
        String target = goal.strip();
        return Long.toString(v).equals(target) && (m.group(6) == null || m.group(6).equals(target));
    }

    /**
     * The example's verifier for any row: a {@code REACH} answer must hit the goal ({@link #reaches}); a
     * {@code COMBINE} answer may use any operations but must state its own value right; an addition or subtraction
     * must answer the gold number. 1.0 right, 0.0 wrong.
     */
    public static double verify(String completion, Map<String, Object> row) {
        Object numbers = row.get("numbers"), kind = row.get("kind");
        String gold = String.valueOf(row.get("solution"));
        if (numbers == null) {
            int open = completion.lastIndexOf("<answer>"), close = completion.lastIndexOf("</answer>");
            return open >= 0 && close > open && completion.substring(open + 8, close).strip().equals(gold.strip()) ? 1.0 : 0.0;
        }
        if ("combine".equals(kind)) {
            int open = completion.lastIndexOf("<answer>"), close = completion.lastIndexOf("</answer>");
            if (open < 0 || close < open) return 0.0;
            java.util.regex.Matcher m = EQUATION.matcher(completion.substring(open + 8, close).strip());
            return m.matches() && m.group(6) != null && reaches(completion, numbers.toString(), m.group(6)) ? 1.0 : 0.0;
        }
        return reaches(completion, numbers.toString(), gold) ? 1.0 : 0.0;
    }

    private static final java.util.regex.Pattern EQUATION = java.util.regex.Pattern.compile("(\\d{1,3})([+-])(\\d{1,3})([+-])(\\d{1,3})(?:=(-?\\d{1,4}))?");

    private static int apply(char op, int x, int y) {
        return op == '+' ? x + y : x - y;
    }

    private static boolean inRange(int v) {
        return v >= 0 && v <= 99;
    }

    private static List<String> columns(char op, int x, int y) {
        return op == '+' ? ArithmeticProblems.addColumns(x, y) : ArithmeticProblems.subColumns(x, y);
    }

    /** One or two digits, two-digit numbers three times as likely. */
    private static int number(SplittableRandom rng) {
        return rng.nextInt(4) == 0 ? rng.nextInt(10) : 10 + rng.nextInt(90);
    }

    private static String worked(List<String> steps, String answer) {
        return "<think>\n" + String.join("\n", steps) + "\n</think>\n<answer>\n" + answer + "\n</answer>";
    }

    /**
     * The example's data, seeded. Every target problem has its own three numbers, and no base demonstration combines
     * a target's numbers (so no target solution is shown even by accident); held-out base problems have distinct
     * expressions that no training problem shares, and no question appears twice in a training set.
     */
    public static Data generate(long seed, int baseTrain, int baseTest, int targetTrain, int targetTest) {
        SplittableRandom rng = new SplittableRandom(seed);
        Set<String> targetNumbers = new HashSet<>(), heldOut = new HashSet<>(), questions = new HashSet<>();
        List<Problem> tTest = draw(rng, targetTest, TARGET, p -> targetNumbers.add(p.numbers()));
        List<Problem> tTrain = draw(rng, targetTrain, TARGET, p -> targetNumbers.add(p.numbers()));
        Predicate<Problem> noTargetNumbers = p -> p.numbers() == null || !targetNumbers.contains(p.numbers());
        List<Problem> bTest = draw(rng, baseTest, BASE, p -> noTargetNumbers.test(p) && heldOut.add(p.expression()));
        List<Problem> bTrain = draw(rng, baseTrain, BASE, p -> noTargetNumbers.test(p) && !heldOut.contains(p.expression()) && questions.add(p.prompt()));
        return new Data(bTrain, bTest, tTrain, tTest);
    }

    private static List<Problem> draw(SplittableRandom rng, int n, Kind[] kinds, Predicate<Problem> accept) {
        List<Problem> out = new ArrayList<>(n);
        for (long attempts = 0; out.size() < n; attempts++) {
            if (attempts > 100L * n + 1000) throw new IllegalArgumentException("cannot draw " + n + " distinct problems of " + java.util.Arrays.toString(kinds));
            Problem p = problem(rng, kinds[out.size() % kinds.length]);
            if (accept.test(p)) out.add(p);
        }
        return out;
    }

    /** Writes one JSON object per line (UTF-8, {@code \n}), creating the folder; target rows have no {@code completion}. */
    public static void writeJsonl(List<Problem> problems, Path file) throws IOException {
        ArithmeticProblems.writeRows(problems.stream().map(Problem::row).toList(), file);
    }

    /** Regenerates the committed data in {@code args[0]} (default {@code examples/r1-zero/data}). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "examples/r1-zero/data");
        Data d = generate(DEFAULT_SEED, DEFAULT_BASE_TRAIN, DEFAULT_TEST, DEFAULT_TARGET_TRAIN, DEFAULT_TEST);
        writeJsonl(d.baseTrain(), dir.resolve("base-train.jsonl"));
        writeJsonl(d.baseTest(), dir.resolve("base-test.jsonl"));
        writeJsonl(d.targetTrain(), dir.resolve("target-train.jsonl"));
        writeJsonl(d.targetTest(), dir.resolve("target-test.jsonl"));
        System.out.println("wrote " + d.baseTrain().size() + " + " + d.baseTest().size() + " base and " + d.targetTrain().size() + " + "
                + d.targetTest().size() + " target problems to " + dir);
    }

    /** The settings of the committed data. */
    public static final long DEFAULT_SEED = 2026;
    public static final int DEFAULT_BASE_TRAIN = 6000, DEFAULT_TARGET_TRAIN = 4000, DEFAULT_TEST = 200;
}
