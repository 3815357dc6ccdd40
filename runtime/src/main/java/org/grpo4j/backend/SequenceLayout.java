package org.grpo4j.backend;

/**
 * How a batch of sequences of different lengths is packed into rows without padding: sequence {@code b}
 * occupies rows {@code [seqStart[b], seqStart[b+1])}, and its saved attention probabilities (heads × T_b × T_b,
 * causal) start at {@code probStart[b]} in the layer's probability buffer. Built once per batch by the host.
 *
 * @param batch      number of sequences
 * @param rows       total rows (tokens) of all sequences
 * @param maxLength  the longest sequence
 * @param seqStart   {@code batch + 1} row offsets
 * @param probStart  {@code batch} offsets into a layer's probability buffer
 * @param probsSize  floats of one layer's probability buffer
 */
public record SequenceLayout(int batch, int rows, int maxLength, IntTensor seqStart, IntTensor probStart, long probsSize) {

    /** Uploads the layout of sequences with the given lengths; {@code heads} is the number of query heads. */
    public static SequenceLayout of(Backend backend, int[] lengths, int heads) {
        int[] seqStart = new int[lengths.length + 1];
        int[] probStart = new int[lengths.length];
        long probs = 0;
        int max = 0;
        for (int b = 0; b < lengths.length; b++) {
            seqStart[b + 1] = seqStart[b] + lengths[b];
            if (probs > Integer.MAX_VALUE) throw new IllegalArgumentException("attention probabilities of this batch exceed 2^31 floats; use smaller micro-batches");
            probStart[b] = (int) probs;
            probs += (long) heads * lengths[b] * lengths[b];
            max = Math.max(max, lengths[b]);
        }
        return new SequenceLayout(lengths.length, seqStart[lengths.length], max,
                backend.ints(seqStart), backend.ints(probStart), probs);
    }
}
