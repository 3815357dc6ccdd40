package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code :label} shows completions and saves each answer as typed; {@code :learn} trains a Tribuo reward on them. */
class ReplLabelTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A run's completions.jsonl: whole answers (good) and answers cut off inside the reasoning (bad), alternating. */
    private Path completions(int n) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int x = 10 + i, y = 3 + i;
            String c = i % 2 == 0 ? "<think>\n" + x + "+" + y + "=" + (x + y) + "\n</think>\n<answer>\n" + (x + y) + "\n</answer>"
                    : "<think>\n" + x + "+" + y;
            b.append(JSON.writeValueAsString(Map.of("step", 1, "prompt", "What is " + x + " plus " + y + "?", "completion", c, "reward", 0.0))).append('\n');
        }
        Path f = dir.resolve("run/completions.jsonl");
        Files.createDirectories(f.getParent());
        Files.writeString(f, b.toString());
        return f;
    }

    private static List<Map<?, ?>> rows(Path f) throws Exception {
        List<Map<?, ?>> out = new ArrayList<>();
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) out.add(JSON.readValue(l, Map.class));
        return out;
    }

    @Test
    void labelsARunsCompletionsSavingEachAnswerAsTypedAndLearnBindsARewardForTryAndRecipes() throws Exception {
        Path run = completions(14).getParent();
        Path labels = dir.resolve("labels/judge.jsonl");
        String script = String.join("\n",
                ":label \"" + run + "\" 3 into \"" + labels + "\"",
                "g", "maybe", "-", "s",
                // the skipped one and the rest come back in a second session; a command ends it
                ":label \"" + run.resolve("completions.jsonl") + "\" 20 into \"" + labels + "\"",
                "s", "0", "1", "b", "0.7", "good", "bad", "g", "b", "g", "b", "g",
                ":vars",
                ":label \"" + run + "\" into \"" + labels + "\"",
                "g", "q",
                ":learn judge",
                ":try judge on \"<think>\\n20+13=33\\n</think>\\n<answer>\\n33\\n</answer>\"",
                ":try judge on \"<think>\\n20+13\"",
                "var r = grpo().model(\"m\").dataset(\"d.jsonl\").reward(judge).reward(accuracy());",
                "System.out.println(r.rewards().get(0).function().name());",
                ":learn other from \"" + dir.resolve("none.jsonl") + "\"",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(1, s.exit(), "the last :learn names a missing file: " + s.out() + s.err());
        assertTrue(s.out().contains("labelling 3 completions into " + labels), s.out());
        assertTrue(s.out().contains("── 1/3 ──") && s.out().contains("completion: <think>"), s.out());
        assertTrue(s.err().contains("'maybe' is not an answer"), s.err());
        assertTrue(s.out().contains("done: 1 good, 1 bad, 1 skipped; saved in " + labels), s.out());
        // the second session skips the two labelled completions and shows the other twelve
        assertTrue(s.out().contains("labelling 12 completions into " + labels + " (2 labelled there already)"), s.out());
        assertTrue(s.err().contains(labels + " holds good/bad labels: answer g or b"), "0.7 is refused in a labels file: " + s.err());
        assertTrue(s.out().contains("labelling ended by a command: 5 good, 5 bad, 1 skipped"), s.out());
        assertTrue(s.out().contains("labelling 2 completions into " + labels + " (12 labelled there already)"),
                "the third session: the skipped one and the one left: " + s.out());
        assertTrue(s.out().contains("stopped: 1 good, 0 bad, 0 skipped"), s.out());

        List<Map<?, ?>> saved = rows(labels);
        assertEquals(13, saved.size(), "every label, none of the skips: " + saved);
        assertEquals("What is 10 plus 3?", saved.get(0).get("prompt"));
        assertEquals("good", saved.get(0).get("label"));
        assertEquals("bad", saved.get(1).get("label"));
        for (Map<?, ?> row : saved) {
            boolean whole = row.get("completion").toString().contains("</answer>");
            assertEquals(whole ? "good" : "bad", row.get("label"), "the script labels whole answers good: " + row);
        }
        assertTrue(s.out().contains("learned reward 'judge' (Tribuo logistic regression, P(good)): trained on 13 labelled completions of " + labels
                + " (7 good, 6 bad)"), s.out());
        assertTrue(s.out().matches("(?s).*accuracy on completions it was not trained on \\(5-fold cross-validation\\): \\d+\\.\\d%.*"), s.out());
        assertTrue(s.out().contains("judge is a reward now"), s.out());
        double whole = score(s.out(), "<think>\\n20+13=33"), cut = score(s.out(), "\"<think>\\n20+13\"");
        assertTrue(whole > 0.5 && cut < 0.5, "the learned reward tells whole from cut-off answers: " + whole + " vs " + cut + "\n" + s.out());
        assertTrue(s.out().contains("\njudge\n"), "the recipe took the learned reward under its name: " + s.out());
        assertTrue(s.err().contains(":learn: no labels in " + dir.resolve("none.jsonl")), s.err());
    }

    /** The value in the row of {@code :try}'s table whose completion starts with {@code start}. */
    private static double score(String out, String start) {
        for (String line : out.lines().toList()) {
            if (line.startsWith("1  \"") && line.contains(start.startsWith("\"") ? start : "\"" + start)) {
                String[] w = line.strip().split("\\s+");
                return Double.parseDouble(w[w.length - 1]);
            }
        }
        throw new AssertionError("no :try row for " + start + " in\n" + out);
    }

    @Test
    void labelsCompletionsSampledFromARecipesModelOnItsPromptsAndScoresTrainARegression() throws Exception {
        Path model = Launcher.root().resolve("examples/models/arithmetic-sft");
        Files.writeString(dir.resolve("data.jsonl"), "{\"prompt\": \"What is 12 plus 7?\", \"solution\": \"19\"}\n"
                + "{\"prompt\": \"What is 30 minus 4?\", \"solution\": \"26\"}\n{\"prompt\": \"What is 41 plus 15?\", \"solution\": \"56\"}\n");
        Path scores = dir.resolve("scores.jsonl");
        // the recipe's run has a checkpoint (here: a copy of the model): the current model is that checkpoint
        Path checkpoint = dir.resolve("run/checkpoint-3");
        Files.createDirectories(checkpoint);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, checkpoint.resolve(f.getFileName()));
        }
        String script = String.join("\n",
                "var r = grpo().model(\"" + model + "\").outputDir(\"" + dir.resolve("run") + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\")).promptTemplate(\"{prompt}\\n\")"
                        + ".reward(accuracy()).numGenerations(2).perDeviceTrainBatchSize(2).maxCompletionLength(24).temperature(1.5);",
                // six sampled (a repeated completion is shown once); three scored, then a command ends the session
                ":label r 6 into \"" + scores + "\"",
                "0.9", "1", "g", "0.1",
                ":learn graded from \"" + scores + "\" save \"" + dir.resolve("graded.tribuo") + "\"",
                "System.out.println(graded.classifies() + \" \" + learnedReward(\"" + scores + "\").score(\"x\"));",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        assertTrue(s.out().contains("sampling 6 completions"), s.out());
        assertTrue(s.out().contains("sampled from " + checkpoint), s.out());
        assertTrue(s.out().matches("(?s).*labelling [3-6] completions into " + java.util.regex.Pattern.quote(scores.toString()) + ".*"), s.out());
        assertTrue(s.out().contains("prompt:     What is"), "the prompt is shown: " + s.out());
        assertTrue(s.out().matches("(?s).*gold:       (19|26|56)\n.*"), "the row's gold answer is shown: " + s.out());
        assertTrue(s.err().contains(scores + " holds scores: answer with a number"), "g is refused in a scores file: " + s.err());
        assertTrue(s.out().contains("3 scored, 0 skipped; saved in " + scores), s.out());
        List<Map<?, ?>> saved = rows(scores);
        assertEquals(List.of(0.9, 1.0, 0.1), saved.stream().map(r -> ((Number) r.get("score")).doubleValue()).toList(), "a bare 1 is a score in a scores file");
        for (Map<?, ?> row : saved) {
            assertTrue(row.get("prompt").toString().startsWith("What is "), row.toString());
            assertTrue(List.of("19", "26", "56").contains(row.get("solution")), row.toString());
        }
        assertTrue(s.out().contains("trained on 3 scored completions of " + scores), s.out());
        assertTrue(s.out().contains("saved to " + dir.resolve("graded.tribuo")) && Files.size(dir.resolve("graded.tribuo")) > 0, s.out());
        assertTrue(s.out().contains("false "), "a regression, not a classifier: " + s.out());
    }
}
