package org.grpo4j.dsl.reward;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.dsl.math.MathVerifier;
import org.grpo4j.reward.Sample;

/**
 * open-r1's built-in rewards ({@code src/open_r1/rewards.py}) with the same formulas and the same strictness.
 * Use them through {@link org.grpo4j.dsl.reward.Rewards}; the names are the metrics names ({@code rewards/accuracy/mean}).
 *
 * <p>Python's {@code re.match} is emulated with {@link Matcher#lookingAt()} (anchored at the start only) and
 * {@link Pattern#UNIX_LINES} (only {@code \n} ends a line for {@code $}); text lengths count code points, as
 * Python's {@code len}.
 *
 * <pre>{@code OpenR1Rewards.format("r1_format", OpenR1Rewards.R1_FORMAT_PATTERN).score("<think>a</think><answer>b</answer>") // 1.0}</pre>
 */
public final class OpenR1Rewards {
    private OpenR1Rewards() {}

    /** open-r1's {@code format_reward} pattern. */
    public static final String FORMAT_PATTERN = "^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$";

    /** The original DeepSeek-R1 system prompt's format, with no newlines required. */
    public static final String R1_FORMAT_PATTERN = "^<think>.*?</think><answer>.*?</answer>$";

    static final int PY_RE_FLAGS = Pattern.DOTALL | Pattern.MULTILINE | Pattern.UNIX_LINES;

    // ------------------------------------------------------------------------------------------ accuracy

