package org.grpo4j.dsl.reward.polyglot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.bench.Stats;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.dsl.reward.learned.ArithmeticJudgements;
import org.grpo4j.dsl.reward.learned.TribuoReward;
import org.grpo4j.dsl.reward.sandbox.Job;
import org.grpo4j.dsl.reward.sandbox.Sandbox;
import org.grpo4j.reward.Sample;

/**
 * The Python/JavaScript, sandbox and learned-reward part of {@code grpo bench rewards}: completions/s of a regex
 * reward and a heavier one (answer extraction, fractions, n-gram repetition) in GraalPy and GraalJS, in one
 * context and split over two, next to the Java {@code format} reward on the same completions; sandboxed program
 * executions/s; and a Tribuo judge's completions/s. Each is also given as the time it takes per GRPO step
 * of workload W (16 completions) against a 1 s step budget.
 */
public final class PolyglotBenchmark {
    private PolyglotBenchmark() {}

    static final String PY = """
            import re
            from fractions import Fraction

            def format_reward(completions, **kwargs):
                pattern = r"^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$"
                return [1.0 if re.match(pattern, c, re.DOTALL | re.MULTILINE) else 0.0 for c in completions]

            def _number(s):
                s = s.replace(",", "").strip().strip("$")
                m = re.fullmatch(r"\\\\d?frac\\{(-?\\d+)\\}\\{(-?\\d+)\\}", s.replace("\\\\dfrac", "\\\\frac"))
                if m:
                    return Fraction(int(m.group(1)), int(m.group(2)))
                try:
                    return Fraction(s)
                except (ValueError, ZeroDivisionError):
                    return None

            def heavy_reward(completions, solution, **kwargs):
                out = []
                for c, gold in zip(completions, solution):
                    boxed = re.findall(r"\\\\boxed\\{([^{}]*(?:\\{[^{}]*\\}[^{}]*)*)\\}", c)
                    got = _number(boxed[-1]) if boxed else None
                    want = _number(gold)
                    words = c.lower().split()
                    grams = list(zip(words, words[1:], words[2:]))
                    rep = 1 - len(set(grams)) / len(grams) if grams else 0.0
                    out.append((1.0 if got is not None and got == want else 0.0) - 0.5 * rep)
                return out
            """;
    static final String JS = """
            function format_reward(completions, kwargs) {
                const re = /^<think>\\n[\\s\\S]*?\\n<\\/think>\\n<answer>\\n[\\s\\S]*?\\n<\\/answer>$/;
                return completions.map(c => re.test(c) ? 1.0 : 0.0);
            }
            """;

    /** Prints the figures; {@code batch} is the same completions the Java rewards were timed on. */
    public static void run(List<Sample> all, int reps) {
        List<Sample> batch = all.subList(0, Math.min(all.size(), 2000));
        int n = batch.size();
        double javaRate = n / Stats.median(Stats.time(1, reps, () -> Rewards.format().score(batch)));
        System.out.printf("%nPython/JavaScript rewards (GraalVM Polyglot, fallback runtime), %d completions in calls of 64:%n", n);
        System.out.printf("java format: %.0f completions/s%n", javaRate);
        PolyglotReward pyFormat = Rewards.pythonInline(PY, "format_reward"), pyHeavy = Rewards.pythonInline(PY, "heavy_reward");
        PolyglotReward jsFormat = Rewards.jsInline(JS, "format_reward");
        for (PolyglotReward r : List.of(pyFormat, pyHeavy, jsFormat))
            for (int par : new int[] {1, 2}) {
                Reward rr = r.inParallel(par).timeout(Duration.ofMinutes(5));
                double rate = n / Stats.median(Stats.time(1, reps, () -> inCalls(rr, batch, 64)));
                System.out.printf("%s %s, %d context%s: %.0f completions/s (%.1f%% of java format's rate); per step of 16: %.2f ms = %.4f of a 1 s step%n",
                        r.source().language().id(), r.name(), par, par == 1 ? "" : "s", rate, 100 * rate / javaRate, 16e3 / rate, 16 / rate);
            }

        var flaw = ArithmeticJudgements.Flaw.CUT_OFF;
        List<TribuoReward.Labelled> train = ArithmeticJudgements.make(2000, 1, flaw), test = ArithmeticJudgements.make(400, 2, flaw);
        TribuoReward judge = TribuoReward.trainLabels(train);
        List<Sample> judged = new ArrayList<>();
        for (TribuoReward.Labelled l : test) judged.add(Sample.of(l.completion(), java.util.Map.of()));
        double tribuoRate = test.size() / Stats.median(Stats.time(1, reps, () -> judge.score(judged)));
        System.out.printf("tribuo judge (arithmetic, cut-off vs whole, 2000 train): held-out accuracy %.3f (chance 0.5), %.0f completions/s%n",
                judge.accuracy(test), tribuoRate);

        Job py = new Job("python", "a, b = map(int, input().split())\nprint(a + b)", List.of("3 4\n", "10 20\n", "-5 5\n"), 30_000, 1 << 16);
        Job js = new Job("javascript", "const [a, b] = readline().split(' ').map(Number);\nconsole.log(a + b);", py.inputs(), 30_000, 1 << 16);
        // one context made ahead (while the previous job runs) is how workers ran before warm pools; 8 per worker is the default now
        double[] before = sandboxRates(py, 1), after = sandboxRates(py, 8);
        System.out.printf("sandbox python, warm contexts per worker 1 -> 8 (same run): back to back %.1f -> %.1f executions/s (%.2fx); "
                + "a step's 16 programs after %d s idle %.2f s -> %.2f s (%.2fx faster)%n",
                before[0], after[0], after[0] / before[0], IDLE_S, before[1], after[1], before[1] / after[1]);
        double[] j = sandboxRates(js, 1);
        System.out.printf("sandbox javascript: back to back %.1f executions/s; a step's 16 programs %.2f s%n", j[0], j[1]);
    }

    /** Seconds a sandbox is left idle before the burst, so its workers can make their warm contexts. */
    static final int IDLE_S = 20;

    /**
     * On 2 worker JVMs keeping {@code warm} Python contexts each: executions/s of 8 jobs sent back to back from 2
     * threads, and the seconds that 16 jobs (a GRPO step's programs) take when they arrive after {@link #IDLE_S} idle.
     */
    private static double[] sandboxRates(Job j, int warm) {
        try (Sandbox sandbox = new Sandbox(new Sandbox.Limits(2, 512, Duration.ofSeconds(30), 1 << 20, warm))) {
            sandbox.run(j); // waits for the workers to start
            double steady = j.inputs().size() * 8 / seconds(sandbox, j, 8);
            try {
                Thread.sleep(IDLE_S * 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return new double[] {steady, seconds(sandbox, j, 16)};
        }
    }

    private static double seconds(Sandbox sandbox, Job j, int jobs) {
        long t0 = System.nanoTime();
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int k = 0; k < jobs; k++) fs.add(two.submit(() -> sandbox.run(j)));
        for (var f : fs) {
            try {
                f.get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        two.shutdown();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void inCalls(Reward r, List<Sample> batch, int size) {
        for (int i = 0; i < batch.size(); i += size) r.score(batch.subList(i, Math.min(batch.size(), i + size)));
    }
}
