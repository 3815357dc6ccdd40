package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.grpo4j.train.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@code oracle/grpo-loss/cases.json} (TRL's _compute_loss in float64, autograd gradients): loss,
 * d loss / d logp, per-token loss and metrics. The cases are (B, T) padded; each row becomes one packed sequence
 * of all T tokens, the mask decides what counts (rows with an empty mask stay in B, as in TRL).
 */
class GrpoLossOracleTest {

    static final double TOL = 1e-12;

    record Case(String name, LossSettings settings, LossScale scale, int[] start, double[] logp, double[] old, double[] ref, double[] mask,
                double[] adv, double loss, double[] grad, double[] perTokenLoss, Map<String, Double> metrics) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() throws IOException {
        Path p = Path.of("src/test/resources/oracle/grpo-loss/cases.json");
        if (!Files.exists(p)) p = Path.of(System.getProperty("grpo4j.root", "."), "runtime", p.toString());
        JsonNode root = new ObjectMapper().readTree(p.toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root.get("cases")) out.add(parse(c));
        return out;
    }

    static Case parse(JsonNode c) {
        JsonNode s = c.get("settings"), in = c.get("inputs"), o = c.get("outputs");
        // the fixture's settings by their TRL names; those it does not name keep TRL's defaults
        Map<String, Object> byName = new HashMap<>();
        for (Setting d : LossSettings.SETTINGS.settings()) {
            JsonNode v = s.get(d.name());
            if (v != null && !v.isNull()) byName.put(d.name(), d.coerce(v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText()));
        }
        LossSettings settings = LossSettings.SETTINGS.bind(byName, null);
        LossScale scale = new LossScale(s.get("gradient_accumulation_steps").asInt(), s.get("max_completion_length").asInt(),
                s.get("num_items_in_batch").asDouble());
        int B = in.get("logp").size(), T = in.get("logp").get(0).size();
        int[] start = new int[B + 1];
        for (int b = 0; b <= B; b++) start[b] = b * T;
        Map<String, Double> metrics = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.get("metrics").fields(); it.hasNext(); ) {
            var e = it.next();
            metrics.put(e.getKey(), e.getValue().asDouble());
        }
        double[] adv = new double[B];
        for (int b = 0; b < B; b++) adv[b] = in.get("advantages").get(b).asDouble();
        return new Case(c.get("name").asText(), settings, scale, start, flat(in.get("logp")), flat(in.get("old_logp")),
                in.get("ref_logp").isNull() ? null : flat(in.get("ref_logp")), flat(in.get("mask")), adv,
                o.get("loss").asDouble(), flat(o.get("grad_logp")), flat(o.get("per_token_loss")), metrics);
    }

    static double[] flat(JsonNode rows) {
        int B = rows.size(), T = rows.get(0).size();
        double[] v = new double[B * T];
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) v[b * T + t] = rows.get(b).get(t).asDouble();
        return v;
    }

    static Stream<Case> all() throws IOException {
        return cases().stream();
    }

    @Test
    void fixtureHasAllCases() throws IOException {
        List<Case> cs = cases();
        assertEquals(65, cs.size());
        for (LossType t : LossType.values())
            for (ImportanceSamplingLevel l : ImportanceSamplingLevel.values())
                assertTrue(cs.stream().anyMatch(c -> c.settings.lossType() == t && c.settings.importanceSamplingLevel() == l), t + "/" + l);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void matchesTorchInDouble(Case c) {
        double[] grad = new double[c.logp.length], ptl = new double[c.logp.length];
        LossResult r = GrpoLoss.compute(c.settings, c.scale, c.start, c.logp, c.old, c.ref, c.mask, c.adv, null, grad, ptl);
        assertEquals(c.loss, r.loss(), TOL * Math.max(1, Math.abs(c.loss)), "loss");
        assertClose("grad_logp", c.grad, grad, TOL);
        assertClose("per_token_loss", c.perTokenLoss, ptl, TOL);

        Map<String, Double> expected = new HashMap<>(c.metrics);
        if (expected.containsKey("clip_ratio/low_mean")) {
            // one process: TRL's cross-process min/max are the local values
            expected.put("clip_ratio/low_min", expected.get("clip_ratio/low_mean"));
            expected.put("clip_ratio/high_max", expected.get("clip_ratio/high_mean"));
        }
        Map<String, Double> got = r.metrics();
        assertEquals(expected.keySet(), got.keySet(), "metric names");
        for (var e : expected.entrySet()) assertEquals(e.getValue(), got.get(e.getKey()), 1e-14, e.getKey());
    }

    /** The engine's float entry point agrees with the oracle to float precision. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void floatEntryPointMatchesToFloatPrecision(Case c) {
        int n = c.logp.length;
        float[] grad = new float[n], ptl = new float[n];
        LossResult r = new GrpoLoss().compute(c.settings, c.scale, c.start, f(c.logp), f(c.old), c.ref == null ? null : f(c.ref), f(c.mask),
                c.adv, null, grad, ptl);
        assertEquals(c.loss, r.loss(), 1e-5 * Math.max(1, Math.abs(c.loss)), "loss");
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = grad[i];
        assertClose("grad_logp", c.grad, g, 1e-5);
    }

    static float[] f(double[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
        return o;
    }

    /** max |a − b| relative to the largest magnitude of the expected array (at least 1e-3). */
    static void assertClose(String what, double[] expected, double[] got, double tol) {
        double scale = 1e-3, err = 0;
        int worst = -1;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - got[i]);
            if (d > err) {
                err = d;
                worst = i;
            }
        }
        assertTrue(err / scale <= tol, what + ": relative error " + err / scale + " at flat index " + worst
                + (worst >= 0 ? " (expected " + expected[worst] + ", got " + got[worst] + ")" : ""));
    }
}