    /**
     * 1.0 if the completion's answer is equivalent to the gold, 0.0 if not (or not verifiable in time), NaN if the
     * gold is unreadable: open-r1 returns None there (TRL skips the sample); open-r1 before March 2025 returned 1.0.
     */
    public static Reward accuracy(String goldColumn, MathVerifier verifier) {
        verifier.prepared();
        return new ComposedReward("accuracy", 1.0, goldColumn, samples -> {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                Sample s = samples.get(i);
                out[i] = verifier.verify(s.completion(), ComposedReward.gold("accuracy", s.row(), goldColumn));
            }
            return out;
        });
    }

    // ------------------------------------------------------------------------------------------ format

    /** 1.0 when {@code regex} matches at the start of the text (Python {@code re.match}, DOTALL|MULTILINE), else 0.0. */
    public static Reward format(String name, String regex) {
        Pattern p = Pattern.compile(regex, PY_RE_FLAGS);
        return ComposedReward.perSample(name, (c, row) -> p.matcher(c).lookingAt() ? 1.0 : 0.0);
    }

    /** +0.25 for each of exactly one {@code <think>\n}, {@code \n</think>\n}, {@code \n<answer>\n}, {@code \n</answer>}. */
    public static Reward tagCount() {
        return ComposedReward.perSample("tag_count", (c, row) -> {
            double r = 0;
            if (count(c, "<think>\n") == 1) r += 0.25;
            if (count(c, "\n</think>\n") == 1) r += 0.25;
            if (count(c, "\n<answer>\n") == 1) r += 0.25;
            if (count(c, "\n</answer>") == 1) r += 0.25;
            return r;
        });
    }

    /** Non-overlapping occurrences, as Python's {@code str.count}. */
    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) n++;
        return n;
    }

    /** open-r1's pattern; compiled without MULTILINE, as there, so {@code ^\d+\.} counts only at the very start. */
    static final Pattern STEPS = Pattern.compile("(Step \\d+:|^\\d+\\.|\\n-|\\n\\*|First,|Second,|Next,|Finally,)");

    /** min(1, n/3) for n step markers ("Step 1:", "\n-", "First,", ...). */
    public static Reward reasoningSteps() {
        return ComposedReward.perSample("reasoning_steps", (c, row) -> {
            Matcher m = STEPS.matcher(c);
            int n = 0;
            while (m.find()) n++;
            return Math.min(1.0, n / 3.0);
        });
    }

    // ------------------------------------------------------------------------------------------ length

    /**
     * Kimi 1.5's length reward over the batch: λ = 0.5 − (len − min)/(max − min); correct → λ, wrong → min(0, λ);
     * all 0 when every completion has the same length. An unreadable gold counts as correct (open-r1).
     */
    public static Reward length(String goldColumn, MathVerifier verifier) {
        return new ComposedReward("length", 1.0, goldColumn, samples -> {
            int n = samples.size();
            double[] out = new double[n];
            if (n == 0) return out;
            int[] len = new int[n];
            int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                String c = samples.get(i).completion();
                len[i] = c.codePointCount(0, c.length());
                min = Math.min(min, len[i]);
                max = Math.max(max, len[i]);
            }
            if (max == min) return out;
            for (int i = 0; i < n; i++) {
                Sample s = samples.get(i);
                double v = verifier.verify(s.completion(), ComposedReward.gold("length", s.row(), goldColumn));
                boolean correct = Double.isNaN(v) || v == 1.0;
                double lambda = 0.5 - (double) (len[i] - min) / (max - min);
                out[i] = correct ? lambda : Math.min(0.0, lambda);
            }
            return out;
        });
    }

    /** Parameters of {@link #cosine}: the defaults are open-r1's function defaults. */
    public record CosineParams(double minWrong, double maxWrong, double minCorrect, double maxCorrect, int maxLen) {
        /**
         * open-r1's {@code get_cosine_scaled_reward} defaults. Note that open-r1's command line
         * ({@code GRPOScriptArguments.cosine_min_value_wrong}) defaults {@code minWrong} to 0.0, not −1.0.
         */
        public static final CosineParams DEFAULTS = new CosineParams(-1.0, -0.5, 0.5, 1.0, 1000);

        public CosineParams {
            if (maxLen <= 0) throw new IllegalArgumentException("cosine: max_len must be positive, got " + maxLen);
        }
    }

    /**
     * Cosine-scaled correctness: c = cos(π·len/max_len); correct: lo, hi = minCorrect, maxCorrect; wrong:
     * lo, hi = maxWrong, minWrong; reward = lo + 0.5·(hi − lo)·(1 + c). An unreadable gold gives 1.0 (open-r1).
     */
    public static Reward cosine(CosineParams p, String goldColumn, MathVerifier verifier) {
        return new ComposedReward("cosine", 1.0, goldColumn, samples -> {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                Sample s = samples.get(i);
                double v = verifier.verify(s.completion(), ComposedReward.gold("cosine", s.row(), goldColumn));
                if (Double.isNaN(v)) {
                    out[i] = 1.0;
                    continue;
                }
                String c = s.completion();
                double progress = (double) c.codePointCount(0, c.length()) / p.maxLen();
                double cos = Math.cos(progress * Math.PI);
                double lo = v == 1.0 ? p.minCorrect() : p.maxWrong();
                double hi = v == 1.0 ? p.maxCorrect() : p.minWrong();
                out[i] = lo + 0.5 * (hi - lo) * (1.0 + cos);
            }
            return out;
        });
    }

    // ------------------------------------------------------------------------------------------ repetition

    private static final Pattern PY_WHITESPACE = Pattern.compile("[\\s\\x1c-\\x1f\\x85\\p{Z}]+", Pattern.UNICODE_CHARACTER_CLASS);

    /**
     * N-gram repetition penalty (Demystifying Long CoT, App. C.2): words = lower-cased whitespace split;
     * reward = (1 − unique/total n-grams) · maxPenalty; empty text or fewer than n words → 0.
     */
    public static Reward repetitionPenalty(int ngramSize, double maxPenalty) {
        if (maxPenalty > 0) throw new IllegalArgumentException("repetition_penalty: max_penalty " + maxPenalty + " should not be positive");
        if (ngramSize < 1) throw new IllegalArgumentException("repetition_penalty: ngram_size must be >= 1, got " + ngramSize);
        return ComposedReward.perSample("repetition_penalty", (c, row) -> {
            if (c.isEmpty()) return 0.0;
            List<String> words = words(c.toLowerCase(Locale.ROOT));
            if (words.size() < ngramSize) return 0.0;
            Set<List<String>> unique = new HashSet<>();
            int total = 0;
            for (int i = 0; i + ngramSize <= words.size(); i++) {
                unique.add(words.subList(i, i + ngramSize));
                total++;
            }
            return (1.0 - (double) unique.size() / total) * maxPenalty;
        });
    }

    static List<String> words(String text) {
        String t = text.strip();
        if (t.isEmpty()) return List.of();
        List<String> out = new java.util.ArrayList<>();
        for (String w : PY_WHITESPACE.split(text)) if (!w.isEmpty()) out.add(w);
        return out;
    }

    // ------------------------------------------------------------------------------------------ overlong

    /**
     * DAPO's soft overlong punishment on the completion's token count L: L ≤ Lmax − C → 0;
     * Lmax − C < L ≤ Lmax → (Lmax − C − L)/C; L > Lmax → −1.
     */
    public static Reward softOverlongPunishment(int maxCompletionLen, int cache) {
        if (cache <= 0 || cache > maxCompletionLen)
            throw new IllegalArgumentException("soft_overlong_punishment: need 0 < cache <= max_completion_len, got cache "
                    + cache + ", max_completion_len " + maxCompletionLen);
        return new ComposedReward("soft_overlong_punishment", 1.0, null, samples -> {
            double[] out = new double[samples.size()];
            for (int i = 0; i < out.length; i++) {
                int len = samples.get(i).completionIds().length;
                if (len <= maxCompletionLen - cache) out[i] = 0.0;
                else if (len <= maxCompletionLen) out[i] = (double) (maxCompletionLen - cache - len) / cache;
                else out[i] = -1.0;
            }
            return out;
        });
    }

    // ------------------------------------------------------------------------------------------ code format

    /**
     * open-r1's {@code code_format_reward}: the think/answer format with a fenced block of {@code language}
     * inside {@code <answer>}. With {@code language == null} the language is read per row from column
     * {@code language} or {@code verification_info.language}, defaulting to python. The language is quoted,
     * so {@code c++} means the literal name (open-r1 pastes it into the regex unquoted).
     */
    public static Reward codeFormat(String language) {
        Pattern fixed = language == null ? null : codePattern(language);
        Map<String, Pattern> cache = new java.util.concurrent.ConcurrentHashMap<>();
        return ComposedReward.perSample("code_format", (c, row) -> {
            Pattern p = fixed != null ? fixed : cache.computeIfAbsent(rowLanguage(row), OpenR1Rewards::codePattern);
            return p.matcher(c).lookingAt() ? 1.0 : 0.0;
        });
    }

    static Pattern codePattern(String language) {
        return Pattern.compile("^<think>\\n.*?\\n</think>\\n<answer>\\n.*?```" + Pattern.quote(language) + ".*?```.*?\\n</answer>$", PY_RE_FLAGS);
    }

    static String rowLanguage(Map<String, Object> row) {
        Object l = row.get("language");
        if (l == null && row.get("verification_info") instanceof Map<?, ?> info) l = info.get("language");
        return l == null ? "python" : l.toString();
    }
}
