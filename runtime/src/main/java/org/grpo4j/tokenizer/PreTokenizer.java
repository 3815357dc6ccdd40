package org.grpo4j.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code pre_tokenizer} of {@code tokenizer.json}: splits normalised text into words that BPE then encodes
 * independently. Pieces are pushed to a {@link Sink} so a sequence of pre-tokenizers needs no intermediate lists.
 */
sealed interface PreTokenizer {
    /** Receives words; {@code atOrigin} is true only for a word that starts at offset 0 of the original text. */
    interface Sink {
        void accept(String piece, boolean atOrigin);
    }

    void split(String text, boolean atOrigin, Sink out);

    /** How a {@link Split} keeps the matches of its pattern (Hugging Face's {@code SplitDelimiterBehavior}). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /**
     * Splits at the matches of a regex (or a literal, quoted into a regex); {@code invert} swaps match and gap.
     * {@code fast}, when non-null, is a hand-written matcher equivalent to the pattern ({@link FastSplit}).
     */
    record Split(Pattern pattern, Behavior behavior, boolean invert, FastSplit fast) implements PreTokenizer {
        /** Whether {@link FastSplit} can do this split: its matches tile the text, each one a word. */
        boolean tilesWithFastSplit() {
            return fast != null && behavior == Behavior.ISOLATED && !invert;
        }

        @Override
        public void split(String text, boolean atOrigin, Sink out) {
            if (text.isEmpty()) return;
            if (tilesWithFastSplit()) {
                for (int pos = 0, n = text.length(); pos < n; ) {
                    int end = fast.matchEnd(text, pos);
                    out.accept(text.substring(pos, end), atOrigin && pos == 0);
                    pos = end;
                }
                return;
            }
            if (behavior == Behavior.ISOLATED && !invert) { // the common case of byte-level models
                Matcher m = pattern.matcher(text);
                int prev = 0;
                while (m.find()) {
                    int s = m.start(), e = m.end();
                    if (s > prev) out.accept(text.substring(prev, s), atOrigin && prev == 0);
                    if (e > s) out.accept(text.substring(s, e), atOrigin && s == 0);
                    prev = e;
                }
                if (prev < text.length()) out.accept(text.substring(prev), atOrigin && prev == 0);
                return;
            }
            splitGeneral(text, atOrigin, out);
        }

        private void splitGeneral(String text, boolean atOrigin, Sink out) {
            // segments as (start, end, isMatch), covering the text, exactly as Hugging Face's find_matches
            int[] seg = new int[16 * 3];
            int n = 0;
            Matcher m = pattern.matcher(text);
            int prev = 0;
            while (m.find()) {
                if (n + 6 > seg.length) seg = java.util.Arrays.copyOf(seg, seg.length * 2);
                if (prev != m.start()) { seg[n++] = prev; seg[n++] = m.start(); seg[n++] = invert ? 1 : 0; }
                seg[n++] = m.start(); seg[n++] = m.end(); seg[n++] = invert ? 0 : 1;
                prev = m.end();
            }
            if (n + 3 > seg.length) seg = java.util.Arrays.copyOf(seg, seg.length * 2);
            if (prev != text.length()) { seg[n++] = prev; seg[n++] = text.length(); seg[n++] = invert ? 1 : 0; }
            int count = n / 3;
            int[] start = new int[count], end = new int[count];
            int k = 0;
            switch (behavior) {
                case REMOVED -> {
                    for (int i = 0; i < count; i++) if (seg[3 * i + 2] == 0) { start[k] = seg[3 * i]; end[k++] = seg[3 * i + 1]; }
                }
                case ISOLATED -> {
                    for (int i = 0; i < count; i++) { start[k] = seg[3 * i]; end[k++] = seg[3 * i + 1]; }
                }
                case MERGED_WITH_PREVIOUS -> {
                    boolean prevMatch = false;
                    for (int i = 0; i < count; i++) {
                        boolean isMatch = seg[3 * i + 2] == 1;
                        if (isMatch && !prevMatch && k > 0) end[k - 1] = seg[3 * i + 1];
                        else { start[k] = seg[3 * i]; end[k++] = seg[3 * i + 1]; }
                        prevMatch = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean prevMatch = false; // walks backwards, then the pieces are reversed
                    for (int i = count - 1; i >= 0; i--) {
                        boolean isMatch = seg[3 * i + 2] == 1;
                        if (isMatch && !prevMatch && k > 0) start[k - 1] = seg[3 * i];
                        else { start[k] = seg[3 * i]; end[k++] = seg[3 * i + 1]; }
                        prevMatch = isMatch;
                    }
                    for (int i = 0, j = k - 1; i < j; i++, j--) {
                        int t = start[i]; start[i] = start[j]; start[j] = t;
                        t = end[i]; end[i] = end[j]; end[j] = t;
                    }
                }
                case CONTIGUOUS -> {
                    boolean prevMatch = false;
                    for (int i = 0; i < count; i++) {
                        boolean isMatch = seg[3 * i + 2] == 1;
                        if (isMatch == prevMatch && k > 0) end[k - 1] = seg[3 * i + 1];
                        else { start[k] = seg[3 * i]; end[k++] = seg[3 * i + 1]; }
                        prevMatch = isMatch;
                    }
                }
            }
            for (int i = 0; i < k; i++)
                if (end[i] > start[i]) out.accept(text.substring(start[i], end[i]), atOrigin && start[i] == 0);
        }
    }

    /**
     * GPT-2's byte-level step: optionally a leading space and GPT-2's own regex split, then every UTF-8 byte becomes
     * its printable stand-in ({@link ByteLevel}).
     */
    record ByteLevelPre(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        static final Pattern GPT2 = Text.compileOniguruma(FastSplit.GPT2);
        private static final Split GPT2_SPLIT = new Split(GPT2, Behavior.ISOLATED, false, FastSplit.forPattern(FastSplit.GPT2));

        @Override
        public void split(String text, boolean atOrigin, Sink out) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (useRegex) GPT2_SPLIT.split(text, atOrigin, (p, o) -> out.accept(ByteLevel.encode(p), o));
            else if (!text.isEmpty()) out.accept(ByteLevel.encode(text), atOrigin);
        }
    }

    /** How {@link Metaspace} adds the replacement character in front of a word. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** SentencePiece's convention: spaces become {@code ▁}, optionally prepended, optionally split before each. */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean splitWords) implements PreTokenizer {
        @Override
        public void split(String text, boolean atOrigin, Sink out) {
            if (text.isEmpty()) return;
            String s = text.replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> atOrigin;
                case NEVER -> false;
            };
            if (prepend && s.charAt(0) != replacement) s = replacement + s;
            if (!splitWords) {
                out.accept(s, atOrigin);
                return;
            }
            int prev = 0; // merged-with-next: every replacement starts a new word
            for (int i = 1; i < s.length(); i++) {
                if (s.charAt(i) == replacement) {
                    out.accept(s.substring(prev, i), atOrigin && prev == 0);
                    prev = i;
                }
            }
            out.accept(s.substring(prev), atOrigin && prev == 0);
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(String text, boolean atOrigin, Sink out) {
            run(0, text, atOrigin, out);
        }

        private void run(int i, String text, boolean atOrigin, Sink out) {
            if (i == steps.size()) out.accept(text, atOrigin);
            else steps.get(i).split(text, atOrigin, (p, o) -> run(i + 1, p, o, out));
        }
    }
}
