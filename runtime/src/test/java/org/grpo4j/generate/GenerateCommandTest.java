package org.grpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.cli.GenerateCommand;
import org.grpo4j.model.Architecture;
import org.grpo4j.model.Transformer;
import org.grpo4j.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code grpo generate} on a saved tiny model folder. */
class GenerateCommandTest {

    static String run(String... argv) throws Exception {
        GenerateCommand cmd = new GenerateCommand();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, cmd.run(Args.parse(argv, cmd.flags())));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void idsOnlyPrintsOneLinePerCompletionAndGreedyMatchesTheEngine(@TempDir Path dir) throws Exception {
        Transformer m = GeneratorTest.model(Architecture.QWEN2);
        m.save(dir, DType.F32);
        String out = run("--model", dir.toString(), "--ids", "1,5,9", "-n", "3", "--temperature", "0", "--max-tokens", "6", "--ids-only", "--ignore-eos");
        String[] lines = out.strip().split("\n");
        assertEquals(3, lines.length, out);
        Transformer loaded = Transformer.load(dir, new CpuBackend());
        int[] want = new Generator(loaded).generate(List.of(new int[] {1, 5, 9}),
                SamplingParams.defaults().withNumGenerations(1).withTemperature(0).withMaxCompletionLength(6).withIgnoreEos(true)).get(0).tokenIds();
        StringBuilder sb = new StringBuilder();
        for (int id : want) sb.append(sb.isEmpty() ? "" : ",").append(id);
        for (String line : lines) assertEquals(sb.toString(), line.strip());

        String sampled = run("--model", dir.toString(), "--ids", "1 5 9", "-n", "2", "--temperature", "0.9", "--top-k", "10", "--top-p", "0.9",
                "--min-p", "0.01", "--repetition-penalty", "1.2", "--seed", "4", "--max-tokens", "5");
        assertTrue(sampled.contains("--- sample 0") && sampled.contains("--- sample 1"), sampled);
    }

    @Test
    void stopsAtTheModelsEosIdsIncludingGenerationConfig(@TempDir Path dir) throws Exception {
        Transformer m = GeneratorTest.model(Architecture.LLAMA);
        m.save(dir, DType.F32);
        // every id but 3 ends a completion: each completion is one token, unless it is 3
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 29; i++) if (i != 3) ids.append(ids.isEmpty() ? "" : ",").append(i);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [" + ids + "]}");
        String out = run("--model", dir.toString(), "--ids", "1,2", "-n", "8", "--max-tokens", "4", "--temperature", "1.5");
        assertTrue(out.contains("(eos, 1 tokens)"), out);
    }

    @Test
    void badInputIsAUsageError(@TempDir Path dir) {
        GenerateCommand cmd = new GenerateCommand();
        assertThrows(Command.UsageException.class, () -> cmd.run(Args.parse(new String[] {"--model", dir.toString()}, cmd.flags())));
        assertThrows(Command.UsageException.class, () -> cmd.run(Args.parse(new String[] {"--model", dir.toString(), "--ids", "1,x"}, cmd.flags())));
        assertThrows(Command.UsageException.class, () -> cmd.run(Args.parse(new String[] {"--model", dir.toString(), "--ids", "1", "--temprature", "1"}, cmd.flags())));
        assertEquals(Set.of("ids-only", "chat", "ignore-eos"), cmd.flags());
    }
}
