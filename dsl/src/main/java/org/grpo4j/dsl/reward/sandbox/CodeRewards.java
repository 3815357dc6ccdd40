package org.grpo4j.dsl.reward.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.dsl.reward.ComposedReward.RewardException;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.dsl.reward.sandbox.Job.Outcome;
import org.grpo4j.reward.ExplainedReward;
import org.grpo4j.reward.Sample;

/**
 * open-r1's code-execution rewards ({@code code_reward}, {@code binary_code_reward}), run locally in the
 * {@link Sandbox} instead of E2B. The program is the last fenced block of the row's language in the completion
 * ({@code ```python\n...```}); it runs once per test case of the row's {@code verification_info}
 * ({@code {"language": "python", "test_cases": [{"input": "...", "output": "...", "type": "stdin_stdout"}]}}, a map
 * or its JSON text); a test passes when the run exits with 0 and, line by line over the shorter of the two, the
 * stripped stdout lines equal the stripped expected lines (open-r1's check, zip and all). {@code code} is the
 * fraction passed; {@code binary_code} is 1 above 0.99. A row without {@code verification_info} gives NaN.
 *
 * <pre>{@code
 * Reward r = CodeRewards.code();
 * r.score("```python\nprint(int(input()) * 2)\n```",
 *         "{\"language\": \"python\", \"test_cases\": [{\"input\": \"21\", \"output\": \"42\", \"type\": \"stdin_stdout\"}]}"); // 1.0
 * }</pre>
 */
