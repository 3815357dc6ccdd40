package org.grpo4j.repl;

import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import java.nio.file.Path;
import java.util.Set;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.datagen.DataGenRecipe;

/**
 * {@code grpo generate-data --model DIR --data prompts.jsonl --out data.jsonl [-n 4] [--reward accuracy[,format]]
 * [--keep correct|best|all] [--answer-column answer] [--prompt-column problem | --prompt-template "{q}\n"]
 * [--system-prompt TEXT] [--chat] [--completion-column completion] [--temperature 0.6] [--top-p 1] [--max-tokens 256]
 * [--seed 42] [--device cpu]}: samples n answers per prompt, scores them, and writes the rows that {@code --keep}
 * selects; a rerun with the same options continues the file.
 */
public final class GenerateDataCommand implements Command {
    @Override
    public String name() {
        return "generate-data";
    }

    @Override
    public String summary() {
        return "make a data set from a model's answers: --model DIR --data FILE.jsonl --out OUT.jsonl [-n 4] [--reward accuracy] [--keep correct|best|all]"
                + " [--answer-column C] [--completion-column completion]";
    }

    @Override
    public Set<String> flags() {
        return Set.of("chat", "no-chat");
    }

    @Override
    public int run(Args args) throws Exception {
        DataGenRecipe r = DataGenRecipe.create().model(args.require("model")).dataset(Dataset.file(Path.of(args.require("data"))))
                .output(args.require("out")).prompting(EvalCommand.prompting(args))
                .n(args.getInt("n", 4)).temperature(args.getDouble("temperature", 0.6)).topP(args.getDouble("top-p", 1.0))
                .maxTokens(args.getInt("max-tokens", 256)).seed(args.getInt("seed", 42)).device(args.get("device", "cpu"))
                .completionColumn(args.get("completion-column", "completion")).batchCompletions(args.getInt("batch", 256));
        try {
            r = r.keep(args.get("keep", "correct"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        String answer = args.get("answer-column", null);
        if (answer != null) r = r.answerColumn(answer);
        r = r.rewards(EvalCommand.rewards(args.get("reward", "accuracy"), answer));
        args.rejectUnknown();
        r.run();
        return 0;
    }
}
