package org.grpo4j.dsl.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.grpo4j.dsl.math.MathVerifier;
import org.grpo4j.dsl.reward.BatchFn;
import org.grpo4j.dsl.reward.ComposedReward;
import org.grpo4j.dsl.reward.OpenR1Rewards;
import org.grpo4j.dsl.reward.OpenR1Rewards.CosineParams;
import org.grpo4j.dsl.reward.PerSample;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.dsl.reward.learned.HfRewardModel;
import org.grpo4j.dsl.reward.learned.TribuoReward;
import org.grpo4j.dsl.reward.polyglot.GuestLanguage;
import org.grpo4j.dsl.reward.sandbox.CodeRewards;
import org.grpo4j.dsl.reward.polyglot.PolyglotReward;
import org.grpo4j.dsl.reward.polyglot.PolyglotSource;
import org.grpo4j.reward.Sample;

/**
 * The entry point of the reward DSL: your own rewards ({@link #of}, {@link #batch}), open-r1's built-ins with
 * the same semantics, and weighted sums. Every reward can be tried on one string:
 *
 * <pre>{@code
 * import static org.grpo4j.dsl.reward.Rewards.*;
 *
 * accuracy().score("So the answer is \\boxed{42}", "42");          // 1.0
 * format().score("<think>\n...\n</think>\n<answer>\n42\n</answer>"); // 1.0
 * Reward total = sum(accuracy().gatedBy(format()).weighted(2), tagCount().weighted(0.5));
 * }</pre>
 */
public final class Rewards {
    private Rewards() {}

    // ------------------------------------------------------------------------------------------ your own

    /** A reward written per completion; return null or NaN where it does not apply. */
    public static Reward of(String name, PerSample fn) {
        return ComposedReward.perSample(name, fn);
    }

