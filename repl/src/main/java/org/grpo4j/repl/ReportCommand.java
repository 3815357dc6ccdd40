package org.grpo4j.repl;

import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import java.nio.file.Path;
import org.grpo4j.dsl.report.RunReport;

/**
 * {@code grpo report RUN_DIR}: writes {@code RUN_DIR/report.html} with PNG charts in {@code RUN_DIR/report/} from
 * the run's {@code metrics.jsonl}, {@code completions.jsonl}, {@code settings.json} and evaluation results.
 */
public final class ReportCommand implements Command {
    @Override
    public String name() {
        return "report";
    }

    @Override
    public String summary() {
        return "report of a training run: RUN_DIR → RUN_DIR/report.html with charts (reward, KL, lengths, lr, …) and sample completions";
    }

    @Override
    public int run(Args args) throws Exception {
        args.rejectUnknown();
        if (args.positional().size() != 1) throw new UsageException("usage: grpo report RUN_DIR (a training run's output_dir)");
        Path html = RunReport.write(Path.of(args.positional().getFirst()));
        System.out.println("report: " + html);
        return 0;
    }
}
