package org.grpo4j.dsl.math;

/**
 * The time one verification may take, so that a pathological answer (a 100 kB completion, {@code 9^{9^{9^9}}},
 * thousands of nested brackets) costs a bounded slice of a GRPO step and is judged "could not verify" (0) instead
 * of hanging a trainer thread. Math-Verify gets the same guarantee from {@code signal.alarm}; here the extractor's
 * regular expressions, the parser and the comparison call {@link #check()} as they go.
 *
 * <pre>{@code Budget.run(50_000_000L, () -> LatexParser.parse("1+1")) // parsed, or Budget.Exceeded after 50 ms}</pre>
 */
public final class Budget {
    private Budget() {}

    /** Thrown when the current verification has used its time; carries no stack trace (it is control flow). */
    public static final class Exceeded extends RuntimeException {
        Exceeded() {
            super("verification time budget exceeded", null, false, false);
        }
    }

    private static final ThreadLocal<long[]> DEADLINE = ThreadLocal.withInitial(() -> new long[] {Long.MAX_VALUE});

    /** Runs {@code work} with a deadline {@code nanos} from now (nested calls keep the earlier deadline). */
    public static <T> T run(long nanos, java.util.function.Supplier<T> work) {
        long[] d = DEADLINE.get();
        long saved = d[0];
        d[0] = Math.min(saved, System.nanoTime() + nanos);
        try {
            return work.get();
        } finally {
            d[0] = saved;
        }
    }

    /** Throws {@link Exceeded} when the current deadline has passed. */
    public static void check() {
        if (System.nanoTime() > DEADLINE.get()[0]) throw new Exceeded();
    }

    /** A view of {@code s} that checks the deadline while a regular expression reads it (regexes can backtrack). */
    static CharSequence watched(CharSequence s) {
        return new Watched(s, DEADLINE.get());
    }

    private static final class Watched implements CharSequence {
        private final CharSequence s;
        private final long[] deadline;
        private int reads;

        Watched(CharSequence s, long[] deadline) {
            this.s = s;
            this.deadline = deadline;
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public char charAt(int i) {
            if ((++reads & 4095) == 0 && System.nanoTime() > deadline[0]) throw new Exceeded();
            return s.charAt(i);
        }

        @Override
        public CharSequence subSequence(int a, int b) {
            return new Watched(s.subSequence(a, b), deadline);
        }

        @Override
        public String toString() {
            return s.toString();
        }
    }
}
