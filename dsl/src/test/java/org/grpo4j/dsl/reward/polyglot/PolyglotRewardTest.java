package org.grpo4j.dsl.reward.polyglot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.reward.ComposedReward.RewardException;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.Test;

/** Python and JavaScript rewards with TRL's calling convention, run by GraalVM Polyglot. */
class PolyglotRewardTest {
    static final String PY = "src/test/resources/rewards/trl_rewards.py";
    static final String JS = "src/test/resources/rewards/trl_rewards.js";
    static final String GOOD = "<think>\n6*7\n</think>\n<answer>\n42\n</answer>";

    @Test
    void formatRewardFromAFileScoresTheBatch() {
        Reward r = Rewards.python(PY, "format_reward");
        assertEquals("format_reward", r.name());
        assertArrayEquals(new double[] {1.0, 0.0}, r.scoreAll(List.of(GOOD, "42"), null));
        assertEquals(1.0, r.score(GOOD));
    }

    @Test
    void goldGoesToTheSolutionColumnAndNoneIsNaN() {
        Reward r = Rewards.python(PY, "exact_answer");
        assertEquals(1.0, r.score(GOOD, "42"));
        assertEquals(0.0, r.score(GOOD, "41"));
        Map<String, Object> noGold = new java.util.HashMap<>();
        noGold.put("solution", null);
        assertTrue(Double.isNaN(r.score(GOOD, noGold)));
        assertTrue(Double.isNaN(Rewards.python(PY, "maybe").score("please skip me")));
        assertEquals(2.0, Rewards.python(PY, "maybe").score("four"));
    }

    @Test
    void promptsCompletionIdsAndExtraColumnsArePassedByName() {
        Reward r = Rewards.python(PY, "sees_everything");
        Sample s = new Sample("Add 2 and 3.", "5", new int[] {7, 8, 9}, "eos", Map.of("difficulty", 4L, "solution", "5"));
        assertArrayEquals(new double[] {12 * 1000 + 3 * 10 + 4}, r.score(List.of(s)));
    }

