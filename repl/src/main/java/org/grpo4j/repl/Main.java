package org.grpo4j.repl;

import java.util.List;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.cli.GenerateCommand;
import org.grpo4j.cli.LogprobsCommand;
import org.grpo4j.cli.MergeCommand;
import org.grpo4j.cli.TokenizeCommand;

/** Entry point of the {@code grpo} command: dispatches to the subcommands of every module. */
public final class Main {
    private Main() {}

    /** Every subcommand, in the order {@code grpo --help} lists them. */
    static List<Command> commands() {
        return List.of(
                new ReplCommand(),
                new RunCommand(),
                new LogprobsCommand(),
                new MergeCommand(),
                new GenerateCommand(),
                new TokenizeCommand(),
                new org.grpo4j.opencl.DevicesCommand(),
                new org.grpo4j.bench.BenchCommand(List.of(
                        new DeviceBenchmark(new org.grpo4j.bench.MatmulBenchmark(), new org.grpo4j.backend.opencl.OpenClMatmulBenchmark()),
                        new org.grpo4j.bench.TokenizeBenchmark(),
                        new org.grpo4j.bench.TrainBenchmark(),
                        new org.grpo4j.bench.GenerateBenchmark(),
                        new org.grpo4j.bench.GrpoStepBenchmark(),
                        new org.grpo4j.dsl.reward.RewardsBenchmark())));
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        List<Command> commands = commands();
        // `./grpo` alone opens the REPL, `./grpo FILE.grpo` runs a script (the #!/usr/bin/env grpo case)
        if (argv.length == 0 || argv[0].startsWith("--load")) argv = prepend("repl", argv);
        else if (argv[0].endsWith(".grpo")) argv = prepend("run", argv);
        if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printHelp(commands);
            return 0;
        }
        String name = argv[0];
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        for (Command c : commands) {
            if (c.name().equals(name)) {
                try {
                    return c.run(Args.parse(rest, c.flags()));
                } catch (Command.UsageException e) {
                    System.err.println("grpo " + name + ": " + e.getMessage());
                    return 2;
                } catch (Exception e) {
                    System.err.println("grpo " + name + ": " + describe(e));
                    if (System.getenv("GRPO_DEBUG") != null) e.printStackTrace();
                    return 1;
                }
            }
        }
        System.err.println("grpo: unknown command '" + name + "'; run ./grpo --help for the list");
        return 2;
    }

    private static String[] prepend(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return (m == null || m.isBlank()) ? e.toString() : m;
    }

    private static void printHelp(List<Command> commands) {
        System.out.println("usage: ./grpo <command> [options]     (./grpo alone opens the REPL, ./grpo FILE.grpo runs a script)\n");
        System.out.println("  test                 run the whole test suite (installs PoCL and test files when missing)");
        System.out.println("  build                build the project");
        for (Command c : commands) System.out.printf("  %-20s %s%n", c.name(), c.summary());
    }
}
