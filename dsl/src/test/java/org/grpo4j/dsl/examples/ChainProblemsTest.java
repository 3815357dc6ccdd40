package org.grpo4j.dsl.examples;

import static org.grpo4j.dsl.reward.Rewards.accuracy;
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
    void aChainCarriesTheFirstResultIntoTheSecondStep() {
        SplittableRandom rng = new SplittableRandom(3);
        for (Kind kind : Kind.values())
            for (int i = 0; i < 400; i++) {
                Problem p = ChainProblems.problem(rng, kind);
                int[] n = numbers(p.expression());
                char[] ops = p.expression().replaceAll("[0-9]", "").toCharArray();
                int ab = ops[0] == '+' ? n[0] + n[1] : n[0] - n[1];
                assertTrue(ab >= 0 && ab <= 99, p.expression());
                int result = ops.length == 1 ? ab : ops[1] == '+' ? ab + n[2] : ab - n[2];
                assertTrue(result >= 0 && result <= 99, p.expression());
                assertEquals(Integer.toString(result), p.solution());
                assertTrue(p.completion().startsWith("<think>\n" + n[0] + ops[0] + n[1] + "\n"), p.completion());
                if (ops.length == 2) assertTrue(p.completion().contains("\n" + ab + ops[1] + n[2] + "\n"), p.completion());
                assertEquals(1.0, accuracy().score(p.completion(), p.solution()), p.completion());
                assertEquals(1.0, format().score(p.completion()), p.completion());
                assertEquals(1.0, tagCount().score(p.completion()), p.completion());
                assertEquals(kind == Kind.ADD_SUB || kind == Kind.SUB_ADD, kind.isTarget());
            }
    }

    @Test
    void noTargetSolutionIsEverWrittenAndNoHeldOutExpressionIsTrainedOn(@TempDir Path dir) throws Exception {
        ChainProblems.Data d = ChainProblems.generate(7, 900, 60, 600, 60);
        for (Problem p : d.baseTrain()) assertFalse(p.kind().isTarget(), p.prompt());
        for (Problem p : d.baseTest()) assertFalse(p.kind().isTarget(), p.prompt());
        for (Problem p : d.targetTrain()) assertTrue(p.kind().isTarget(), p.prompt());
        for (Problem p : d.targetTest()) assertTrue(p.kind().isTarget(), p.prompt());
        Set<String> heldOut = new HashSet<>();
        for (Problem p : d.baseTest()) heldOut.add(p.expression());
        for (Problem p : d.targetTest()) heldOut.add(p.expression());
        assertEquals(120, heldOut.size(), "held-out expressions are distinct");
        for (Problem p : d.baseTrain()) assertFalse(heldOut.contains(p.expression()), p.expression());
        for (Problem p : d.targetTrain()) assertFalse(heldOut.contains(p.expression()), p.expression());

        ChainProblems.writeJsonl(d.targetTrain(), dir.resolve("target.jsonl"));
        ChainProblems.writeJsonl(d.baseTrain(), dir.resolve("base.jsonl"));
        for (Map<String, Object> row : ArithmeticProblems.readJsonl(dir.resolve("target.jsonl")))
            assertEquals(Set.of("prompt", "solution", "kind"), row.keySet(), "a target row has nothing to imitate: " + row);
        // no demonstration switches operation within a chain: its expression lines all use one sign
        for (Problem p : d.baseTrain()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\n\\d+([+-])\\d+\\n").matcher(p.completion());
            Set<String> signs = new HashSet<>();
            for (int from = 0; m.find(from); from = m.end() - 1) signs.add(m.group(1));
            assertEquals(1, signs.size(), p.completion());
        }
    }

    @Test
    void theCommittedDataIsWhatTheGeneratorWrites(@TempDir Path dir) throws Exception {
        Path shipped = Path.of(System.getProperty("user.dir")).getParent().resolve("examples/r1-zero/data");
        ChainProblems.main(new String[] {dir.toString()});
        for (String f : List.of("base-train.jsonl", "base-test.jsonl", "target-train.jsonl", "target-test.jsonl"))
            assertEquals(Files.readString(shipped.resolve(f)), Files.readString(dir.resolve(f)), f);
    }

    private static int[] numbers(String expression) {
        String[] parts = expression.split("[+-]");
        int[] n = new int[parts.length];
        for (int i = 0; i < parts.length; i++) n[i] = Integer.parseInt(parts[i]);
        return n;
    }
}
