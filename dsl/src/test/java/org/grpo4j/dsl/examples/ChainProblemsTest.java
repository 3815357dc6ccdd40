package org.grpo4j.dsl.examples;

import static org.grpo4j.dsl.reward.Rewards.format;
import static org.grpo4j.dsl.reward.Rewards.tagCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.grpo4j.dsl.examples.ChainProblems.Kind;
import org.grpo4j.dsl.examples.ChainProblems.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainProblemsTest {
    @Test
    void everyWorkedSolutionVerifiesAndStaysWithinTwoDigits() {
        SplittableRandom rng = new SplittableRandom(3);
        for (Kind kind : Kind.values())
            for (int i = 0; i < 400; i++) {
                Problem p = ChainProblems.problem(rng, kind);
                Map<String, Object> row = new java.util.HashMap<>(p.row());
                assertEquals(1.0, ChainProblems.verify(p.completion(), row), p.completion());
                assertEquals(1.0, format().score(p.completion()), p.completion());
                assertEquals(1.0, tagCount().score(p.completion()), p.completion());
                for (String line : p.completion().split("\n"))
                    if (line.matches("\\d+[+-]\\d+")) {
                        int v = line.contains("+") ? Integer.parseInt(line.split("\\+")[0]) + Integer.parseInt(line.split("\\+")[1])
                                : Integer.parseInt(line.split("-")[0]) - Integer.parseInt(line.split("-")[1]);
                        assertTrue(v >= 0 && v <= 99, line);
                    }
                assertTrue(p.completion().length() <= 102, p.completion());
            }
    }

    @Test
    void theVerifierChecksTheNumbersTheirOrderAndTheGoal() {
        String numbers = "21,34,17";
        assertTrue(ChainProblems.reaches("<think>\n</think>\n<answer>\n21+34-17=38\n</answer>", numbers, "38"));
        assertTrue(ChainProblems.reaches("<answer>\n21+34-17\n</answer>", numbers, "38"));
        assertFalse(ChainProblems.reaches("<answer>\n21+34+17=72\n</answer>", numbers, "38"), "misses the goal");
        assertFalse(ChainProblems.reaches("<answer>\n21+34-17=39\n</answer>", numbers, "38"), "a wrong stated value");
        assertFalse(ChainProblems.reaches("<answer>\n34+21-17=38\n</answer>", numbers, "38"), "the numbers out of order");
        assertFalse(ChainProblems.reaches("<answer>\n38\n</answer>", numbers, "38"), "the goal copied is no equation");
        assertFalse(ChainProblems.reaches("<answer>\n21+34-17=38", numbers, "38"), "no closing tag");
        Map<String, Object> combine = Map.of("numbers", numbers, "solution", "38", "kind", "combine");
        assertEquals(1.0, ChainProblems.verify("<answer>\n21+34+17=72\n</answer>", combine), "a COMBINE answer may use any operations");
        assertEquals(0.0, ChainProblems.verify("<answer>\n21+34+17=71\n</answer>", combine), "but states its value right");
        assertEquals(1.0, ChainProblems.verify("<answer>\n85\n</answer>", Map.of("solution", "85", "kind", "add")));
    }

    @Test
    void noTargetSolutionIsEverWrittenNorItsNumbersDemonstrated(@TempDir Path dir) throws Exception {
        ChainProblems.Data d = ChainProblems.generate(7, 900, 60, 600, 60);
        Set<String> targetNumbers = new HashSet<>();
        for (List<Problem> ps : List.of(d.targetTrain(), d.targetTest()))
            for (Problem p : ps) {
                assertEquals(Kind.REACH, p.kind());
                assertTrue(targetNumbers.add(p.numbers()), "every target has its own numbers: " + p.numbers());
                assertTrue(p.prompt().startsWith("Make " + p.solution() + ": combine "), p.prompt());
                assertEquals(p.solution(), ruleValue(p.numbers(), Integer.parseInt(p.solution())), "the local rule solves " + p.prompt());
            }
        for (List<Problem> ps : List.of(d.baseTrain(), d.baseTest()))
            for (Problem p : ps) {
                assertFalse(p.kind().isTarget(), p.prompt());
                assertFalse(p.prompt().contains("Make"), "no demonstration aims at a number: " + p.prompt());
                if (p.numbers() == null) continue;
                assertFalse(targetNumbers.contains(p.numbers()), "a base demonstration combines a target's numbers: " + p.prompt());
                assertFalse(p.prompt().contains(" " + p.solution() + ": combine"), "a label's number is never the result: " + p.prompt());
            }
        ChainProblems.writeJsonl(d.targetTrain(), dir.resolve("target.jsonl"));
        for (Map<String, Object> row : ArithmeticProblems.readJsonl(dir.resolve("target.jsonl")))
            assertEquals(Set.of("prompt", "solution", "numbers", "kind"), row.keySet(), "a target row has nothing to imitate: " + row);
    }

    /** The value the local rule (+ while below the goal, else -) reaches, or "out of range" where a step leaves 0-99. */
    private static String ruleValue(String numbers, int goal) {
        String[] n = numbers.split(",");
        int v = Integer.parseInt(n[0]);
        for (int i = 1; i < 3; i++) {
            v = v < goal ? v + Integer.parseInt(n[i]) : v - Integer.parseInt(n[i]);
            if (v < 0 || v > 99) return "out of range";
        }
        return Integer.toString(v);
    }

    @Test
    void eachChainStepChecksTheRunningValueButADemonstrationsOperationIgnoresTheCheck() {
        ChainProblems.Data d = ChainProblems.generate(7, 6000, 60, 600, 60);
        int[][][] counts = new int[10][2][2];   // [running value's tens][check said below][operation was +]
        for (Problem p : d.baseTrain()) {
            if (p.kind() != Kind.COMBINE) {
                for (String line : p.completion().split("\n")) assertFalse(line.matches("\\d+[<>=]\\d+"), "only chains check: " + p.completion());
                continue;
            }
            int label = Integer.parseInt(p.prompt().replaceAll("^\\w+ (\\d+):.*", "$1"));
            String[] lines = p.completion().split("\n");
            int checks = 0;
            for (int i = 0; i < lines.length; i++) {
                if (!lines[i].matches("\\d+[<>=]\\d+")) continue;
                checks++;
                int value = Integer.parseInt(lines[i].split("[<>=]")[0]);
                assertEquals(ChainProblems.check(value, label), lines[i], p.completion());
                assertTrue(lines[i + 1].startsWith(value + "+") || lines[i + 1].startsWith(value + "-"), "the operation follows its check: " + p.completion());
                counts[value / 10][value < label ? 1 : 0][lines[i + 1].startsWith(value + "+") ? 1 : 0]++;
            }
            assertEquals(2, checks, p.completion());
        }
        // The demonstrations never show the check choosing the operation. A low running value takes + more often
        // (a subtraction would leave 0-99) and is more often below the label, so compare within each tens of the
        // running value: there, + is as likely after "below" as after "not below".
        double diff = 0;
        int n = 0;
        for (int[][] c : counts) {
            int below = c[1][0] + c[1][1], above = c[0][0] + c[0][1];
            if (below < 20 || above < 20) continue;
            diff += (below + above) * (c[1][1] / (double) below - c[0][1] / (double) above);
            n += below + above;
        }
        assertTrue(n > 3000 && Math.abs(diff / n) < 0.06, "P(+ | below) - P(+ | not below), within the tens of the running value: " + diff / n + " over " + n);
    }

    @Test
    void theCommittedDataIsWhatTheGeneratorWrites(@TempDir Path dir) throws Exception {
        Path shipped = Path.of(System.getProperty("user.dir")).getParent().resolve("examples/r1-zero/data");
        ChainProblems.main(new String[] {dir.toString()});
        for (String f : List.of("base-train.jsonl", "base-test.jsonl", "target-train.jsonl", "target-test.jsonl"))
            assertEquals(Files.readString(shipped.resolve(f)), Files.readString(dir.resolve(f)), f);
    }
}
