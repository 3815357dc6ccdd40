package org.grpo4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;

/**
 * {@code grpo logprobs --model DIR --ids 12,7,99,…}: the log-prob of each token after the first given its prefix,
 * one per line. A way to check the engine from outside (compare with transformers' output for the same ids).
 */
public final class LogprobsCommand implements Command {
    @Override
    public String name() {
        return "logprobs";
    }

    @Override
    public String summary() {
        return "print the log-prob of each token given its prefix (--model DIR --ids 1,2,3 [--temperature T])";
    }

    @Override
    public Set<String> flags() {
        return Set.of("with-tokens");
    }

    @Override
    public int run(Args args) throws Exception {
        Path dir = Path.of(args.require("model"));
        int[] ids = args.ids("ids");
        float temperature = (float) args.getDouble("temperature", 1.0);
        boolean withTokens = args.flag("with-tokens");
        String device = args.get("device", "cpu");
        args.rejectUnknown();
        if (ids.length < 2) throw new UsageException("--ids needs at least two token ids (the first is only context)");
        Transformer model = Transformer.load(dir, org.grpo4j.backend.Devices.open(device));
        int vocab = model.config().vocabSize();
        for (int id : ids) if (id < 0 || id >= vocab) throw new UsageException("token id " + id + " is outside the model's vocabulary of " + vocab);
        float[] logp = model.score(TokenBatch.of(List.of(ids), new int[] {1}), temperature).logp();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < logp.length; i++) {
            if (withTokens) out.append(ids[i + 1]).append('\t');
            out.append(logp[i]).append('\n');
        }
        System.out.print(out);
        return 0;
    }
}
