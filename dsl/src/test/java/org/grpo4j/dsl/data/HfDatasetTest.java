package org.grpo4j.dsl.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face dataset folders and Parquet: splits, configs, nested columns, pushdown and bad data. */
class HfDatasetTest {
    @TempDir
    static Path dir;
    static Path numina, openR1, code;

    @BeforeAll
    static void fixtures() throws Exception {
        numina = HfFixtures.numinaMathTir(dir.resolve("NuminaMath-TIR"), 300, 20);
        openR1 = HfFixtures.openR1Math(dir.resolve("OpenR1-Math-220k"));
        code = HfFixtures.codeProblems(dir.resolve("code"));
    }

    @Test
    void aNuminaFolderReadsItsSplitsWithNestedMessages() {
        HfFolder f = HfFolder.open(numina, null);
        assertEquals(List.of("train", "test"), List.copyOf(f.splits().keySet()));
        assertEquals("parquet", f.format());
        assertEquals("default", f.config());
        Dataset train = Dataset.hf(numina, "train");
        assertEquals(300, train.size());
        assertEquals(20, Dataset.hf(numina.toString(), "test").size());
        assertEquals(300, Dataset.hf(numina).size());
        assertEquals(300, Dataset.of(numina).size());
        assertEquals(List.of("problem", "solution", "messages"), train.columns());
        assertEquals("3+3=?", train.row(3).get("problem"));
        assertEquals(List.of(Map.of("role", "user", "content", "3+3=?"), Map.of("role", "assistant", "content", "So 6")), train.row(3).get("messages"));
        @SuppressWarnings("unchecked") Map<String, Object> first = ((List<Map<String, Object>>) train.row(3).get("messages")).getFirst();
        assertEquals(List.of("role", "content"), List.copyOf(first.keySet()));
        assertEquals(numina.resolve("data/train-00000-of-00001.parquet") + " row 4", train.origin(3));
        assertEquals(Map.of("problem", "string", "solution", "string", "messages", "list<struct<role: string, content: string>>"), train.columnTypes());
    }

    @Test
    void parquetTypesBecomeTheValuesJsonLinesRowsHold() throws Exception {
        Path f = HfFixtures.parquet(dir.resolve("types/t.parquet"), "SELECT 7::INTEGER AS i, 2.5::FLOAT AS f, 3.25::DECIMAL(5, 2) AS dec, true AS b, "
                + "DATE '2024-01-02' AS d, NULL::VARCHAR AS n, MAP {'a': 1} AS m, [1, NULL] AS l, {'x': NULL, 'y': [true]} AS s, 'é✓' AS u");
        Map<String, Object> r = Dataset.parquet(f).row(0);
        assertEquals(7L, r.get("i"));
        assertEquals(2.5, r.get("f"));
        assertEquals(3.25, r.get("dec"));
        assertEquals(true, r.get("b"));
        assertEquals("2024-01-02", r.get("d"));
        assertTrue(r.containsKey("n"));
        assertNull(r.get("n"));
        assertEquals(Map.of("a", 1L), r.get("m"));
        assertEquals(java.util.Arrays.asList(1L, null), r.get("l"));
        Map<String, Object> s = new java.util.LinkedHashMap<>();
        s.put("x", null);
        s.put("y", List.of(true));
        assertEquals(s, r.get("s"));
        assertEquals("é✓", r.get("u"));
    }

