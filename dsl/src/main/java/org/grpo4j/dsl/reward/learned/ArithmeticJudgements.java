package org.grpo4j.dsl.reward.learned;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.grpo4j.dsl.examples.ArithmeticProblems;
import org.grpo4j.dsl.examples.ArithmeticProblems.Kind;
import org.grpo4j.dsl.examples.ArithmeticProblems.Problem;
import org.grpo4j.dsl.reward.learned.TribuoReward.Labelled;

/**
 * Labelled sets for learned rewards built from the arithmetic example, without the gold answer in the text:
 * good completions are the example's demonstrations (worked column by column, or one mental line). Bad ones are
 * either {@link Flaw#WRONG_RESULT} — the same completion with the final result changed by 1–10 everywhere it
 * appears, which only arithmetic can catch (a word n-gram model cannot: it is near chance) — or
 * {@link Flaw#CUT_OFF} — the completion stopped part-way, as generation at the length limit leaves it.
 */
public final class ArithmeticJudgements {
    private ArithmeticJudgements() {}

    /** What is wrong with the bad half. */
    public enum Flaw {
        WRONG_RESULT,
        CUT_OFF
    }

    /** {@code n} labelled completions, half good and half bad, from a fixed seed. */
    public static List<Labelled> make(int n, long seed, Flaw flaw) {
        SplittableRandom rng = new SplittableRandom(seed);
        Kind[] kinds = {Kind.ADD, Kind.SUB, Kind.MUL};
        List<Labelled> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Problem p = ArithmeticProblems.problem(rng, kinds[rng.nextInt(kinds.length)]);
            if (rng.nextBoolean()) p = p.mental();
            boolean good = i % 2 == 0;
            String text = p.completion();
            if (!good && flaw == Flaw.CUT_OFF) {
                text = text.substring(0, 1 + rng.nextInt(text.indexOf("</answer>")));
            } else if (!good) {
                String wrong = Integer.toString(Integer.parseInt(p.solution()) + (rng.nextBoolean() ? 1 : -1) * (1 + rng.nextInt(10)));
                text = text.replace("=" + p.solution(), "=" + wrong).replace("<answer>\n" + p.solution(), "<answer>\n" + wrong);
            }
            out.add(new Labelled(text, good ? 1 : 0));
        }
        return out;
    }
}
