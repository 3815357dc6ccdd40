package org.grpo4j.tokenizer;

/**
 * A tokenizer file that cannot be used as it is: malformed JSON, an unsupported component, a merge that names a
 * missing token, a chat template that fails to render. The message names the file and the entry at fault, so a
 * user can fix the file rather than get a silently wrong encoding.
 */
public class TokenizerException extends RuntimeException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
