package org.grpo4j.dsl.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.bench.Stats;
import org.grpo4j.cli.Args;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.reward.Sample;

/**
 * {@code grpo bench rewards}: completions scored per second by {@code accuracy} (the Java math verifier) and
 * {@code format} on 10,000 realistic completions generated from a fixed seed, and what that costs a GRPO step:
 * workload W scores 16 completions per step, so the ratio of their reward time to a 1-second step budget says
 * whether rewards could ever matter next to generation and the policy update.
 */
public final class RewardsBenchmark implements Benchmark {
    static final int COMPLETIONS_PER_STEP = 16;

    @Override
    public String name() {
        return "rewards";
    }

    @Override
    public String summary() {
        return "accuracy and format rewards: completions/s on 10,000 generated completions, math verifications/s on short and 4 kB R1-style ones; Python/JS, sandbox and Tribuo rewards (--n, --reps, --polyglot false)";
    }

    @Override
    public void run(Args args) {
        int n = args.getInt("n", 10_000);
        int reps = args.getInt("reps", 5);
        boolean polyglot = Boolean.parseBoolean(args.get("polyglot", "true"));
        args.rejectUnknown();
        if (n < 1 || reps < 1) throw new org.grpo4j.cli.Command.UsageException("--n and --reps must be positive");
        List<Sample> batch = completions(n, 20260521L);
        Reward accuracy = Rewards.accuracy(), format = Rewards.format();
        double correct = 0;
        for (double v : accuracy.score(batch)) correct += Double.isNaN(v) ? 0 : v;
        double formatted = 0;
        for (double v : format.score(batch)) formatted += v;
        System.out.printf("workload: %d completions (%.0f%% correct, %.0f%% well formatted, mean %d chars), median of %d runs after warm-up%n",
                n, 100 * correct / n, 100 * formatted / n, meanChars(batch), reps);

        double accS = Stats.median(Stats.time(2, reps, () -> accuracy.score(batch)));
        double fmtS = Stats.median(Stats.time(2, reps, () -> format.score(batch)));
        double accRate = n / accS, fmtRate = n / fmtS;
        System.out.printf("accuracy: %.0f completions/s%n", accRate);
        System.out.printf("format: %.0f completions/s%n", fmtRate);
        double perStep = COMPLETIONS_PER_STEP / accRate + COMPLETIONS_PER_STEP / fmtRate;
        System.out.printf("per GRPO step (workload W, %d completions): accuracy+format take %.3f ms%n", COMPLETIONS_PER_STEP, perStep * 1e3);
        System.out.printf("ratio (reward time per step / 1 s step budget): %.6f%n", perStep / 1.0);
        verifierRows(Math.min(n, 2000), reps);
        if (polyglot) org.grpo4j.dsl.reward.polyglot.PolyglotBenchmark.run(batch, reps);
    }

    /**
     * The math verifier alone, on the short completions above and on 4 kB R1-style ones (LaTeX-heavy thinking, a
     * boxed answer): verifications/s, and what 16 long completions cost a 1-second step (it must stay far below 1).
     */
    static void verifierRows(int n, int reps) {
        org.grpo4j.dsl.math.MathVerifier v = org.grpo4j.dsl.math.MathVerifier.DEFAULT;
        List<Sample> shortOnes = completions(n, 20260521L), longOnes = r1Completions(n, 20261206L);
        double shortS = Stats.median(Stats.time(2, reps, () -> verifyAll(v, shortOnes)));
        double longS = Stats.median(Stats.time(2, reps, () -> verifyAll(v, longOnes)));
        double shortRate = n / shortS, longRate = n / longS;
        System.out.printf("verifier, short completions (mean %d chars): %.0f verifications/s%n", meanChars(shortOnes), shortRate);
        System.out.printf("verifier, R1-style completions (mean %d chars): %.0f verifications/s (%.2fx the short rate)%n",
                meanChars(longOnes), longRate, longRate / shortRate);
        double perStep = COMPLETIONS_PER_STEP / longRate;
        System.out.printf("ratio (verifier time for %d R1-style completions / 1 s step budget): %.6f (bound: << 1)%n",
                COMPLETIONS_PER_STEP, perStep);
    }

    private static double verifyAll(org.grpo4j.dsl.math.MathVerifier v, List<Sample> batch) {
        double sum = 0;
        for (Sample s : batch) {
            double x = v.verify(s.completion(), (String) s.row().get("solution"));
            sum += Double.isNaN(x) ? 0 : x;
        }
        return sum;
    }