    @Test
    void anUnknownSplitOrConfigListsTheOnesThere() {
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.hf(numina, "validation"));
        assertEquals(numina + ": no split 'validation' in config 'default'; splits are: train, test", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.hf(openR1, "all", "train"));
        assertEquals(openR1 + ": no config 'all'; configs are: default, extended", e.getMessage());
    }

    @Test
    void readmeConfigsPickFilesAndShardsAreReadInOrder() {
        Dataset d = Dataset.hf(openR1, "train");                     // the config named default
        assertEquals(50, d.size());
        assertEquals("Find 29*2", d.row(29).get("problem"));
        assertEquals("Find 30*2", d.row(30).get("problem"));
        assertTrue(d.origin(30).endsWith("train-00001-of-00002.parquet row 1"), d.origin(30));
        assertEquals(List.of(true, false), d.row(0).get("correctness_math_verify"));
        assertEquals(List.of("<think>double</think> \\boxed{0}", "\\boxed{1}"), d.row(0).get("generations"));
        assertEquals("list<bool>", d.columnTypes().get("correctness_math_verify"));
        Dataset ext = Dataset.hf(openR1, "extended", "train");
        assertEquals(20, ext.size());
        assertEquals("Find 100*2", ext.row(0).get("problem"));
    }

    @Test
    void verificationInfoReadsAsAStructOrAsParsedJsonText() {
        Dataset struct = Dataset.hf(code.resolve("struct"), "train");
        Dataset text = Dataset.hf(code.resolve("string"), "train");
        assertTrue(text.row(2).get("verification_info") instanceof String);
        Map<String, Object> expected = Map.of("language", "python", "test_cases", List.of(Map.of("input", "2", "output", "4", "type", "stdin_stdout")));
        assertEquals(expected, struct.row(2).get("verification_info"));
        assertEquals(expected, text.parseJson("verification_info").row(2).get("verification_info"));
        assertEquals(expected, struct.parseJson("verification_info").row(2).get("verification_info")); // already a value: kept
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.of(List.of(Map.of("v", "{oops"))).parseJson("v").size());
        assertTrue(e.getMessage().startsWith("row 1, column 'v': not JSON: "), e.getMessage());
    }

    @Test
    void selectAndTakeOnAFileAreReadByTheReader() throws Exception {
        Path f = numina.resolve("data/train-00000-of-00001.parquet");
        Dataset d = Dataset.parquet(f).select("solution", "problem").take(5);
        assertEquals(5, d.size());
        assertEquals(List.of("solution", "problem"), d.columns());
        assertEquals(List.of("solution", "problem"), List.copyOf(d.row(4).keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.parquet(f).select("question").size());
        assertEquals("dataset column 'question' not found in " + f + "; columns are: problem, solution, messages", e.getMessage());
        // the same pushdown for JSON Lines keeps only the selected columns
        Path j = DatasetTest.write(dir, "pushdown.jsonl", "{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}\n{\"a\": 5}\n");
        assertEquals(List.of(Map.of("a", 1L), Map.of("a", 3L)), Dataset.jsonl(j).select("a").take(2).rows());
        assertEquals("dataset column 'c' not found in " + j + "; columns are: a, b",
                assertThrows(IllegalArgumentException.class, () -> Dataset.jsonl(j).select("c").size()).getMessage());
    }

    @Test
    void splitsComeFromFileAndFolderNamesAsDatasetsFindsThem() throws Exception {
        Path a = Files.createDirectories(dir.resolve("by-name"));
        DatasetTest.write(a, "train.jsonl", "{\"q\": 1}\n{\"q\": 2}\n");
        DatasetTest.write(a, "my_dev-1.jsonl", "{\"q\": 3}\n");
        DatasetTest.write(a, "test.json", "[{\"q\": 4}, {\"q\": 5}, {\"q\": 6}]");
        DatasetTest.write(a, "notes.txt", "not data");
        DatasetTest.write(a, ".hidden.jsonl", "{\"q\": 99}\n");
        HfFolder f = HfFolder.open(a, null);
        assertEquals(List.of("train", "validation", "test"), List.copyOf(f.splits().keySet()));
        assertEquals(3, Dataset.hf(a, "test").size());
        assertEquals(6L, Dataset.hf(a, "test").row(2).get("q"));
        assertNull(f.config());

        Path b = Files.createDirectories(dir.resolve("by-folder/data/train"));
        DatasetTest.write(b, "part-a.csv", "q,a\n1,2\n");
        DatasetTest.write(b, "part-b.csv", "q,a\n3,4\n");
        Files.createDirectories(dir.resolve("by-folder/data/validation"));
        DatasetTest.write(dir.resolve("by-folder/data/validation"), "x.csv", "q,a\n5,6\n");
        assertEquals(List.of("train", "validation"), List.copyOf(HfFolder.open(dir.resolve("by-folder"), null).splits().keySet()));
        assertEquals(List.of("1", "3"), Dataset.hf(dir.resolve("by-folder"), "train").column("q"));

        Path c = Files.createDirectories(dir.resolve("plain"));
        DatasetTest.write(c, "problems.tsv", "q\ta\n1+1\t2\n");
        assertEquals(List.of("train"), List.copyOf(HfFolder.open(c, null).splits().keySet()));
        assertEquals("2", Dataset.hf(c).row(0).get("a"));

        Path s = Files.createDirectories(dir.resolve("custom-shards/data"));
        DatasetTest.write(s, "train-00000-of-00001.jsonl", "{\"q\": 1}\n");
        DatasetTest.write(s, "hard-00000-of-00001.jsonl", "{\"q\": 2}\n");
        assertEquals(List.of("train", "hard"), List.copyOf(HfFolder.open(dir.resolve("custom-shards"), null).splits().keySet()));
    }

    @Test
    void aHubNameIsFoundInTheLocalCacheAndOtherwiseSaysHowToDownload() throws Exception {
        String home = System.getProperty("user.home");
        Path fakeHome = dir.resolve("home");
        Path repo = fakeHome.resolve(".cache/huggingface/hub/datasets--AI-MO--NuminaMath-TIR");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "abc123\n");
        HfFixtures.parquet(repo.resolve("snapshots/abc123/data/train-00000-of-00001.parquet"), "SELECT 'x' AS problem FROM range(7)");
        try {
            System.setProperty("user.home", fakeHome.toString());
            if (System.getenv("HF_HUB_CACHE") == null && System.getenv("HF_HOME") == null) assertEquals(7, Dataset.of("AI-MO/NuminaMath-TIR").size());
            var e = assertThrows(IllegalArgumentException.class, () -> Dataset.of("open-r1/OpenR1-Math-220k"));
            assertTrue(e.getMessage().startsWith("open-r1/OpenR1-Math-220k: not a local file or folder, and not in the Hugging Face cache"), e.getMessage());
            assertTrue(e.getMessage().endsWith("run `huggingface-cli download --repo-type dataset open-r1/OpenR1-Math-220k --local-dir DIR` and give DIR"));
        } finally {
            System.setProperty("user.home", home);
        }
    }

    @Test
    void brokenFilesAndMismatchedShardsFailWholeNamingTheFile() throws Exception {
        Path broken = Files.createDirectories(dir.resolve("broken/data"));
        Files.copy(numina.resolve("data/train-00000-of-00001.parquet"), broken.resolve("train-00000-of-00002.parquet"));
        Files.write(broken.resolve("train-00001-of-00002.parquet"), "PAR1 this is not parquet".getBytes());
        Dataset d = Dataset.hf(dir.resolve("broken"), "train");
        var e = assertThrows(IllegalArgumentException.class, d::size);
        assertTrue(e.getMessage().startsWith(broken.resolve("train-00001-of-00002.parquet") + ": cannot read as Parquet: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, d::size); // still nothing loaded: the same error again, not half the rows

        Path mixed = Files.createDirectories(dir.resolve("mixed/data"));
        HfFixtures.parquet(mixed.resolve("train-00000-of-00002.parquet"), "SELECT 'a' AS problem, 'b' AS solution");
        HfFixtures.parquet(mixed.resolve("train-00001-of-00002.parquet"), "SELECT 'a' AS problem, 'b' AS answer");
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.hf(dir.resolve("mixed")).size());
        assertEquals(mixed.resolve("train-00001-of-00002.parquet") + ": its columns (problem, answer) differ from those of " + mixed.resolve("train-00000-of-00002.parquet")
                + " (problem, solution); the files of one split must have the same columns", e.getMessage());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        DatasetTest.write(empty, "README.md", "# nothing\n");
        assertEquals(empty + ": no data files (parquet, arrow, jsonl, json, csv, tsv) in the folder",
                assertThrows(IllegalArgumentException.class, () -> Dataset.hf(empty)).getMessage());
        assertEquals(dir.resolve("nowhere") + ": folder not found", assertThrows(IllegalArgumentException.class, () -> Dataset.hf(dir.resolve("nowhere"))).getMessage());
    }

    @Test
    void jsonArraysAreReadElementByElementWithTheirLines() throws Exception {
        Path f = DatasetTest.write(dir, "records.json", "[\n  {\"q\": \"a\"},\n  {\"q\": \"b\", \"n\": [1, 2]}\n]\n");
        Dataset d = Dataset.file(f);
        assertEquals(2, d.size());
        assertEquals(f + ":3", d.origin(1));
        assertEquals(List.of(1L, 2L), d.row(1).get("n"));
        Path bad = DatasetTest.write(dir, "bad.json", "[\n {\"q\": 1},\n 7\n]");
        assertEquals(bad + ":3: array element 2 is not a JSON object", assertThrows(BadRowException.class, () -> Dataset.json(bad).size()).getMessage());
        assertEquals(1, Dataset.json(bad).onBadRows(BadRows.SKIP).size());
        Path lines = DatasetTest.write(dir, "lines.json", "{\"q\": 1}\n{\"q\": 2}\n");
        assertEquals(2, Dataset.file(lines).size());
    }

    @Test
    void trainTestSplitAndShuffleAreSeeded() {
        Dataset d = Dataset.hf(numina, "train");
        Dataset.Split a = d.trainTestSplit(0.1, 7), b = d.trainTestSplit(0.1, 7);
        assertEquals(30, a.test().size());
        assertEquals(270, a.train().size());
        assertEquals(a.test().column("problem"), b.test().column("problem"));
        assertEquals(d.shuffle(3).column("problem"), d.shuffle(3).column("problem"));
    }
}