    @Test
    void conversationalRowsGiveMessageListsAsTrlDoes() {
        List<Map<String, String>> prompt = List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "1+1?"));
        Sample s = Sample.of(GOOD, Map.of("prompt", prompt));
        assertArrayEquals(new double[] {1.0}, Rewards.python(PY, "conversational").score(List.of(s)));
        assertArrayEquals(new double[] {1.0}, Rewards.python(PY, "format_reward").score(List.of(s)));
        assertArrayEquals(new double[] {1.0}, Rewards.js(JS, "format_reward").score(List.of(s)));
    }

    @Test
    void anExceptionNamesTheFunctionTheSampleAndTheLine() {
        Reward r = Rewards.python(PY, "fragile");
        RewardException e = assertThrows(RewardException.class, () -> r.scoreAll(List.of("hello", "abcd", "abc", "x"), null));
        assertTrue(e.getMessage().contains("'fragile'"), e.getMessage());
        assertTrue(e.getMessage().contains("ZeroDivisionError"), e.getMessage());
        assertTrue(e.getMessage().contains("on sample 2 of the batch (completion \"abc\")"), e.getMessage());
        assertTrue(e.getMessage().contains("trl_rewards.py line"), e.getMessage());
        assertEquals(1.0, r.score("abcd"), "the context stays usable after a guest exception");

        Reward j = Rewards.js(JS, "fragile");
        RewardException je = assertThrows(RewardException.class, () -> j.scoreAll(List.of("hello", "abc"), null));
        assertTrue(je.getMessage().contains("three characters") && je.getMessage().contains("sample 1"), je.getMessage());
    }

    @Test
    void wrongResultsAreErrorsThatSayWhatCameBack() {
        RewardException few = assertThrows(RewardException.class, () -> Rewards.python(PY, "too_few").scoreAll(List.of("a", "b", "c"), null));
        assertTrue(few.getMessage().contains("returned 2 values for a batch of 3 samples"), few.getMessage());
        RewardException one = assertThrows(RewardException.class, () -> Rewards.python(PY, "not_a_list").score("a"));
        assertTrue(one.getMessage().contains("instead of a list"), one.getMessage());
        RewardException str = assertThrows(RewardException.class, () -> Rewards.python(PY, "wrong_type").score("a"));
        assertTrue(str.getMessage().contains("not a number or None"), str.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Rewards.python(PY, "no_such_reward"));
        assertTrue(missing.getMessage().contains("no_such_reward") && missing.getMessage().contains("trl_rewards.py"), missing.getMessage());
        IllegalArgumentException syntax = assertThrows(IllegalArgumentException.class, () -> Rewards.pythonInline("def broken(:\n  pass", "broken"));
        assertTrue(syntax.getMessage().contains("<inline>.py"), syntax.getMessage());
    }

    @Test
    void oneLineLoopsAreStoppedByTheWallClockAndTheContextIsReused() {
        for (Reward r : List.of(Rewards.python(PY, "spins").timeout(Duration.ofMillis(500)), Rewards.js(JS, "spins").timeout(Duration.ofMillis(500)))) {
            long t0 = System.nanoTime();
            RewardException e = assertThrows(RewardException.class, () -> r.score("x"));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "stopped well before the test's patience ran out");
        }
        assertEquals(1.0, Rewards.python(PY, "format_reward").score(GOOD));
    }

    @Test
    void factoriesAndInlineSourceWork() {
        PolyglotReward r = Rewards.python(PY, "get_length_reward(scale=0.5)");
        assertEquals("length_reward", r.name(), "TRL names a reward by its function's __name__");
        assertEquals(2.0, r.score("abcd"));
        assertEquals(8.0, Rewards.js(JS, "lengthReward(2)").score("abcd"));
        Reward inline = Rewards.pythonInline("""
                def short(completions, **kwargs):
                    return [1.0 if len(c) < 5 else 0.0 for c in completions]
                """, "short");
        assertArrayEquals(new double[] {1.0, 0.0}, inline.scoreAll(List.of("abc", "abcdef"), null));
        Reward jsInline = Rewards.jsInline("function hasX(cs, kw) { return cs.map(c => c.includes('x') ? 1 : 0); }", "hasX");
        assertArrayEquals(new double[] {1.0, 0.0}, jsInline.scoreAll(List.of("xy", "ab"), null));
        assertEquals(1.0, Rewards.js(JS, "exact_answer").score(GOOD, "42"));
    }

    @Test
    void aSplitBatchGivesTheSameScoresAsOneCall() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 50; i++) texts.add(i % 3 == 0 ? GOOD : "answer " + i);
        PolyglotReward r = Rewards.python(PY, "format_reward");
        assertArrayEquals(r.scoreAll(texts, null), r.inParallel(2).scoreAll(texts, null));
    }

    @Test
    void theContextCannotTouchTheMachine() {
        Reward r = Rewards.pythonInline("""
                def probe(completions, **kwargs):
                    out = []
                    for attack in (lambda: open('/etc/hostname').read(), lambda: __import__('os').listdir('/'),
                                   lambda: __import__('subprocess').run(['true']), lambda: __import__('socket').create_connection(('127.0.0.1', 22)),
                                   lambda: __import__('java').type('java.lang.Runtime')):
                        try:
                            attack()
                            out.append(1.0)
                        except BaseException:
                            out.append(0.0)
                    return [sum(out)]
                """, "probe");
        assertEquals(0.0, r.score("x"), "every attack raised inside the guest");
    }

    @Test
    void yamlRecipesNameFunctionsInFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.copy(java.nio.file.Path.of(PY), dir.resolve("rewards.py"));
        java.nio.file.Files.writeString(dir.resolve("train.jsonl"), "{\"prompt\": \"1+1\", \"solution\": \"2\"}\n");
        java.nio.file.Path yaml = dir.resolve("grpo.yaml");
        java.nio.file.Files.writeString(yaml, """
                model_name_or_path: model
                dataset_name: train.jsonl
                reward_funcs: [accuracy, "rewards.py:format_reward", "rewards.py:get_length_reward(scale=2.0)"]
                """);
        var recipe = org.grpo4j.dsl.recipe.YamlRecipes.read(yaml).recipe();
        assertEquals(List.of("accuracy", "format_reward", "length_reward"), recipe.rewards().stream().map(w -> w.function().name()).toList());
        java.nio.file.Files.writeString(yaml, "model_name_or_path: model\ndataset_name: train.jsonl\nreward_funcs: [\"missing.py:f\"]\n");
        var e = assertThrows(org.grpo4j.dsl.recipe.RecipeException.class, () -> org.grpo4j.dsl.recipe.YamlRecipes.read(yaml));
        assertTrue(e.getMessage().contains("missing.py") && e.getMessage().contains("not found"), e.getMessage());
    }
}
