package org.grpo4j.repl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.grpo4j.reward.Sample;

/**
 * A {@code :label} session: completions shown one at a time, each answered with a label ({@code g}ood /
 * {@code b}ad) or a score, {@code s}kip or {@code q}uit. Every answer is appended to the labels file the moment it
 * is typed (one JSON object per line: {@code prompt}, {@code completion}, {@code label} or {@code score}, and the
 * row's gold answer as {@code solution}), so quitting, a crash or the end of input loses nothing; completions the
 * file already labels are not shown again. A file holds labels or scores, never both, because
 * {@code learnedReward(file)} trains a classifier on the one and a regression on the other.
 */
final class Labelling {
    /** What a labels file holds. */
    enum Kind { LABELS, SCORES }

    /** The answer to one completion. */
    sealed interface Answer {
        record Label(boolean good) implements Answer {}
        record Score(double value) implements Answer {}
        record Skip() implements Answer {}
        record Quit() implements Answer {}
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Sample> items;
    private final Path file;
    private final ReplOutput ui;
    private Kind kind;
    private int next, good, bad, scored, skipped;

    private Labelling(List<Sample> items, Path file, Kind kind, ReplOutput ui) {
        this.items = items;
        this.file = file;
        this.kind = kind;
        this.ui = ui;
    }

    /**
     * Starts labelling up to {@code limit} of {@code candidates} into {@code file} (appended to; created with its folder when missing) and
     * shows the first one. Returns null, having said so, when every candidate is labelled in the file already.
     */
    static Labelling start(List<Sample> candidates, int limit, Path file, ReplOutput ui) throws IOException {
        Set<String> done = new HashSet<>();
        Kind kind = read(file, done);
        List<Sample> todo = new ArrayList<>();
        int already = 0;
        for (Sample s : candidates) {
            if (!done.add(key(s.prompt(), s.completion()))) already++;
            else if (todo.size() < limit) todo.add(s);
        }
        if (todo.isEmpty()) {
            ui.info("nothing to label: " + file + " already labels all " + candidates.size() + " completions");
            return null;
        }
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        Labelling l = new Labelling(todo, file, kind, ui);
        ui.info("labelling " + todo.size() + " completions into " + file + (already > 0 ? " (" + already + " labelled there already)" : "")
                + ": g (or 1) = good, b (or 0) = bad, another number = a score, s or Enter = skip, q = quit; each answer is saved as you type it");
        l.show();
        return l;
    }

    /** Takes the answer to the completion on show; returns false when the session is over (all answered or quit). */
    boolean answer(String line) throws IOException {
        Answer a = parse(line);
        // a bare 1 or 0 is good or bad unless the file holds scores (then it is a score; 1.0 always is)
        String typed = line.strip();
        if (a instanceof Answer.Score && kind != Kind.SCORES && (typed.equals("1") || typed.equals("0"))) a = new Answer.Label(typed.equals("1"));
        if (a == null) {
            ui.error("'" + line.strip() + "' is not an answer: g (good), b (bad), a number (score), s (skip) or q (quit)");
            return true;
        }
        switch (a) {
            case Answer.Quit q -> {
                finish("stopped");
                return false;
            }
            case Answer.Skip s -> skipped++;
            case Answer.Label l -> {
                if (!fits(Kind.LABELS)) return true;
                append(Map.of("label", l.good() ? "good" : "bad"));
                if (l.good()) good++;
                else bad++;
            }
            case Answer.Score s -> {
                if (!fits(Kind.SCORES)) return true;
                append(Map.of("score", s.value()));
                scored++;
            }
        }
        next++;
        if (next == items.size()) {
            finish("done");
            return false;
        }
        show();
        return true;
    }

    /** The input ended (end of a pipe, Ctrl-D) during the session. */
    void inputEnded() {
        finish("input ended");
    }

    /** A command was typed during the session: it ends the session and then runs. */
    void interrupted() {
        finish("labelling ended by a command");
    }

    Path file() {
        return file;
    }

    static Answer parse(String line) {
        String s = line.strip().toLowerCase(Locale.ROOT);
        switch (s) {
            case "g", "good", "+", "y", "yes" -> { return new Answer.Label(true); }
            case "b", "bad", "-", "n", "no" -> { return new Answer.Label(false); }
            case "", "s", "skip" -> { return new Answer.Skip(); }
            case "q", "quit" -> { return new Answer.Quit(); }
            default -> { }
        }
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) ? new Answer.Score(v) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private boolean fits(Kind k) {
        if (kind == null) kind = k;
        if (kind == k) return true;
        ui.error(file + " holds " + (kind == Kind.LABELS ? "good/bad labels: answer g or b" : "scores: answer with a number")
                + " (or label into another file: :label … into OTHER.jsonl)");
        return false;
    }

    private void show() {
        Sample s = items.get(next);
        ui.out("");
        ui.out("── " + (next + 1) + "/" + items.size() + " ──");
        if (!s.prompt().isEmpty()) block("prompt", s.prompt());
        block("completion", s.completion());
        String gold = gold(s.row());
        if (gold != null) block("gold", gold);
    }

    private void block(String title, String text) {
        List<String> lines = text.lines().toList();
        ui.out(String.format(Locale.ROOT, "%-11s %s", title + ":", lines.isEmpty() ? "" : lines.getFirst()));
        for (int i = 1; i < lines.size(); i++) ui.out("            " + lines.get(i));
    }

    private void append(Map<String, Object> answer) throws IOException {
        Sample s = items.get(next);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("prompt", s.prompt());
        row.put("completion", s.completion());
        row.putAll(answer);
        String gold = gold(s.row());
        if (gold != null) row.put("solution", gold);
        Files.writeString(file, JSON.writeValueAsString(row) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private void finish(String why) {
        String counts = kind == Kind.SCORES ? scored + " scored" : good + " good, " + bad + " bad";
        ui.info(why + ": " + counts + ", " + skipped + " skipped; saved in " + file + " (:learn NAME from " + file + " trains a reward on it)");
    }

    private static String gold(Map<String, Object> row) {
        Object g = row.get("solution") != null ? row.get("solution") : row.get("answer");
        return g == null ? null : g.toString();
    }

    private static String key(String prompt, String completion) {
        return prompt + '\u0000' + completion;
    }

    /** Adds the completions {@code file} labels to {@code done}; returns what it holds (null when empty or missing). */
    private static Kind read(Path file, Set<String> done) throws IOException {
        if (!Files.exists(file)) return null;
        Kind kind = null;
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            Map<?, ?> row;
            try {
                row = JSON.readValue(line, Map.class);
            } catch (IOException e) {
                throw new IOException(file + ":" + n + ": not a JSON object (a labels file has one per line): " + e.getMessage());
            }
            Object p = row.get("prompt"), c = row.get("completion");
            if (c != null) done.add(key(p == null ? "" : p.toString(), c.toString()));
            if (kind == null) kind = row.containsKey("score") ? Kind.SCORES : row.containsKey("label") ? Kind.LABELS : null;
        }
        return kind;
    }
}
