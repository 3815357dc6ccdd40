package org.grpo4j.dsl.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.grpo4j.dsl.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataGenRecipeTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path MODEL = ROOT.resolve("examples/models/arithmetic-sft");
    static final ObjectMapper JSON = new ObjectMapper();

    /** 12 training questions, 3 answers each, 4 prompts per generation call. */
    static DataGenRecipe recipe(Path tmp, Path out) throws Exception {
        Path data = tmp.resolve("prompts.jsonl");
        if (!Files.exists(data)) Files.write(data, Files.readAllLines(ROOT.resolve("examples/arithmetic/data/train.jsonl")).subList(0, 12));
        return DataGenRecipe.create().model(MODEL).dataset(Dataset.jsonl(data)).promptTemplate("{prompt}\n").answerColumn("solution")
                .completionColumn("generated").n(3).temperature(1.0).maxTokens(64).batchCompletions(12).output(out).quiet();
    }

    static List<JsonNode> rows(Path f) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) out.add(JSON.readTree(l));
        return out;
    }

    @Test
    void keptRowsCarryEveryAnswerAndAKilledRunContinuesToTheSameFile(@TempDir Path tmp) throws Exception {
        Path full = tmp.resolve("full.jsonl");
        DataGenResult a = recipe(tmp, full).run();
        List<JsonNode> rows = rows(full);
        assertEquals(a.written(), rows.size());
        assertEquals(12, a.generatedNow());
        assertTrue(rows.size() > 0 && rows.size() <= 12);
        Set<Integer> seen = new HashSet<>();
        for (JsonNode r : rows) {
            assertTrue(seen.add(r.get("row_index").asInt()));
            assertEquals(3, r.get("generations").size());
            assertEquals(3, r.get("rewards").get("accuracy").size());
            int first = -1;
            for (int i = 0; i < 3 && first < 0; i++) if (r.get("correctness").get(i).asBoolean()) first = i;
            assertTrue(first >= 0, "keep correct writes only prompts with a correct answer");
            assertEquals(r.get("generations").get(first).asText(), r.get("generated").asText());
            assertEquals(r.get("prompt").asText() + "\n", r.get("messages").get(0).get("content").asText());
            assertEquals("assistant", r.get("messages").get(1).get("role").asText());
            assertTrue(r.get("generated").asText().contains("<answer>\n" + r.get("solution").asText() + "\n</answer>"), r.toString());
        }

        // a run killed in the middle of the third call: two calls' rows and progress, then half a row
        Path cut = tmp.resolve("cut.jsonl");
        List<String> lines = Files.readAllLines(full);
        StringBuilder partial = new StringBuilder();
        int keptRows = 0;
        for (String l : lines) {
            if (JSON.readTree(l).get("row_index").asInt() < 8) {
                partial.append(l).append('\n');
                keptRows++;
            }
        }
        String next = lines.stream().filter(l -> l.contains("\"row_index\":8") || l.contains("\"row_index\":9")).findFirst().orElse(lines.getLast());
        partial.append(next, 0, next.length() / 2);
        Files.writeString(cut, partial);
        List<String> progress = Files.readAllLines(Progress.file(full));
        Files.write(Progress.file(cut), progress.subList(0, 1 + 8)); // settings + prompts 0..7
        DataGenResult b = recipe(tmp, cut).run();
        assertEquals(8, b.resumed());
        assertEquals(4, b.generatedNow());
        assertEquals(lines, Files.readAllLines(cut), "the continued file equals the uninterrupted one");
        assertEquals(keptRows + b.writtenNow(), b.written());

        // a third run has nothing left to do
        DataGenResult c = recipe(tmp, cut).run();
        assertEquals(0, c.generatedNow());
        assertEquals(lines, Files.readAllLines(cut));
        // other settings on the same file are refused, naming what changed
        var e = assertThrows(IllegalArgumentException.class, () -> recipe(tmp, cut).n(4).run());
        assertTrue(e.getMessage().contains("n: 3 → 4"), e.getMessage());
        // the same file over a reordered data set: the recorded prompts no longer match their rows
        var moved = assertThrows(IllegalArgumentException.class,
                () -> recipe(tmp, cut).dataset(Dataset.jsonl(tmp.resolve("prompts.jsonl")).shuffle(7)).run());
        assertTrue(moved.getMessage().contains("was made from other prompts"), moved.getMessage());
    }

    @Test
    void keepBestAndAllWriteEveryPrompt(@TempDir Path tmp) throws Exception {
        List<JsonNode> all = rows(recipe(tmp, tmp.resolve("all.jsonl")).keep(Keep.ALL).run().output());
        List<JsonNode> best = rows(recipe(tmp, tmp.resolve("best.jsonl")).keep(Keep.BEST).run().output());
        assertEquals(12, all.size());
        assertEquals(12, best.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(all.get(i).get("generations").get(0).asText(), all.get(i).get("generated").asText());
            // same seeds, same answers: best keeps a correct one whenever there is one (accuracy is the only reward)
            boolean any = false;
            for (JsonNode x : best.get(i).get("correctness")) any |= x.asBoolean();
            int kept = -1;
            for (int k = 0; k < 3; k++) if (best.get(i).get("generations").get(k).asText().equals(best.get(i).get("generated").asText())) kept = k;
            assertEquals(any, best.get(i).get("correctness").get(kept).asBoolean());
        }
    }

    @Test
    void anInputColumnOfTheSameNameIsRefused(@TempDir Path tmp) throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> recipe(tmp, tmp.resolve("x.jsonl")).completionColumn("completion").run());
        assertTrue(e.getMessage().contains("already has a column 'completion'"), e.getMessage());
    }
}
