package org.grpo4j.generate;

/**
 * What one {@link Generator#generate} call did.
 *
 * @param prompts       prompts of the call
 * @param sequences     completions ({@code prompts × num_generations})
 * @param promptTokens  prompt tokens run through the model once (the prefill, shared by each prompt's samples)
 * @param activeRows    rows of each decode step after the prefill: sequences still running, so it never grows
 * @param newTokens     tokens sampled in all
 * @param kvCacheBytes  bytes of the KV cache this call needed
 * @param seconds       wall time of the call
 * @param decodeSeconds wall time after the prefill (and the first token of each sequence)
 */
public record GenerationStats(int prompts, int sequences, int promptTokens, int[] activeRows, long newTokens, long kvCacheBytes, double seconds,
                              double decodeSeconds) {

    /** Sampled tokens per second over the whole call. */
    public double tokensPerSecond() {
        return newTokens / seconds;
    }

    /**
     * Tokens per second of the decode steps alone (each sequence's first token, sampled from the prefill, excluded),
     * as llama2.c and the PyTorch peer count single-sequence decode.
     */
    public double decodeTokensPerSecond() {
        return (newTokens - sequences) / decodeSeconds;
    }
}
