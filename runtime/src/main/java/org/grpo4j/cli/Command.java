package org.grpo4j.cli;

/**
 * One subcommand of the {@code grpo} command line ({@code grpo logprobs}, {@code grpo bench}, ...).
 * Each module contributes its commands; {@code org.grpo4j.repl.Main} lists them in one place.
 */
public interface Command {
    /** The word after {@code grpo}. */
    String name();

    /** One line for {@code grpo --help}. */
    String summary();

    /** Options that are switches ({@code --ids-only}); every other {@code --name} takes a value. */
    default java.util.Set<String> flags() {
        return java.util.Set.of();
    }

    /** Runs the command; the result is the process exit code. A {@link UsageException} prints usage. */
    int run(Args args) throws Exception;

    /** Thrown for bad command-line input: the message is shown to the user without a stack trace. */
    final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
