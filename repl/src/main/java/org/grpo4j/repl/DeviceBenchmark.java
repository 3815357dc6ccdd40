package org.grpo4j.repl;

import java.util.Set;
import java.util.TreeSet;
import org.grpo4j.bench.Benchmark;
import org.grpo4j.cli.Args;

/**
 * One benchmark name for two implementations: {@code grpo bench matmul} measures the CPU kernels, and
 * {@code grpo bench matmul --device opencl[:N]} the device kernels (which live in tornado-kernels, a module the
 * runtime's benchmark cannot see).
 */
final class DeviceBenchmark implements Benchmark {
    private final Benchmark cpu, device;

    DeviceBenchmark(Benchmark cpu, Benchmark device) {
        this.cpu = cpu;
        this.device = device;
    }

    @Override
    public String name() {
        return cpu.name();
    }

    @Override
    public String summary() {
        return cpu.summary() + "; --device opencl[:N]: " + device.summary();
    }

    @Override
    public Set<String> flags() {
        Set<String> all = new TreeSet<>(cpu.flags());
        all.addAll(device.flags());
        return all;
    }

    @Override
    public void run(Args args) throws Exception {
        String d = args.get("device", "cpu");
        if (d.equals("cpu")) cpu.run(args);
        else device.run(args);
    }
}
