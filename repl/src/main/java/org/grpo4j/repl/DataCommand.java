package org.grpo4j.repl;

import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.data.Dataset;
import org.grpo4j.dsl.data.HfFolder;
import org.grpo4j.dsl.data.ParquetReader;
import org.grpo4j.dsl.recipe.GrpoRecipe;
import org.grpo4j.dsl.recipe.PromptText;
import org.grpo4j.dsl.recipe.Recipes;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * {@code grpo data inspect PATH}: what a recipe would train on, before training — the splits with their row
 * counts ({@code train rows: 300}), the columns with their types, and the first rows with the prompt as the
 * trainer builds it (prompt column or template, system prompt, and the chat template when {@code --model},
 * {@code --tokenizer} or {@code --recipe} gives a tokenizer). Parquet row counts come from the files' footers and
 * only the first rows are read, so a large data set is inspected in moments.
 */
final class DataCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "data inspect PATH|--recipe R.yaml [--split S] [--config C] [--rows N] [--model DIR] [--prompt-column C] [--system-prompt T]: "
                + "splits, row counts, columns, first rows as the trainer sees them";
    }

    @Override
    public int run(Args args) throws Exception {
        List<String> pos = args.positional();
        if (pos.isEmpty() || !pos.getFirst().equals("inspect"))
            throw new UsageException("usage: grpo data inspect PATH [--split S] [--config C] [--rows N] [--model DIR | --tokenizer DIR | --recipe R.yaml] "
                    + "[--prompt-column C] [--system-prompt TEXT] [--prompt-template T]");
        if (pos.size() > 2) throw new UsageException("one PATH please, got " + pos.subList(1, pos.size()));
        String recipeFile = args.get("recipe", null);
        GrpoRecipe recipe = recipeFile != null ? Recipes.fromYaml(Path.of(recipeFile)) : Recipes.grpo();
        if (args.get("prompt-column", null) != null) recipe = recipe.promptColumn(args.get("prompt-column", null));
        if (args.get("system-prompt", null) != null) recipe = recipe.systemPrompt(args.get("system-prompt", null));
        if (args.get("prompt-template", null) != null) recipe = recipe.promptTemplate(args.get("prompt-template", null));
        String tokDir = args.get("tokenizer", args.get("model", null));
        Tokenizer tok = tokDir != null ? Tokenizer.load(Path.of(tokDir)) : recipeFile != null ? Tokenizer.load(recipe.tokenizerDir()) : null;
        String config = args.get("config", null), only = args.get("split", null);
        int rows = args.getInt("rows", 3);
        args.rejectUnknown();
        if (rows < 0) throw new UsageException("--rows must be >= 0");

        Map<String, Dataset> splits = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        if (pos.size() == 2) {
            Path path = Path.of(pos.get(1));
            if (Files.isRegularFile(path)) {
                splits.put("train", Dataset.file(path));
                System.out.println(path + ": one " + extension(path) + " file, " + mb(List.of(path)) + " (the train split)");
            } else {
                HfFolder f = HfFolder.open(path, config);
                System.out.println(f.root() + ": " + f.format() + (f.config() != null ? ", config " + f.config() + " (configs: " + String.join(", ", f.configs()) + ")" : "")
                        + ", splits " + String.join(", ", f.splits().keySet()));
                for (Map.Entry<String, List<Path>> e : f.splits().entrySet()) {
                    splits.put(e.getKey(), Dataset.hf(f.root(), f.config(), e.getKey()));
                    System.out.println("  " + e.getKey() + ": " + e.getValue().size() + " file" + (e.getValue().size() == 1 ? "" : "s") + ", " + mb(e.getValue()));
                    if (f.format().equals("parquet")) {
                        long n = 0;
                        for (Path p : e.getValue()) n += ParquetReader.count(p);
                        counts.put(e.getKey(), n);
                    }
                }
            }
        } else if (recipeFile != null) {
            if (recipe.dataset() == null) throw new UsageException(recipeFile + " names no dataset");
            splits.put("train", recipe.dataset());
            if (recipe.evalDataset() != null) splits.put("test", recipe.evalDataset());
            System.out.println(recipeFile + ": dataset " + recipe.dataset().source());
        } else throw new UsageException("grpo data inspect needs a PATH (a data file or dataset folder) or --recipe FILE.yaml");

        for (Map.Entry<String, Dataset> e : splits.entrySet())
            System.out.println(e.getKey() + " rows: " + counts.computeIfAbsent(e.getKey(), k -> (long) e.getValue().size()));
        String shown = only != null ? only : splits.keySet().iterator().next();
        Dataset d = splits.get(shown);
        if (d == null) throw new UsageException("--split " + shown + ": no such split; splits are: " + String.join(", ", splits.keySet()));
        Dataset head = d.take(Math.max(rows, 1000));
        System.out.println("columns of " + shown + ":");
        head.columnTypes().forEach((c, t) -> System.out.println("  " + c + ": " + t));
        printRows(recipe, head.take(rows), shown, tok, tokDir != null ? tokDir : recipeFile != null ? recipe.tokenizerDir().toString() : null);
        return 0;
    }

    private static void printRows(GrpoRecipe recipe, Dataset d, String split, Tokenizer tok, String tokDir) throws IOException {
        if (d.size() == 0) return;
        String column;
        try {
            column = PromptText.column(recipe, d);
        } catch (RuntimeException e) {
            column = recipe.promptColumn();
        }
        System.out.println("first " + d.size() + " row" + (d.size() == 1 ? "" : "s") + " of " + split + " as the trainer sees them (prompt from "
                + (recipe.promptTemplate() != null ? "template \"" + recipe.promptTemplate() + "\"" : "column '" + column + "'")
                + (tok != null ? ", chat template of " + tokDir : ", no tokenizer: chat messages shown as role: content; --model DIR applies its chat template") + "):");
        for (int i = 0; i < d.size(); i++) {
            Map<String, Object> row = d.row(i);
            System.out.println("[" + (i + 1) + "] " + d.origin(i));
            String prompt;
            try {
                if (recipe.promptTemplate() == null && !d.hasColumn(column))
                    throw new IllegalArgumentException(d.missingColumn(column) + "; choose one with --prompt-column");
                prompt = PromptText.of(recipe, d, row, tok);
            } catch (RuntimeException e) {
                prompt = "(cannot be built: " + e.getMessage() + ")";
            }
            System.out.println("  prompt:");
            for (String line : prompt.split("\n", -1)) System.out.println("    | " + line);
            for (Map.Entry<String, Object> e : row.entrySet())
                System.out.println("  " + e.getKey() + ": " + shorten(e.getValue() instanceof String s ? JSON.writeValueAsString(s) : JSON.writeValueAsString(e.getValue())));
        }
    }

    private static String shorten(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "… (" + s.length() + " chars)";
    }

    private static String mb(List<Path> files) throws IOException {
        long bytes = 0;
        for (Path p : files) bytes += Files.size(p);
        return String.format("%.1f MB", bytes / 1e6);
    }

    /** {@code parquet}, {@code jsonl.gz}, …: the type a file's name gives. */
    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.endsWith(".gz") ? n.lastIndexOf('.', n.length() - 4) : n.lastIndexOf('.');
        return dot < 0 ? "data" : n.substring(dot + 1);
    }
}
