package org.grpo4j.bench;

import org.grpo4j.cli.Args;

/**
 * One {@code grpo bench NAME} workload. A benchmark prints one line per figure as {@code name: value unit}
 * (medians after warm-up) and, where a comparison exists on this machine, the comparison measured in the same
 * run and the ratio, so a noisy shared machine cannot fake a speed-up.
 */
public interface Benchmark {
    String name();

    String summary();

    /** Options that are switches rather than {@code --name value}. */
    default java.util.Set<String> flags() {
        return java.util.Set.of();
    }

    void run(Args args) throws Exception;
}