    /** {@link #completions} grown to about 4 kB of R1-style thinking: formulas in $…$, fractions, roots, a final box. */
    static List<Sample> r1Completions(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] lines = {"Let me reconsider: with $a = %d$ and $b = %d$ we get $\\frac{a}{b} = \\frac{%d}{%d}$.",
                "Hmm, wait. Squaring gives $x^2 = %d$, so $x = \\sqrt{%d}$ or $x = -\\sqrt{%d}$.",
                "We check: $%d \\cdot %d = %d$, which matches the condition $n \\equiv %d \\pmod{7}$.",
                "So the sum is \\[ \\sum_{k=1}^{%d} k = \\frac{%d \\cdot %d}{2}. \\]",
                "Alternatively, the interval $[%d, %d)$ contains the root, since $f(%d) < 0$."};
        List<Sample> out = new ArrayList<>(n);
        for (Sample s : completions(n, seed)) {
            StringBuilder think = new StringBuilder("<think>\n");
            while (think.length() < 3800) {
                String l = lines[rnd.nextInt(lines.length)];
                think.append(String.format(l, rnd.nextInt(100), rnd.nextInt(100), rnd.nextInt(100), rnd.nextInt(100))).append('\n');
            }
            String c = s.completion();
            int end = c.indexOf("</think>");
            String answer = end >= 0 ? c.substring(end) : "</think>\n" + c;
            out.add(Sample.of(think + answer, s.row()));
        }
        return out;
    }

    private static int meanChars(List<Sample> batch) {
        long total = 0;
        for (Sample s : batch) total += s.completion().length();
        return (int) (total / batch.size());
    }

    /**
     * Completions shaped like a small model's answers to GSM8K/MATH prompts: think/answer tags (sometimes broken),
     * several lines of working, the final answer boxed, after "the answer is", after "####" or missing, right or
     * wrong, as integers, fractions, decimals, roots or expressions.
     */
    static List<Sample> completions(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] steps = {"First, we compute %d + %d = %d.", "Next, multiply by %d to get %d.", "Step %d: subtract %d from %d.",
                "Since $x^2 = %d$, we take the positive root.", "- The remaining %d items cost $%d each.",
                "Then \\frac{%d}{%d} of the total is left.", "Finally, we check that %d divides %d."};
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(6);
            String gold;
            String right;
            String wrong;
            switch (kind) {
                case 0 -> {
                    int v = rnd.nextInt(-500, 5000);
                    gold = Integer.toString(v);
                    right = rnd.nextBoolean() ? gold : String.format("%,d", v);
                    wrong = Integer.toString(v + 1 + rnd.nextInt(9));
                }
                case 1 -> {
                    int a = 1 + rnd.nextInt(40), b = 2 + rnd.nextInt(40);
                    gold = "\\frac{" + a + "}{" + b + "}";
                    right = "\\dfrac{" + 2 * a + "}{" + 2 * b + "}";
                    wrong = "\\frac{" + (a + 1) + "}{" + b + "}";
                }
                case 2 -> {
                    int q = 1 + rnd.nextInt(400);
                    gold = q / 4 + "." + (q % 4) * 25;
                    right = "\\frac{" + q + "}{4}";
                    wrong = q / 4 + "." + ((q % 4) * 25 + 1);
                }
                case 3 -> {
                    int k = 2 + rnd.nextInt(9), m = 2 + rnd.nextInt(3);
                    gold = k + "\\sqrt{" + m + "}";
                    right = "\\sqrt{" + k * k * m + "}";
                    wrong = (k + 1) + "\\sqrt{" + m + "}";
                }
                case 4 -> {
                    int a = 1 + rnd.nextInt(9), b = 1 + rnd.nextInt(9);
                    gold = a + "x + " + a * b;
                    right = a + "(x + " + b + ")";
                    wrong = a + "x + " + b;
                }
                default -> {
                    int a = rnd.nextInt(10), b = a + 1 + rnd.nextInt(10);
                    gold = "[" + a + ", " + b + ")";
                    right = "\\left[" + a + ", " + b + "\\right)";
                    wrong = "(" + a + ", " + b + ")";
                }
            }
            String answer = rnd.nextInt(10) < 6 ? right : wrong;
            StringBuilder think = new StringBuilder();
            int lines = 2 + rnd.nextInt(12);
            for (int l = 0; l < lines; l++) {
                String t = steps[rnd.nextInt(steps.length)];
                think.append(String.format(t, rnd.nextInt(100), rnd.nextInt(100), rnd.nextInt(100))).append('\n');
            }
            String stated = switch (rnd.nextInt(4)) {
                case 0 -> "The answer is $\\boxed{" + answer + "}$.";
                case 1 -> "Therefore, the final answer is $" + answer + "$.";
                case 2 -> "\\boxed{" + answer + "}";
                default -> rnd.nextBoolean() ? "#### " + answer : "So we get " + answer + ".";
            };
            String text = switch (rnd.nextInt(5)) {
                case 0, 1, 2 -> "<think>\n" + think + "</think>\n<answer>\n" + stated + "\n</answer>";
                case 3 -> "<think>" + think + "</think><answer>" + stated + "</answer>";
                default -> think + stated;
            };
            out.add(Sample.of(text, Map.of("solution", gold)));
        }
        return out;
    }
}
