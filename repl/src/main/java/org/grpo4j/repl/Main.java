package org.grpo4j.repl;

import java.util.List;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.cli.GenerateCommand;
import org.grpo4j.cli.LogprobsCommand;
import org.grpo4j.cli.MergeCommand;
import org.grpo4j.cli.TokenizeCommand;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.distributed.Job;
import org.grpo4j.distributed.Launch;

/** Entry point of the {@code grpo} command: dispatches to the subcommands of every module. */
public final class Main {
    private Main() {}

    /** Every subcommand, in the order {@code grpo --help} lists them. */
    static List<Command> commands() {
        return List.of(
                new ReplCommand(),
                new RunCommand(),
                new TrainCommand(),
                new LogprobsCommand(),
                new MergeCommand(),
                new GenerateCommand(),
                new TokenizeCommand(),
                new EvalCommand(),
                new GenerateDataCommand(),
                new ReportCommand(),
                new DataCommand(),
                new org.grpo4j.opencl.DevicesCommand(),
                new org.grpo4j.bench.BenchCommand(List.of(
                        new DeviceBenchmark(new org.grpo4j.bench.MatmulBenchmark(), new org.grpo4j.backend.opencl.OpenClMatmulBenchmark()),
                        new org.grpo4j.bench.TokenizeBenchmark(),
                        new org.grpo4j.bench.TrainBenchmark(),
                        new org.grpo4j.bench.GenerateBenchmark(),
                        new org.grpo4j.bench.GrpoStepBenchmark(),
                        new org.grpo4j.dsl.reward.RewardsBenchmark(),
                        new org.grpo4j.dsl.data.DataBenchmark())));
    }

    public static void main(String[] argv) {
        // under mpirun every rank runs the same command; a rank that fails stops the others (see Job)
        if (Launch.underMpi()) {
            Communicator comm = Communicator.fromEnvironment();
            // every rank runs the script; rank 0 speaks for the job (errors still reach stderr from any rank)
            if (!comm.isRoot()) System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            System.exit(Job.run(comm, () -> run(argv)));
        }
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        List<Command> commands = commands();
        // `./grpo` alone opens the REPL, `./grpo FILE.grpo` runs a script (the #!/usr/bin/env grpo case)
        if (argv.length == 0 || argv[0].startsWith("--load")) argv = prepend("repl", argv);
        else if (argv[0].endsWith(".grpo") || argv[0].endsWith(".yaml") || argv[0].endsWith(".yml")) argv = prepend("run", argv);
        if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printHelp(commands);
            return 0;
        }
        String name = argv[0];
        // --verbose (any command): errors show their whole stack trace, as GRPO_DEBUG does
        String[] rest = java.util.Arrays.stream(argv, 1, argv.length).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
        if (rest.length < argv.length - 1) System.setProperty("grpo.verbose", "true");
        for (Command c : commands) {
            if (c.name().equals(name)) {
                List<String> words = helpWords(rest);
                if (words != null) {
                    System.out.println(c.usage(words));
                    return 0;
                }
                try {
                    return c.run(Args.parse(rest, c.flags()));
                } catch (Command.UsageException e) {
                    System.err.println("grpo " + name + ": " + e.getMessage());
                    return 2;
                } catch (Exception e) {
                    System.err.println("grpo " + name + ": " + describe(e));
                    if (System.getenv("GRPO_DEBUG") != null || Boolean.getBoolean("grpo.verbose")) e.printStackTrace();
                    return 1;
                }
            }
        }
        System.err.println("grpo: unknown command '" + name + "'; run ./grpo --help for the list");
        return 2;
    }

    /** The words before {@code --help}/{@code -h} when the command line asks for help, else null. */
    static List<String> helpWords(String[] rest) {
        for (int i = 0; i < rest.length; i++)
            if (rest[i].equals("--help") || rest[i].equals("-h")) return java.util.Arrays.asList(rest).subList(0, i).stream().filter(w -> !w.startsWith("-")).toList();
        return null;
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
        System.out.println("usage: ./grpo <command> [options]     (./grpo alone opens the REPL, ./grpo FILE.grpo runs a script)\n"
                + "       ./grpo <command> --help  describes one command; --verbose shows errors with their stack trace (or GRPO_DEBUG=1)\n");
        System.out.println("  test                 run the whole test suite (installs PoCL and test files when missing)");
        System.out.println("  build                build the project");
        for (Command c : commands) System.out.printf("  %-20s %s%n", c.name(), c.summary());
    }
}