public final class CodeRewards {
    /** open-r1's {@code BINARY_THRESHOLD}: binary_code gives 1 when the pass rate is above it. */
    public static final double BINARY_THRESHOLD = 0.99;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ExecutorService JOBS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "grpo4j-code-reward");
        t.setDaemon(true);
        return t;
    });

    private CodeRewards() {}

    /** One sample's result: the pass rate (NaN when the row has no tests) and each test's outcome. */
    public record Report(double passRate, String code, List<Outcome> outcomes, List<Boolean> passed) {
        /**
         * Why the sample got its pass rate, for {@code completions.jsonl}: {@code passed 3/3}, or the count and the
         * first failed test with its cause (timeout, output limit, compile error, runtime error, exit code, wrong answer,
         * a crash of the worker).
         */
        public String reason() {
            if (outcomes.isEmpty()) return "no test cases";
            int n = 0, first = -1;
            for (int i = 0; i < passed.size(); i++) {
                if (passed.get(i)) n++;
                else if (first < 0) first = i;
            }
            String count = "passed " + n + "/" + passed.size();
            return first < 0 ? count : count + "; test " + (first + 1) + ": " + cause(outcomes.get(first));
        }

        private static String cause(Outcome o) {
            String detail = o.detail() == null || o.detail().isBlank() ? "" : ": " + o.detail();
            return switch (o.status()) {
                case TIMEOUT -> "timeout" + detail;
                case OUTPUT_LIMIT -> "output limit" + detail;
                case WORKER_DIED -> "crash (worker died)" + detail;
                case NOT_RUN -> "not run" + detail;
                case EXITED -> o.exitCode() == 0 ? o.detail() != null && o.detail().startsWith("no ```") ? o.detail() : "wrong answer"
                        : compileError(o.detail()) ? "compile error" + detail : detail.isEmpty() || o.detail().startsWith("exit(") ? "exit code " + o.exitCode()
                        : "runtime error" + detail;
            };
        }

        private static boolean compileError(String detail) {
            return detail != null && (detail.startsWith("SyntaxError") || detail.startsWith("IndentationError") || detail.startsWith("TabError"));
        }
    }

    /**
     * A code reward: the pass rate (or its binary form) of each sample, with the {@link Report#reason()} that the
     * trainer writes beside it in {@code completions.jsonl} as {@code <name>/reason}.
     */
    record CodeReward(String name, double weight, boolean binary, java.util.function.Supplier<Sandbox> sandbox) implements Reward, ExplainedReward {
        @Override
        public Explained scoreExplained(List<Sample> samples) {
            List<Report> reports = reports(samples, sandbox);
            double[] v = new double[reports.size()];
            String[] why = new String[reports.size()];
            for (int i = 0; i < v.length; i++) {
                double r = reports.get(i).passRate();
                v[i] = binary && !Double.isNaN(r) ? r > BINARY_THRESHOLD ? 1.0 : 0.0 : r;
                why[i] = reports.get(i).reason();
            }
            return new Explained(v, why);
        }

        @Override
        public double[] score(List<Sample> samples) {
            return scoreExplained(samples).values();
        }

        @Override
        public Reward named(String newName) {
            return new CodeReward(newName, weight, binary, sandbox);
        }

        @Override
        public Reward weighted(double w) {
            if (!Double.isFinite(w)) throw new IllegalArgumentException("reward '" + name + "': weight must be finite, got " + w);
            return new CodeReward(name, w, binary, sandbox);
        }
    }

    /** The pass rate on the row's tests, in the shared {@link Sandbox}. */
    public static Reward code() {
        return code(Sandbox::shared);
    }

    /** The pass rate, running programs in {@code sandbox}. */
    public static Reward code(java.util.function.Supplier<Sandbox> sandbox) {
        return new CodeReward("code", 1.0, false, sandbox);
    }

    /** 1.0 when the pass rate is above {@link #BINARY_THRESHOLD}, else 0.0; NaN stays NaN. */
    public static Reward binaryCode() {
        return binaryCode(Sandbox::shared);
    }

    public static Reward binaryCode(java.util.function.Supplier<Sandbox> sandbox) {
        return new CodeReward("binary_code", 1.0, true, sandbox);
    }

    private static List<Report> reports(List<Sample> samples, java.util.function.Supplier<Sandbox> sandbox) {
        List<Future<Report>> jobs = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int index = i;
            jobs.add(JOBS.submit(() -> {
                try {
                    return report(s.completion(), s.row(), sandbox);
                } catch (IllegalArgumentException e) {
                    throw new RewardException("code reward: sample " + index + ": " + e.getMessage(), e);
                }
            }));
        }
        List<Report> out = new ArrayList<>(samples.size());
        try {
            for (Future<Report> f : jobs) out.add(f.get());
        } catch (InterruptedException e) {
            jobs.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while running code");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new RewardException("code reward failed: " + e.getCause(), e.getCause());
        }
        return out;
    }

    /** Runs one completion against its row's tests and says how each went (the REPL shows this). */
    public static Report report(String completion, Map<String, Object> row, Sandbox sandbox) {
        return report(completion, row, () -> sandbox);
    }

    /** As above; the sandbox is asked for only when there is a program to run (a batch without code starts no worker). */
    private static Report report(String completion, Map<String, Object> row, java.util.function.Supplier<Sandbox> sandboxes) {
        Map<String, Object> info = verificationInfo(row);
        if (info == null) return new Report(Double.NaN, "", List.of(), List.of());
        String language = info.get("language") == null ? "python" : info.get("language").toString();
        List<String> inputs = new ArrayList<>(), expected = new ArrayList<>();
        if (!(info.get("test_cases") instanceof List<?> cases))
            throw new IllegalArgumentException("verification_info has no test_cases list: " + info.keySet());
        for (Object c : cases) {
            if (!(c instanceof Map<?, ?> m) || !m.containsKey("input") || !m.containsKey("output"))
                throw new IllegalArgumentException("a test case needs \"input\" and \"output\": " + c);
            inputs.add(String.valueOf(m.get("input")));
            expected.add(String.valueOf(m.get("output")));
        }
        if (inputs.isEmpty()) return new Report(Double.NaN, "", List.of(), List.of());
        String code = extractCode(completion, language);
        List<Outcome> outcomes;
        if (code.isEmpty()) { // what running an empty program gives, without running it
            outcomes = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) outcomes.add(new Outcome(Job.Status.EXITED, 0, "", "no ```" + language + " block"));
        } else {
            Sandbox sandbox = sandboxes.get();
            Sandbox.Limits l = sandbox.limits();
            outcomes = sandbox.run(new Job(language, code, inputs, l.perRun().toMillis(), l.maxOutputBytes()));
        }
        List<Boolean> passed = new ArrayList<>();
        int n = 0;
        for (int i = 0; i < inputs.size(); i++) {
            boolean p = outcomes.get(i).ok() && sameLines(outcomes.get(i).stdout(), expected.get(i));
            passed.add(p);
            if (p) n++;
        }
        return new Report((double) n / inputs.size(), code, outcomes, passed);
    }

    /** The last {@code ```language\n...```} block, or "" (open-r1's {@code extract_code}). */
    public static String extractCode(String completion, String language) {
        Matcher m = Pattern.compile("```" + Pattern.quote(language) + "\n(.*?)```", Pattern.DOTALL).matcher(completion);
        String last = "";
        while (m.find()) last = m.group(1);
        return last;
    }

    /** open-r1's comparison: stdout stripped, split on newlines, zipped with the expected lines, each stripped. */
    static boolean sameLines(String stdout, String expected) {
        String[] got = stdout.strip().split("\n", -1), want = expected.split("\n", -1);
        for (int i = 0; i < Math.min(got.length, want.length); i++) if (!got[i].strip().equals(want[i].strip())) return false;
        return true;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> verificationInfo(Map<String, Object> row) {
        Object v = row.get("verification_info");
        if (v == null) v = row.get("solution");
        if (v == null) return null;
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        try {
            Object parsed = JSON.readValue(v.toString(), Object.class);
            if (parsed instanceof Map<?, ?> m) return (Map<String, Object>) m;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("verification_info is not JSON: " + e.getOriginalMessage());
        }
        throw new IllegalArgumentException("verification_info must be an object with language and test_cases, got " + v);
    }
}
