package org.grpo4j.grpo;

/**
 * A reward function that failed on some samples of one scoring call: it threw, timed out (every sample of the
 * call counts) or returned ±Infinity (each such value counts). Those samples got NaN.
 *
 * @param name         the reward function's name
 * @param count        how many samples got NaN because of a failure
 * @param firstMessage what went wrong first, naming the function, e.g. {@code reward 'x' timed out after 60 s}
 */
public record RewardFailure(String name, int count, String firstMessage) {
    @Override
    public String toString() {
        return firstMessage + (count > 1 ? " (" + count + " samples)" : "");
    }
}
