package org.grpo4j.bench;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/** {@code grpo bench NAME [options]}: runs one benchmark; the list is given by the caller (every module adds its own). */
public final class BenchCommand implements Command {
    private final List<Benchmark> benchmarks;

    public BenchCommand(List<Benchmark> benchmarks) {
        this.benchmarks = benchmarks;
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        StringBuilder names = new StringBuilder();
        for (Benchmark b : benchmarks) names.append(names.isEmpty() ? "" : "|").append(b.name());
        return "run a benchmark: " + names;
    }

    @Override
    public String usage(List<String> words) {
        for (Benchmark b : benchmarks)
            if (!words.isEmpty() && b.name().equals(words.getFirst()))
                return "usage: ./grpo bench " + b.name() + " [options]" + (b.flags().isEmpty() ? "" : "   (switches: --" + String.join(", --", new TreeSet<>(b.flags())) + ")")
                        + "\n\n" + b.summary();
        StringBuilder sb = new StringBuilder("usage: ./grpo bench NAME [options]   (./grpo bench NAME --help describes one)\n\nbenchmarks:");
        for (Benchmark b : benchmarks) sb.append("\n  ").append(String.format("%-10s ", b.name())).append(b.summary());
        return sb.toString();
    }

    @Override
    public Set<String> flags() {
        Set<String> all = new TreeSet<>();
        for (Benchmark b : benchmarks) all.addAll(b.flags());
        return all;
    }

    @Override
    public int run(Args args) throws Exception {
        if (args.positional().isEmpty()) {
            StringBuilder sb = new StringBuilder("which benchmark? one of:");
            for (Benchmark b : benchmarks) sb.append("\n  ").append(b.name()).append("  ").append(b.summary());
            throw new UsageException(sb.toString());
        }
        String name = args.positional().get(0);
        for (Benchmark b : benchmarks) {
            if (b.name().equals(name)) {
                b.run(args);
                return 0;
            }
        }
        throw new UsageException("unknown benchmark '" + name + "'; run ./grpo bench for the list");
    }
}