    /** A reward written per completion that needs the whole sample (prompt, token ids, finish reason). */
    public static Reward ofSample(String name, Function<Sample, Double> fn) {
        return new ComposedReward(name, 1.0, null, samples -> {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                Double v;
                try {
                    v = fn.apply(samples.get(i));
                } catch (RuntimeException e) {
                    throw new ComposedReward.RewardException("reward '" + name + "' failed on sample " + i + " of the batch: " + e, e);
                }
                out[i] = v == null ? Double.NaN : v;
            }
            return out;
        });
    }

    /** A reward written for the whole batch. */
    public static Reward batch(String name, BatchFn fn) {
        return new ComposedReward(name, 1.0, null, fn);
    }

    /**
     * The weighted sum Σ w_k·r_k of {@code parts}, NaNs ignored, NaN where every part is NaN: what the trainer
     * computes from several reward functions (TRL's {@code reward_weights}), as one reward named {@code name}.
     */
    public static Reward sum(String name, Reward... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("sum '" + name + "' needs at least one reward");
        Reward[] ps = parts.clone();
        String gold = null;
        for (Reward p : ps) if (gold == null) gold = p.goldColumn();
        return new ComposedReward(name, 1.0, gold, samples -> {
            int n = samples.size();
            double[] total = new double[n];
            boolean[] any = new boolean[n];
            for (Reward p : ps) {
                double[] v = p.score(samples);
                if (v.length != n)
                    throw new ComposedReward.RewardException("reward '" + p.name() + "' returned " + v.length + " values for a batch of " + n);
                double w = p.weight();
                for (int i = 0; i < n; i++) {
                    if (Double.isNaN(v[i])) continue;
                    total[i] += w * v[i];
                    any[i] = true;
                }
            }
            for (int i = 0; i < n; i++) if (!any[i]) total[i] = Double.NaN;
            return total;
        });
    }

    /** {@link #sum(String, Reward...)} named after its parts, e.g. {@code accuracy+format}. */
    public static Reward sum(Reward... parts) {
        StringBuilder name = new StringBuilder();
        for (Reward p : parts) name.append(name.isEmpty() ? "" : "+").append(p.name());
        return sum(name.toString(), parts);
    }

    // ------------------------------------------------------------------------------------------ Python and JavaScript

    /**
     * A Python reward with TRL's convention, {@code f(completions, **kwargs) -> list[float | None]}, from a
     * {@code .py} file; {@code callable} is a function name or an expression giving one
     * ({@code "get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0)"}). Runs in GraalPy, sandboxed.
     */
    public static PolyglotReward python(String file, String callable) {
        return PolyglotReward.of(guestFile(file, callable, GuestLanguage.PYTHON));
    }

    /** A Python reward from source text that defines {@code functionName}. */
    public static PolyglotReward pythonInline(String source, String functionName) {
        return PolyglotReward.of(new PolyglotSource(GuestLanguage.PYTHON, "<inline>.py", source, functionName));
    }

    /** A JavaScript reward, {@code f(completions, kwargs) -> Array<number|null>}, from a {@code .js} file. */
    public static PolyglotReward js(String file, String callable) {
        return PolyglotReward.of(guestFile(file, callable, GuestLanguage.JS));
    }

    private static PolyglotSource guestFile(String file, String callable, GuestLanguage expected) {
        if (!file.endsWith(expected.extension()))
            throw new IllegalArgumentException(file + ": a " + expected.id() + " reward file must end in " + expected.extension());
        return PolyglotSource.file(java.nio.file.Path.of(file), callable);
    }

    /** A JavaScript reward from source text that defines {@code functionName}. */
    public static PolyglotReward jsInline(String source, String functionName) {
        return PolyglotReward.of(new PolyglotSource(GuestLanguage.JS, "<inline>.js", source, functionName));
    }

    // ------------------------------------------------------------------------------------------ code execution

    /**
     * open-r1's {@code code} reward: the fraction of the row's {@code verification_info} test cases that the
     * completion's last fenced program passes, run in the local sandbox of worker JVMs
     * ({@link org.grpo4j.dsl.reward.sandbox.CodeRewards}).
     */
    public static Reward code() {
        return CodeRewards.code();
    }

    /** open-r1's {@code binary_code}: 1.0 when the pass rate is above 0.99, else 0.0. */
    public static Reward binaryCode() {
        return CodeRewards.binaryCode();
    }

    // ------------------------------------------------------------------------------------------ learned

    /**
     * A Tribuo reward: trained now from a JSONL of {@code completion} + {@code label} (P(good)) or {@code score}
     * when {@code file} ends in {@code .jsonl}, else loaded from a model saved by {@link TribuoReward#save}.
     */
    public static TribuoReward learnedReward(String file) {
        java.nio.file.Path p = java.nio.file.Path.of(file);
        return file.endsWith(".jsonl") ? TribuoReward.train(p) : TribuoReward.load(p);
    }

    /** A Tribuo reward trained from completions labelled in code (the REPL): value 1 = good, 0 = bad. */
    public static TribuoReward learnedReward(List<TribuoReward.Labelled> examples) {
        return TribuoReward.trainLabels(examples);
    }

    /** A Hugging Face {@code *ForSequenceClassification} reward model folder, run on grpo4j's engine (TRL's model-path reward). */
    public static HfRewardModel rewardModel(String folder) {
        return HfRewardModel.load(java.nio.file.Path.of(folder));
    }

    // ------------------------------------------------------------------------------------------ open-r1

    /** Math accuracy with the Java verifier; gold from column {@code solution}, else {@code answer}. */
    public static Reward accuracy() {
        return OpenR1Rewards.accuracy(null, MathVerifier.DEFAULT);
    }

    /** Math accuracy reading the gold answer from {@code goldColumn}. */
    public static Reward accuracy(String goldColumn) {
        return OpenR1Rewards.accuracy(goldColumn, MathVerifier.DEFAULT);
    }

    /** Math accuracy with a verifier of your own settings ({@code MathVerifier.OPEN_R1}, {@code MathVerifier.DEFAULT.withFloatRounding(3)}). */
    public static Reward accuracy(String goldColumn, MathVerifier verifier) {
        return OpenR1Rewards.accuracy(goldColumn, verifier);
    }

    /** open-r1's {@code format_reward}: {@link OpenR1Rewards#FORMAT_PATTERN}. */
    public static Reward format() {
        return OpenR1Rewards.format("format", OpenR1Rewards.FORMAT_PATTERN);
    }

    /** A format reward with your own pattern (e.g. {@link OpenR1Rewards#R1_FORMAT_PATTERN}), DOTALL|MULTILINE. */
    public static Reward format(String regex) {
        return OpenR1Rewards.format("format", regex);
    }

    public static Reward tagCount() {
        return OpenR1Rewards.tagCount();
    }

    public static Reward reasoningSteps() {
        return OpenR1Rewards.reasoningSteps();
    }

    /** Kimi 1.5's length reward (a batch reward: it compares the completions of one call). */
    public static Reward length() {
        return OpenR1Rewards.length(null, MathVerifier.DEFAULT);
    }

    public static Reward length(String goldColumn) {
        return OpenR1Rewards.length(goldColumn, MathVerifier.DEFAULT);
    }

    /** Cosine-scaled accuracy with open-r1's function defaults (min_wrong −1.0; its CLI uses 0.0). */
    public static Reward cosine() {
        return cosine(CosineParams.DEFAULTS);
    }

    public static Reward cosine(double minWrong, double maxWrong, double minCorrect, double maxCorrect, int maxLen) {
        return cosine(new CosineParams(minWrong, maxWrong, minCorrect, maxCorrect, maxLen));
    }

    public static Reward cosine(CosineParams params) {
        return OpenR1Rewards.cosine(params, null, MathVerifier.DEFAULT);
    }

    /** The n-gram repetition penalty with open-r1's defaults: 3-grams, max penalty −1.0. */
    public static Reward repetitionPenalty() {
        return repetitionPenalty(3, -1.0);
    }

    /** @throws IllegalArgumentException when {@code maxPenalty} is positive */
    public static Reward repetitionPenalty(int ngramSize, double maxPenalty) {
        return OpenR1Rewards.repetitionPenalty(ngramSize, maxPenalty);
    }

    /** DAPO's soft overlong punishment on the completion's token count. */
    public static Reward softOverlongPunishment(int maxCompletionLen, int cache) {
        return OpenR1Rewards.softOverlongPunishment(maxCompletionLen, cache);
    }

    /** Format with a fenced code block of {@code language} inside {@code <answer>}. */
    public static Reward codeFormat(String language) {
        return OpenR1Rewards.codeFormat(language);
    }

    /** Format with a fenced code block of the row's language ({@code language} column), python by default. */
    public static Reward codeFormat() {
        return OpenR1Rewards.codeFormat(null);
    }

    // ------------------------------------------------------------------------------------------ catalogue

    /** One built-in reward, as the REPL's {@code :rewards} command lists it. */
    public record Builtin(String name, String description, Supplier<Reward> factory) {}

    /** Every built-in reward with a one-line description, in the order open-r1 documents them. */
    public static List<Builtin> builtins() {
        List<Builtin> b = new ArrayList<>();
        b.add(new Builtin("accuracy", "1 if the final answer (\\boxed{}, <answer>, 'the answer is') equals the gold maths answer, else 0; NaN if the gold is unreadable", Rewards::accuracy));
        b.add(new Builtin("format", "1 if the text is <think>\\n…\\n</think>\\n<answer>\\n…\\n</answer> (pattern is a parameter)", Rewards::format));
        b.add(new Builtin("tag_count", "0.25 for each of <think>\\n, \\n</think>\\n, \\n<answer>\\n, \\n</answer> present exactly once", Rewards::tagCount));
        b.add(new Builtin("reasoning_steps", "min(1, n/3) for n step markers: 'Step 1:', '1.', bullets, First/Second/Next/Finally", Rewards::reasoningSteps));
        b.add(new Builtin("length", "Kimi 1.5: 0.5 - (len-min)/(max-min) over the batch; wrong answers capped at 0", Rewards::length));
        b.add(new Builtin("cosine", "accuracy scaled by cos(pi*len/max_len): short correct answers best, long wrong ones least penalised", Rewards::cosine));
        b.add(new Builtin("repetition_penalty", "(1 - unique/total 3-grams) * max_penalty (-1.0)", Rewards::repetitionPenalty));
        b.add(new Builtin("soft_overlong_punishment", "DAPO: 0 up to Lmax-C tokens, then linear down to -1 at Lmax, -1 beyond (defaults Lmax 1024, C 256)",
                () -> softOverlongPunishment(1024, 256)));
        b.add(new Builtin("code", "fraction of the row's verification_info test cases the last ```lang block passes (sandboxed worker JVMs)", Rewards::code));
        b.add(new Builtin("binary_code", "1 if the code passes more than 99% of its test cases, else 0", Rewards::binaryCode));
        b.add(new Builtin("code_format", "format with a fenced code block of the row's language inside <answer>", Rewards::codeFormat));
        return List.copyOf(b);
    }
}
