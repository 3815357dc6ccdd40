package org.grpo4j.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.grpo4j.cli.Args;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The variants of the benchmark table run ({@code grpo bench grpo-step}: LoRA on a bf16 / int8 / NF4 base,
 * with and without gradient checkpointing, micro-batched; the plain full fine-tune is the path every earlier
 * benchmark ran) and print the step by phase and its peak memory. On the tiny bench-s model: this checks the
 * set-up, not the figures.
 */
class GrpoStepBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"--lora 4 --base bf16", "--lora 4 --base nf4 --gradient-checkpointing", "--lora 4 --base int8",
            "--gradient-checkpointing"})
    void everyVariantPrintsItsStepByPhaseAndPeakMemory(String variant) throws Exception {
        List<String> argv = new ArrayList<>(List.of("grpo-step", "--config", "bench-s", "--steps", "1", "--warmup", "0", "--no-peer", "--micro", "4"));
        if (!variant.isEmpty()) argv.addAll(List.of(variant.split(" ")));
        GrpoStepBenchmark bench = new GrpoStepBenchmark();
        Args args = Args.parse(argv.toArray(String[]::new), bench.flags());
        args.positional();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            bench.run(args);
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        for (String line : Set.of("generation: ", "reference: ", "policy fwd+bwd: ", "optimizer: ", "step: ", "peak memory: ", "micro-batches of 4"))
            assertTrue(text.contains(line), variant + ": no '" + line + "' in\n" + text);
        if (variant.contains("lora")) assertTrue(text.contains("LoRA r=4 all-linear on a frozen"), text);
    }
}
