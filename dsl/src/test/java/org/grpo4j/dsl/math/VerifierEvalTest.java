package org.grpo4j.dsl.math;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Agreement with Math-Verify on {@code verifier-eval.jsonl} (written by {@code make-verifier-eval.py} beside it from
 * Math-Verify's documented behaviour, never tuned to this code): reports the figure and every disagreement, and
 * requires 95%, the level a user of open-r1 would expect.
 */
class VerifierEvalTest {
    static final String SUITE = "/verifier-eval.jsonl";

    @Test
    void agreesWithMathVerifyOnNinetyFivePercent() throws IOException {
        ObjectMapper json = new ObjectMapper();
        int agree = 0, total = 0;
        List<String> disagreements = new ArrayList<>();
        try (var in = VerifierEvalTest.class.getResourceAsStream(SUITE)) {
            if (in == null) throw new IOException("test resource " + SUITE + " is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode n = json.readTree(line);
                String gold = n.get("gold").asText(), pred = n.get("pred").asText();
                JsonNode exp = n.get("expected");
                double got = verdict(n, gold, pred);
                boolean ok = exp.isNull() ? Double.isNaN(got) : got == exp.asDouble();
                total++;
                if (ok) agree++;
                else disagreements.add(SUITE + " line " + no + " (" + n.get("note").asText() + "): expected " + exp + ", got " + got);
            }
        }
        double pct = 100.0 * agree / total;
        System.out.printf("verifier agreement with Math-Verify: %d/%d = %.1f%%%n", agree, total, pct);
        disagreements.forEach(d -> System.out.println("  disagrees: " + d));
        assertTrue(total >= 100, "suite has only " + total + " cases");
        assertTrue(pct >= 95.0, String.format("agreement %.1f%% < 95%%: %s", pct, disagreements));
    }

    static double verdict(JsonNode n, String gold, String pred) {
        if (n.get("mode").asText().equals("openr1")) return MathVerifier.OPEN_R1.verify(pred, gold);
        MathVerifier v = MathVerifier.DEFAULT.withFloatRounding(n.path("float_rounding").asInt(6))
                .withStrict(n.path("strict").asBoolean(true))
                .withSetRelationComp(n.path("allow_set_relation_comp").asBoolean(false));
        var g = MathVerifier.parse(gold, AnswerExtractor.Config.DEFAULT, v.timeoutMillis());
        var p = MathVerifier.parse(pred, AnswerExtractor.Config.DEFAULT, v.timeoutMillis());
        return v.verify(g, p) ? 1.0 : 0.0;
    }
}
