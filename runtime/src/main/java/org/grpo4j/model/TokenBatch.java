package org.grpo4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch of token sequences packed row after row without padding, and which tokens the model must score.
 * Sequence {@code b} contributes {@code lengths[b]} rows at positions {@code 0..lengths[b]-1}; target {@code i}
 * asks for the log-prob of token {@code targetTokens[i]} given the prefix ending at row {@code targetRows[i]}.
 *
 * With {@code shared} (not null), a later sequence whose prompt an earlier one packs contributes only its own rows
 * (positions from its prompt's length on, its first target's row the prompt's last row): {@code lengths[b]} stays the
 * whole sequence's length and {@link #rows()} counts the packed rows, fewer than {@link #sequenceTokens()}.
 *
 * @param targetStart {@code batch + 1} offsets: sequence {@code b}'s targets are {@code [targetStart[b], targetStart[b+1])}
 * @param shared      the prompts packed once for several sequences, or null (each sequence packs all its rows)
 */
public record TokenBatch(int[] tokens, int[] positions, int[] lengths, int[] targetRows, int[] targetTokens, int[] targetStart,
                         SharedPrompts shared) {

    /** A batch in which every sequence packs all its rows. */
    public TokenBatch(int[] tokens, int[] positions, int[] lengths, int[] targetRows, int[] targetTokens, int[] targetStart) {
        this(tokens, positions, lengths, targetRows, targetTokens, targetStart, null);
    }

    /**
     * {@code -Dgrpo4j.sharedPrompts=false}: every sequence packs its prompt (benchmarks compare, tests pin the two
     * together). Read at each {@link #of} call so a test can switch it.
     */
    static boolean sharingOn() {
        return !"false".equals(System.getProperty("grpo4j.sharedPrompts"));
    }

    /**
     * Sharing pays only where it saves at least this fraction of the rows: attention then gathers the full layout into
     * scratch of its own, which {@code Activations} counts per full row, and the plan of a run
     * ({@link MemoryPlan}) holds the larger of the two layouts at this saving.
     */
    static final int MIN_SAVED_PARTS = 8;

    /** Tokens of every sequence with its prompt (what the sequences hold; {@link #rows()} when nothing is shared). */
    public int sequenceTokens() {
        int n = 0;
        for (int len : lengths) n += len;
        return n;
    }

    public int rows() {
        return tokens.length;
    }

    public int batch() {
        return lengths.length;
    }

    public int targets() {
        return targetRows.length;
    }

    /**
     * Packs whole sequences; in sequence {@code b} every token from index {@code firstTarget[b]} on is a target
     * (for GRPO: the completion, so {@code firstTarget} is the prompt length; for a full LM score: 1). A sequence whose
     * first {@code firstTarget[b]} tokens equal those of an earlier sequence of the same first target, and which has
     * rows past them, shares that sequence's prompt rows (see {@link SharedPrompts}) when the batch saves at least
     * {@code 1/}{@link #MIN_SAVED_PARTS} of its rows that way. This is the one place that decides sharing.
     */
    public static TokenBatch of(List<int[]> sequences, int[] firstTarget) {
        int B = sequences.size();
        if (firstTarget.length != B) throw new IllegalArgumentException("one firstTarget per sequence expected");
        int full = 0, targets = 0;
        for (int b = 0; b < B; b++) {
            int len = sequences.get(b).length, f = firstTarget[b];
            if (len == 0) throw new IllegalArgumentException("sequence " + b + " is empty");
            if (f < 1 || f > len) throw new IllegalArgumentException("sequence " + b + ": first target " + f + " outside 1.." + len);
            full += len;
            targets += len - f;
        }
        int[] owner = sharingOn() ? promptOwners(sequences, firstTarget) : null;
        int saved = 0;
        if (owner != null) for (int b = 0; b < B; b++) if (owner[b] >= 0) saved += firstTarget[b];
        if (saved == 0 || (long) saved * MIN_SAVED_PARTS < full) owner = null;
        int rows = full - (owner == null ? 0 : saved);
        int[] tokens = new int[rows], positions = new int[rows], lengths = new int[B], start = new int[B];
        int[] targetRows = new int[targets], targetTokens = new int[targets], targetStart = new int[B + 1];
        int r = 0, t = 0;
        for (int b = 0; b < B; b++) {
            int[] seq = sequences.get(b);
            int skip = owner != null && owner[b] >= 0 ? firstTarget[b] : 0; // a shared prompt's rows are its owner's
            lengths[b] = seq.length;
            targetStart[b] = t;
            start[b] = r - skip; // the row token 0 would have: rows of this sequence are start[b] + i for i >= skip
            for (int i = skip; i < seq.length; i++) {
                tokens[r] = seq[i];
                positions[r] = i;
                r++;
            }
            for (int i = firstTarget[b]; i < seq.length; i++) {
                int prev = i - 1;
                targetRows[t] = prev < skip ? start[owner[b]] + prev : start[b] + prev;
                targetTokens[t] = seq[i];
                t++;
            }
        }
        targetStart[B] = t;
        SharedPrompts shared = owner == null ? null : layout(lengths, firstTarget, owner, start, rows);
        return new TokenBatch(tokens, positions, lengths, targetRows, targetTokens, targetStart, shared);
    }

    /** Per sequence, the earlier sequence whose prompt rows it reads, or -1 (it packs its own prompt). */
    private static int[] promptOwners(List<int[]> sequences, int[] firstTarget) {
        int B = sequences.size();
        int[] owner = new int[B];
        Map<Prompt, Integer> seen = new HashMap<>();
        for (int b = 0; b < B; b++) {
            int[] seq = sequences.get(b);
            Prompt p = new Prompt(Arrays.copyOf(seq, firstTarget[b]));
            Integer o = seen.get(p);
            // a sequence with no rows past its prompt has nothing of its own to pack: it keeps its prompt
            owner[b] = o != null && seq.length > firstTarget[b] ? o : -1;
            if (o == null) seen.put(p, b);
        }
        return owner;
    }

    /** A prompt's token ids as a map key (arrays compare by identity). */
    private record Prompt(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Prompt p && Arrays.equals(ids, p.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /** The full layout of a batch with shared prompts: where each of its rows is packed, and each prompt's later copies. */
    private static SharedPrompts layout(int[] lengths, int[] firstTarget, int[] owner, int[] start, int rows) {
        int full = 0;
        for (int len : lengths) full += len;
        int[] fullRows = new int[full], ownerRows = new int[rows];
        List<int[]> copies = new ArrayList<>();
        java.util.Set<Integer> owners = new java.util.HashSet<>();
        int f = 0;
        for (int b = 0; b < lengths.length; b++) {
            int skip = owner[b] >= 0 ? firstTarget[b] : 0;
            if (skip > 0) {
                copies.add(new int[] {f, start[owner[b]], skip});
                owners.add(owner[b]);
            }
            for (int i = 0; i < lengths[b]; i++, f++) {
                int row = i < skip ? start[owner[b]] + i : start[b] + i;
                fullRows[f] = row;
                if (i >= skip) ownerRows[row] = f;
            }
        }
        int n = copies.size();
        int[] copyStart = new int[n], copyPrompt = new int[n], copyLength = new int[n];
        for (int k = 0; k < n; k++) {
            copyStart[k] = copies.get(k)[0];
            copyPrompt[k] = copies.get(k)[1];
            copyLength[k] = copies.get(k)[2];
        }
        return new SharedPrompts(fullRows, ownerRows, copyStart, copyPrompt, copyLength, owners.size());
    }
}
