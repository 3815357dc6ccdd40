package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python rewards in the REPL: {@code :python} defines one, {@code :try} scores with it. */
class ReplPythonTest {
    @Test
    void pythonDefinesARewardThatTryScores(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rewards.py");
        Files.writeString(file, "def has_answer(completions, **kwargs):\n    return [1.0 if '<answer>' in c else 0.0 for c in completions]\n");
        ReplPipeTest.Session s = ReplPipeTest.session(ReplServices.basic(), """
                :python def shorty(completions, **kwargs): return [1.0 if len(c) < 6 else None for c in completions]
                :try shorty on "hello"
                :try shorty on "hello world"
                :python %s:has_answer
                :try has_answer on "<answer>4</answer>"
                :python print
                """.formatted(file));
        assertEquals(1, s.exit(), "the last :python is a usage error");
        assertTrue(s.out().contains("1  \"hello\"      1.000  1.000"), s.out());
        assertTrue(s.out().contains("1  \"hello world\"     NaN    NaN"), "None is NaN: " + s.out());
        assertTrue(s.out().contains("1  \"<answer>4</answer>\"       1.000  1.000"), s.out());
        assertTrue(s.err().contains("usage: :python def NAME"), s.err());
    }
}
