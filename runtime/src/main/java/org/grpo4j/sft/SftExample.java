package org.grpo4j.sft;

/**
 * One supervised example as token ids: the prompt (context, no loss with {@code completion_only_loss}) and the
 * completion the model learns to produce (ending with the EOS token the caller appended).
 */
public record SftExample(int[] prompt, int[] completion) {
    public SftExample {
        if (prompt == null) prompt = new int[0];
        if (completion == null || completion.length == 0) throw new IllegalArgumentException("an SFT example needs a non-empty completion");
    }

    public int length() {
        return prompt.length + completion.length;
    }
}
