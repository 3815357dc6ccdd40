package org.grpo4j.tokenizer;

/**
 * One turn of a conversation for {@link ChatTemplate#apply}: {@code role} is {@code system}, {@code user},
 * {@code assistant} (or {@code tool}), as the model's chat template expects.
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        java.util.Objects.requireNonNull(role, "role");
        java.util.Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
