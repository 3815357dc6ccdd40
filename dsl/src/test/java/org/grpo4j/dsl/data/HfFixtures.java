package org.grpo4j.dsl.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * Dataset folders shaped like the ones {@code huggingface-cli download --repo-type dataset} leaves, written with
 * DuckDB's {@code COPY … TO … (FORMAT parquet)}: the columns and nesting of NuminaMath-TIR, open-r1's verifiable
 * code problems and OpenR1-Math-220k, with made-up rows that a character-level tiny model can tokenise.
 */
public final class HfFixtures {
    private HfFixtures() {}

    public static void sql(String... statements) throws Exception {
        try (Connection c = ParquetReader.connect(); Statement s = c.createStatement()) {
            for (String q : statements) s.execute(q);
        }
    }

    static String q(Path p) {
        return "'" + p.toString().replace("'", "''") + "'";
    }

    /** {@code SELECT …} rows to a Parquet file (folders created). */
    public static Path parquet(Path file, String select) throws Exception {
        Files.createDirectories(file.getParent());
        sql("COPY (" + select + ") TO " + q(file) + " (FORMAT parquet)");
        return file;
    }

    /** NuminaMath-TIR: problem, solution, messages (a list of {role, content}); data/train-…, data/test-… and a README with configs. */
    public static Path numinaMathTir(Path dir, int trainRows, int testRows) throws Exception {
        String rows = "SELECT i || '+' || (i %% 7) || '=?' AS problem, 'The sum is \\boxed{' || (i + i %% 7) || '}' AS solution, "
                + "[{'role': 'user', 'content': i || '+' || (i %% 7) || '=?'}, {'role': 'assistant', 'content': 'So ' || (i + i %% 7)}] AS messages "
                + "FROM range(%d, %d) t(i)";
        parquet(dir.resolve("data/train-00000-of-00001.parquet"), rows.formatted(0, trainRows));
        parquet(dir.resolve("data/test-00000-of-00001.parquet"), rows.formatted(1000, 1000 + testRows));
        Files.writeString(dir.resolve("README.md"), """
                ---
                dataset_info:
                  features:
                  - name: problem
                    dtype: string
                configs:
                - config_name: default
                  data_files:
                  - split: train
                    path: data/train-*
                  - split: test
                    path: data/test-*
                license: apache-2.0
                ---
                # NuminaMath-TIR (fixture)
                """);
        Files.createDirectories(dir.resolve(".cache/huggingface"));
        Files.writeString(dir.resolve(".cache/huggingface/download.lock"), "left by huggingface-cli");
        return dir;
    }

    /**
     * OpenR1-Math-220k: problem, solution, answer, generations (list of text), correctness_math_verify (list of
     * booleans), two configs ({@code default} sharded in two files, {@code extended} in one), no config marked default
     * other than by its name.
     */
    public static Path openR1Math(Path dir) throws Exception {
        String rows = "SELECT 'Find ' || i || '*2' AS problem, 'Twice ' || i || ' is ' || (2 * i) AS solution, CAST(2 * i AS VARCHAR) AS answer, "
                + "['<think>double</think> \\boxed{' || (2 * i) || '}', '\\boxed{' || (2 * i + 1) || '}'] AS generations, "
                + "[true, false] AS correctness_math_verify FROM range(%d, %d) t(i)";
        parquet(dir.resolve("data/default/train-00000-of-00002.parquet"), rows.formatted(0, 30));
        parquet(dir.resolve("data/default/train-00001-of-00002.parquet"), rows.formatted(30, 50));
        parquet(dir.resolve("data/extended/train-00000-of-00001.parquet"), rows.formatted(100, 120));
        Files.writeString(dir.resolve("README.md"), """
                ---
                license: apache-2.0
                configs:
                - config_name: default
                  data_files:
                  - split: train
                    path: data/default/train-*
                - config_name: extended
                  data_files:
                  - split: train
                    path: data/extended/train-*
                ---
                """);
        return dir;
    }

    /** open-r1's verifiable code problems: verification_info as a struct, and the same rows with it as a JSON string. */
    public static Path codeProblems(Path dir) throws Exception {
        String info = "{'language': 'python', 'test_cases': [{'input': CAST(i AS VARCHAR), 'output': CAST(i * i AS VARCHAR), 'type': 'stdin_stdout'}]}";
        parquet(dir.resolve("struct/data/train-00000-of-00001.parquet"),
                "SELECT 'Print the square of ' || i AS problem, " + info + " AS verification_info FROM range(5) t(i)");
        parquet(dir.resolve("string/data/train-00000-of-00001.parquet"),
                "SELECT 'Print the square of ' || i AS problem, to_json(" + info + ")::VARCHAR AS verification_info FROM range(5) t(i)");
        return dir;
    }
}
