package org.grpo4j.repl;

import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.eval.EvalRecipe;
import org.grpo4j.dsl.eval.PromptedModel;
import org.grpo4j.dsl.reward.Rewards;
import org.grpo4j.reward.RewardFunction;

/**
 * {@code grpo eval --model DIR [--model DIR2 …] --data FILE.jsonl [--prompt-column problem | --prompt-template "{q}\n"]
 * [--answer-column answer] [--system-prompt TEXT] [--chat] [-n 8] [--temperature 0.6] [--top-p 1] [--max-tokens 256]
 * [--reward accuracy[,format…]] [--k 1,4] [--seed 42] [--device cpu] [--out DIR]}: greedy accuracy, pass@k, maj@k,
 * lengths and truncation of each model in one table; prints {@code accuracy: X%} and {@code pass@N: Y%}.
 */
public final class EvalCommand implements Command {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "evaluate models: --model DIR [--model DIR2] --data FILE.jsonl [--prompt-column C | --prompt-template T] [--answer-column C] [-n 8]"
                + " [--temperature 0.6] [--max-tokens 256] [--reward accuracy] [--k 1,4] [--out DIR]";
    }

    @Override
    public Set<String> flags() {
        return Set.of("chat", "no-chat");
    }

    @Override
    public int run(Args args) throws Exception {
        List<String> models = args.all("model");
        if (models.isEmpty()) throw new UsageException("missing option --model (a model folder, checkpoint or run folder; repeat it to compare models)");
        Dataset data = Dataset.file(Path.of(args.require("data")));
        EvalRecipe r = EvalRecipe.create().dataset(data).prompting(prompting(args))
                .n(args.getInt("n", 8)).temperature(args.getDouble("temperature", 0.6)).topP(args.getDouble("top-p", 1.0))
                .maxTokens(args.getInt("max-tokens", 256)).seed(args.getInt("seed", 42)).device(args.get("device", "cpu"))
                .batchCompletions(args.getInt("batch", 256));
        String answer = args.get("answer-column", null);
        if (answer != null) r = r.answerColumn(answer);
        r = r.rewards(rewards(args.get("reward", "accuracy"), answer));
        String ks = args.get("k", null);
        if (ks != null) r = r.ks(ints("k", ks));
        String out = args.get("out", null);
        if (out != null) r = r.outputDir(out);
        args.rejectUnknown();
        for (String m : models) r = r.model(m);
        r.run();
        return 0;
    }

    /** The prompt options every sampling command shares. */
    static PromptedModel.Prompting prompting(Args args) {
        String template = args.get("prompt-template", null);
        String column = args.get("prompt-column", "prompt");
        if (template != null && !column.equals("prompt")) throw new UsageException("give --prompt-column or --prompt-template, not both");
        Boolean chat = args.flag("chat") ? Boolean.TRUE : args.flag("no-chat") ? Boolean.FALSE : null;
        if (chat == Boolean.TRUE && args.flag("no-chat")) throw new UsageException("--chat and --no-chat contradict each other");
        // a template's escapes arrive literally from the shell: "{q}\n" means a newline
        return new PromptedModel.Prompting(column, template == null ? null : template.replace("\\n", "\n"), args.get("system-prompt", null), chat);
    }

    /** Built-in rewards by name ({@code accuracy,format}); accuracy reads the gold answer from the answer column. */
    static List<RewardFunction> rewards(String names, String answerColumn) {
        List<RewardFunction> out = new ArrayList<>();
        List<String> known = new ArrayList<>();
        for (Rewards.Builtin b : Rewards.builtins()) known.add(b.name());
        for (String n : names.split(",")) {
            String name = n.strip();
            if (name.isEmpty()) continue;
            if (name.equals("accuracy")) {
                out.add(answerColumn == null ? Rewards.accuracy() : Rewards.accuracy(answerColumn));
                continue;
            }
            Rewards.Builtin found = null;
            for (Rewards.Builtin b : Rewards.builtins()) if (b.name().equals(name)) found = b;
            if (found == null)
                throw new UsageException("--reward: '" + name + "' is not a built-in reward; built-ins are " + String.join(", ", known)
                        + " (a reward of your own: use evaluate(...) in a .grpo script)");
            out.add(found.factory().get());
        }
        if (out.isEmpty()) throw new UsageException("--reward is empty");
        return out;
    }

    static Integer[] ints(String option, String csv) {
        List<Integer> out = new ArrayList<>();
        for (String p : csv.split("[,\\s]+")) {
            if (p.isEmpty()) continue;
            try {
                out.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new UsageException("--" + option + " expects comma-separated integers, got '" + p + "'");
            }
        }
        return out.toArray(Integer[]::new);
    }
}
