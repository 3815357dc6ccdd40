package org.grpo4j.repl;

/** A built-in reward as {@code :rewards} lists it: {@code usage} is how to call it, e.g. {@code accuracy()}. */
public record RewardInfo(String usage, String description) {}
