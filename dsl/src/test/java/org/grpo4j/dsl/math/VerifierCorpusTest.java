package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The labelled corpus {@code verifier-corpus.jsonl} (written by {@code make-verifier-corpus.py} beside it, labels
 * from construction): every case must get exactly its expected verdict, and nothing may throw.
 */
class VerifierCorpusTest {
    static final String CORPUS = "/verifier-corpus.jsonl";

    record Case(int line, String completion, String gold, Double expected, String note) {}

    static List<Case> cases() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Case> out = new ArrayList<>();
        try (var in = VerifierCorpusTest.class.getResourceAsStream(CORPUS)) {
            if (in == null) throw new IOException("test resource " + CORPUS + " is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = json.readTree(line);
                } catch (IOException e) {
                    throw new IOException(CORPUS + " line " + no + ": not JSON: " + e.getMessage(), e);
                }
                JsonNode exp = n.get("expected");
                if (n.get("completion") == null || n.get("gold") == null || exp == null)
                    throw new IOException(CORPUS + " line " + no + ": needs completion, gold and expected");
                out.add(new Case(no, n.get("completion").asText(), n.get("gold").asText(),
                        exp.isNull() ? null : exp.asDouble(), n.path("note").asText("")));
            }
        }
        return out;
    }

    static Stream<Arguments> corpus() throws IOException {
        return cases().stream().map(c -> Arguments.of(c.line(), c.note(), c));
    }

    @ParameterizedTest(name = "line {0}: {1}")
    @MethodSource("corpus")
    void verdictMatchesLabel(int line, String note, Case c) {
        double got = MathVerifier.DEFAULT.verify(c.completion(), c.gold());
        String what = "line " + line + " (" + note + "): completion " + c.completion() + " | gold " + c.gold()
                + " | parsed " + MathVerifier.parseCompletion(c.completion()) + " vs " + MathVerifier.parseGold(c.gold());
        if (c.expected() == null) assertTrue(Double.isNaN(got), what + " → expected NaN (gold unreadable), got " + got);
        else assertEquals(c.expected(), got, 0.0, what);
    }

    @Test
    void corpusIsLargeAndHasTheReferenceExample() throws IOException {
        List<Case> all = cases();
        assertTrue(all.size() >= 300, "corpus has only " + all.size() + " cases");
        assertEquals(1.0, MathVerifier.DEFAULT.verify("The answer is \\boxed{42}", "\\boxed{42}"));
        assertEquals(0.0, MathVerifier.DEFAULT.verify("x = 10", "10"));
        assertEquals(0.0, MathVerifier.DEFAULT.verify("\\boxed{3.14}", "\\boxed{pi}"));
    }
}
