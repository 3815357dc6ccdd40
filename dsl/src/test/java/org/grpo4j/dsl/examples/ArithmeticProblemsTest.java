package org.grpo4j.dsl.examples;

import static org.grpo4j.dsl.reward.Rewards.accuracy;
import static org.grpo4j.dsl.reward.Rewards.format;
import static org.grpo4j.dsl.reward.Rewards.tagCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.dsl.examples.ArithmeticProblems.Kind;
import org.grpo4j.dsl.examples.ArithmeticProblems.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArithmeticProblemsTest {
    private static final Pattern ANSWER = Pattern.compile("<answer>\n(-?\\d+)\n</answer>$");

    @Test
    void workedColumnsMatchTheTextbookMethod() {
        assertEquals(List.of("7+8=15", "4+3+1=8"), ArithmeticProblems.addColumns(47, 38));
        assertEquals(List.of("5+7=12", "9+1+1=11"), ArithmeticProblems.addColumns(95, 17));
        assertEquals(List.of("13-7=6", "8-1-4=3"), ArithmeticProblems.subColumns(83, 47));
        assertEquals(List.of("12-7=5", "5-1-4=0"), ArithmeticProblems.subColumns(52, 47));
        assertEquals(List.of("0-0=0"), ArithmeticProblems.subColumns(0, 0));
        assertEquals(List.of("7*6=42", "4*6+4=28"), ArithmeticProblems.mulColumns(47, 6));
    }

    @Test
    void everyWorkedSolutionEndsInTheGoldAnswerAndEarnsFullRewards() {
        SplittableRandom rng = new SplittableRandom(1);
        for (Kind kind : Kind.values())
            for (int i = 0; i < 500; i++) {
                Problem p = ArithmeticProblems.problem(rng, kind);
                Matcher m = ANSWER.matcher(p.completion());
                assertTrue(m.find(), p.completion());
                assertEquals(p.solution(), m.group(1));
                assertEquals(Integer.parseInt(p.solution()), eval(p.expression()), p.expression());
                assertTrue(Integer.parseInt(p.solution()) >= 0, p.expression());
                assertTrue(p.completion().startsWith("<think>\n" + p.expression() + "\n"), p.completion());
                assertEquals(1.0, accuracy().score(p.completion(), p.solution()), p.completion());
                assertEquals(1.0, format().score(p.completion()), p.completion());
                assertEquals(1.0, tagCount().score(p.completion()), p.completion());
                assertTrue(p.completion().length() <= 94, "worked solutions stay short: " + p.completion().length());
            }
    }

    @Test
    void aMentalDemonstrationIsOneLineWithTheSameAnswerAndFullRewards() {
        SplittableRandom rng = new SplittableRandom(2);
        for (Kind kind : Kind.values())
            for (int i = 0; i < 200; i++) {
                Problem m = ArithmeticProblems.problem(rng, kind).mental();
                assertEquals(ArithmeticProblems.Style.MENTAL, m.style());
                assertEquals("<think>\n" + m.expression() + "=" + m.solution() + "\n</think>\n<answer>\n" + m.solution() + "\n</answer>", m.completion());
                assertEquals(1.0, accuracy().score(m.completion(), m.solution()), m.completion());
                assertEquals(1.0, format().score(m.completion()), m.completion());
                assertEquals(1.0, tagCount().score(m.completion()), m.completion());
            }
    }

    @Test
    void mixStylesRewritesASeededShareAndKeepsEverythingElse() {
        var train = ArithmeticProblems.split(4, 2000, 10, Kind.values()).train();
        var mixed = ArithmeticProblems.mixStyles(train, 0.3, 7);
        assertEquals(mixed, ArithmeticProblems.mixStyles(train, 0.3, 7));
        int mental = 0;
        for (int i = 0; i < train.size(); i++) {
            Problem p = train.get(i), q = mixed.get(i);
            assertEquals(ArithmeticProblems.Style.WORKED, p.style());
            assertEquals(q.style() == ArithmeticProblems.Style.MENTAL ? p.mental() : p, q);
            if (q.style() == ArithmeticProblems.Style.MENTAL) mental++;
        }
        assertTrue(mental > 520 && mental < 680, "about 30% mental: " + mental);
        assertEquals(train, ArithmeticProblems.mixStyles(train, 0, 7));
        assertThrows(IllegalArgumentException.class, () -> ArithmeticProblems.mixStyles(train, 1.5, 7));
    }

    /** Evaluates the expression independently of the generator: left to right, * before + and -. */
    private static int eval(String e) {
        if (e.contains("*")) {
            String[] f = e.split("\\*");
            return Integer.parseInt(f[0]) * Integer.parseInt(f[1]);
        }
        Matcher m = Pattern.compile("([+-]?)(\\d+)").matcher(e);
        int v = 0;
        while (m.find()) v += (m.group(1).equals("-") ? -1 : 1) * Integer.parseInt(m.group(2));
        return v;
    }

    @Test
    void splitsAreSeededAndTheHeldOutExpressionsNeverAppearInTraining() {
        var a = ArithmeticProblems.split(9, 800, 100, Kind.values());
        var b = ArithmeticProblems.split(9, 800, 100, Kind.values());
        assertEquals(a, b);
        assertFalse(a.equals(ArithmeticProblems.split(10, 800, 100, Kind.values())));
        Set<String> heldOut = new HashSet<>();
        for (Problem p : a.test()) assertTrue(heldOut.add(p.expression()), "held-out expressions are distinct: " + p.expression());
        Set<String> questions = new HashSet<>();
        for (Problem p : a.train()) {
            assertFalse(heldOut.contains(p.expression()), p.expression());
            assertTrue(questions.add(p.prompt()), "duplicate question " + p.prompt());
        }
        for (Kind k : Kind.values()) assertEquals(200, a.train().stream().filter(p -> p.kind() == k).count());
    }

    @Test
    void anImpossibleRequestSaysSo() {
        var e = assertThrows(IllegalArgumentException.class, () -> ArithmeticProblems.split(1, 10, 2000, Kind.MUL));
        assertTrue(e.getMessage().contains("cannot draw 2000 distinct problems"), e.getMessage());
    }

    @Test
    void jsonlRoundTripsAndBadLinesNameFileAndLine(@TempDir Path dir) throws IOException {
        var s = ArithmeticProblems.split(3, 20, 5, Kind.values());
        Path f = dir.resolve("train.jsonl");
        ArithmeticProblems.writeJsonl(s.train(), f);
        List<Map<String, Object>> rows = ArithmeticProblems.readJsonl(f);
        assertEquals(20, rows.size());
        for (int i = 0; i < rows.size(); i++) assertEquals(s.train().get(i).row(), rows.get(i));
        Files.writeString(f, Files.readString(f) + "{\"prompt\": \"broken\n");
        var e = assertThrows(IOException.class, () -> ArithmeticProblems.readJsonl(f));
        assertTrue(e.getMessage().contains("train.jsonl:21"), e.getMessage());
    }

    @Test
    void theCommittedDataIsWhatTheGeneratorWrites(@TempDir Path dir) throws IOException {
        Path committed = Path.of("..", "examples", "arithmetic", "data");
        if (!Files.isDirectory(committed)) committed = Path.of("examples", "arithmetic", "data"); // run from the root
        ArithmeticProblems.main(new String[] {dir.toString()});
        for (String f : List.of("train.jsonl", "test.jsonl"))
            assertEquals(Files.readString(committed.resolve(f)), Files.readString(dir.resolve(f)), f + " differs from a fresh generation");
    }
}
