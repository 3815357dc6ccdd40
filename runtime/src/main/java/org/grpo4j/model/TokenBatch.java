package org.grpo4j.model;

import java.util.List;

/**
 * A batch of token sequences packed row after row without padding, and which tokens the model must score.
 * Sequence {@code b} contributes {@code lengths[b]} rows at positions {@code 0..lengths[b]-1}; target {@code i}
 * asks for the log-prob of token {@code targetTokens[i]} given the prefix ending at row {@code targetRows[i]}.
 *
 * @param targetStart {@code batch + 1} offsets: sequence {@code b}'s targets are {@code [targetStart[b], targetStart[b+1])}
 */
public record TokenBatch(int[] tokens, int[] positions, int[] lengths, int[] targetRows, int[] targetTokens, int[] targetStart) {

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
     * (for GRPO: the completion, so {@code firstTarget} is the prompt length; for a full LM score: 1).
     */
    public static TokenBatch of(List<int[]> sequences, int[] firstTarget) {
        int B = sequences.size();
        if (firstTarget.length != B) throw new IllegalArgumentException("one firstTarget per sequence expected");
        int rows = 0, targets = 0;
        for (int b = 0; b < B; b++) {
            int len = sequences.get(b).length, f = firstTarget[b];
            if (len == 0) throw new IllegalArgumentException("sequence " + b + " is empty");
            if (f < 1 || f > len) throw new IllegalArgumentException("sequence " + b + ": first target " + f + " outside 1.." + len);
            rows += len;
            targets += len - f;
        }
        int[] tokens = new int[rows], positions = new int[rows], lengths = new int[B];
        int[] targetRows = new int[targets], targetTokens = new int[targets], targetStart = new int[B + 1];
        int r = 0, t = 0;
        for (int b = 0; b < B; b++) {
            int[] seq = sequences.get(b);
            lengths[b] = seq.length;
            targetStart[b] = t;
            for (int i = 0; i < seq.length; i++) {
                tokens[r + i] = seq[i];
                positions[r + i] = i;
                if (i >= firstTarget[b]) {
                    targetRows[t] = r + i - 1;
                    targetTokens[t] = seq[i];
                    t++;
                }
            }
            r += seq.length;
        }
        targetStart[B] = t;
        return new TokenBatch(tokens, positions, lengths, targetRows, targetTokens, targetStart);
    }
}
