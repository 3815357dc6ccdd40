package org.grpo4j.generate;

/**
 * One sampled completion of one prompt.
 *
 * @param promptIndex  which prompt of the {@link Generator#generate} call
 * @param sampleIndex  which of its {@code num_generations} samples (0-based)
 * @param tokenIds     the new tokens, including the stop token or the token that completed a stop string (as
 *                     Hugging Face's {@code generate} returns them)
 * @param text         the decoded completion (null without a decoder): a final stop token is not decoded, and
 *                     for {@link FinishReason#STOP} the text ends right after the stop string (kept)
 * @param finishReason why the completion ended
 * @param logprobs     for each token of {@code tokenIds}, its log-prob under {@code log_softmax(logits / temperature)}
 *                     of the <em>raw</em> model logits (temperature 1 when greedy): before repetition penalty and
 *                     before top-k/top-p/min-p filtering. This is the distribution TRL's GRPO trainer scores
 *                     ({@code old_per_token_logps}), and what {@code Transformer.forward(batch, temperature)}
 *                     returns for the same tokens.
 */
public record Completion(int promptIndex, int sampleIndex, int[] tokenIds, String text, FinishReason finishReason, float[] logprobs) {

    /** Why a completion ended (the names vLLM and TRL report). */
    public enum FinishReason {
        /** A stop token id ({@code eos_token_id}) was sampled. */
        EOS,
        /** The decoded text came to contain a stop string. */
        STOP,
        /** {@code max_completion_length} new tokens were generated. */
        LENGTH;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public int length() {
        return tokenIds.length;
    }

    @Override
    public String toString() {
        return "Completion[prompt " + promptIndex + ", sample " + sampleIndex + ", " + tokenIds.length + " tokens, " + finishReason
                + (text == null ? "" : ", \"" + text + "\"") + "]";
    }
}
