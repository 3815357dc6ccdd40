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
import java.util.function.Predicate;

/**
 * The data of {@code examples/r1-zero}: the skills a base model is taught, and a target task whose worked solutions
 * it never sees. Every number, intermediate result and answer stays within 0–99, and the reasoning is
 * {@link ArithmeticProblems}'s column-by-column layout in open-r1's {@code <think>/<answer>} format.
 *
 * <p>The base model learns four things from demonstrations: one addition, one subtraction, and chains of two
 * additions or of two subtractions (carry the first result into the second step):
 *
 * <pre>
 * What is 21 plus 34 plus 17?
 * &lt;think&gt;
 * 21+34
 * 1+4=5
 * 2+3=5
 * 55+17
 * 5+7=12
 * 5+1+1=7
 * &lt;/think&gt;
 * &lt;answer&gt;
 * 72
 * &lt;/answer&gt;
 * </pre>
 *
 * The target is a chain that mixes the two operations ({@code a+b-c}, {@code a-b+c}): every step of it is a
 * skill the model has, but no demonstration ever switches operation in the middle of a chain. Target rows
 * carry only the question and the gold number ({@code prompt}, {@code solution}, {@code kind}): nothing to imitate.
 *
 * <pre>{@code
 * ChainProblems.Data d = ChainProblems.generate(ChainProblems.DEFAULT_SEED, 6000, 200, 4000, 200);
 * ChainProblems.writeJsonl(d.baseTrain(), Path.of("examples/r1-zero/data/base-train.jsonl"));
 * }</pre>
 */
public final class ChainProblems {
    private ChainProblems() {}

    /** The kinds of problem; {@link #isTarget()} tells the target kinds from the base model's skills. */
    public enum Kind {
        /** a + b: a base skill. */
        ADD(false, '+'),
        /** a − b: a base skill. */
        SUB(false, '-'),
        /** a + b + c, two chained additions: a base skill. */
        ADD_ADD(true, '+', '+'),
        /** a − b − c, two chained subtractions: a base skill. */
        SUB_SUB(true, '-', '-'),
        /** a + b − c: target. */
        ADD_SUB(true, '+', '-'),
        /** a − b + c: target. */
        SUB_ADD(true, '-', '+');

        private final boolean chain;
        private final char[] ops;

        Kind(boolean chain, char... ops) {
            this.chain = chain;
            this.ops = ops;
        }

        /** A chain of two different operations: never demonstrated. */
        public boolean isTarget() {
            return chain && ops[0] != ops[1];
        }
    }

    /**
     * One problem. {@code completion} is the worked solution (for a target problem it is only used by tests, to check
     * the answer is reachable, and never written out).
     */
    public record Problem(String prompt, String solution, String completion, Kind kind, String expression) {
        /** The JSONL row: {@code prompt}, {@code solution}, {@code kind}, and {@code completion} unless it is a target problem. */
        public Map<String, Object> row() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", prompt);
            m.put("solution", solution);
            if (!kind.isTarget()) m.put("completion", completion);
            m.put("kind", kind.name().toLowerCase());
            return m;
        }
    }

    /** The four files of the example: base skills (train, held out) and target problems (train, held out). */
    public record Data(List<Problem> baseTrain, List<Problem> baseTest, List<Problem> targetTrain, List<Problem> targetTest) {}

    private static final String[] NAMES = {"Ann", "Ben", "Cy", "Dee", "Eva", "Max", "Sam", "Zoe"};
    private static final String[] THINGS = {"pens", "apples", "cards", "coins", "books", "shells"};
    private static final Kind[] BASE = {Kind.ADD, Kind.SUB, Kind.ADD_ADD, Kind.SUB_SUB};
    private static final Kind[] TARGET = {Kind.ADD_SUB, Kind.SUB_ADD};

    /** One problem of {@code kind}, its numbers and wording drawn from {@code rng}; every partial result is in 0–99. */
    public static Problem problem(SplittableRandom rng, Kind kind) {
        String who = NAMES[rng.nextInt(NAMES.length)], what = THINGS[rng.nextInt(THINGS.length)];
        boolean story = rng.nextBoolean();
        int a, b;
        do {
            a = number(rng);
            b = number(rng);
        } while (!inRange(apply(kind.ops[0], a, b)));
        int ab = apply(kind.ops[0], a, b);
        StringBuilder q = new StringBuilder(story ? who + " has " + a + " " + what : "What is " + a);
        List<String> lines = new ArrayList<>();
        lines.add(a + "" + kind.ops[0] + b);
        lines.addAll(columns(kind.ops[0], a, b));
        if (!kind.chain) {
            q.append(story ? (kind.ops[0] == '+' ? " and gets " + b + " more." : " and loses " + b + ".") : " " + word(kind.ops[0]) + " " + b + "?");
            if (story) q.append(kind.ops[0] == '+' ? " How many " + what + " now?" : " How many are left?");
            return new Problem(q.toString(), Integer.toString(ab), worked(lines, ab), kind, a + "" + kind.ops[0] + b);
        }
        int c;
        do c = number(rng); while (!inRange(apply(kind.ops[1], ab, c)));
        int abc = apply(kind.ops[1], ab, c);
        lines.add(ab + "" + kind.ops[1] + c);
        lines.addAll(columns(kind.ops[1], ab, c));
        if (story) q.append(", ").append(verb(kind.ops[0], b)).append(", then ").append(verb(kind.ops[1], c))
                .append(kind.ops[1] == '+' ? ". How many " + what + " now?" : ". How many are left?");
        else q.append(" ").append(word(kind.ops[0])).append(" ").append(b).append(" ").append(word(kind.ops[1])).append(" ").append(c).append("?");
        String expression = a + "" + kind.ops[0] + b + kind.ops[1] + c;
        return new Problem(q.toString(), Integer.toString(abc), worked(lines, abc), kind, expression);
    }

    private static String verb(char op, int n) {
        return op == '+' ? "gets " + n + " more" : "loses " + n;
    }

    private static String word(char op) {
        return op == '+' ? "plus" : "minus";
    }

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

    private static String worked(List<String> steps, int result) {
        return "<think>\n" + String.join("\n", steps) + "\n</think>\n<answer>\n" + result + "\n</answer>";
    }

    /**
     * The example's data, seeded. Held-out sets are drawn first, with distinct expressions; no training problem
     * shares an expression with a held-out one of its group, and no question appears twice in a training set.
     */
    public static Data generate(long seed, int baseTrain, int baseTest, int targetTrain, int targetTest) {
        SplittableRandom rng = new SplittableRandom(seed);
        Set<String> heldOut = new HashSet<>(), questions = new HashSet<>();
        List<Problem> bTest = draw(rng, baseTest, BASE, p -> heldOut.add(p.expression()));
        List<Problem> tTest = draw(rng, targetTest, TARGET, p -> heldOut.add(p.expression()));
        List<Problem> bTrain = draw(rng, baseTrain, BASE, p -> !heldOut.contains(p.expression()) && questions.add(p.prompt()));
        List<Problem> tTrain = draw(rng, targetTrain, TARGET, p -> !heldOut.contains(p.expression()) && questions.add(p.prompt()));
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
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Problem p : problems) {
                ObjectNode o = json.createObjectNode();
                p.row().forEach((k, v) -> o.put(k, v.toString()));
                w.write(json.writeValueAsString(o));
                w.write('\n');
            }
        }
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
