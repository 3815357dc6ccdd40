package org.grpo4j.repl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jshell.Snippet;
import org.grpo4j.reward.Sample;
import org.grpo4j.reward.WeightedReward;

/**
 * The REPL's state and commands, independent of how lines arrive: {@link TerminalRepl} feeds it from JLine,
 * {@link #runPlain} from a pipe. Java input is evaluated in a {@link Shell} (in this JVM, so models and running
 * trainers live in the REPL's memory); lines starting with {@code :} are commands.
 */
public final class Repl implements AutoCloseable {
    /** Every command with its one-line help, in {@code :help} order. */
    static final Map<String, String> COMMANDS = commands();

    private static Map<String, String> commands() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put(":help", "this list");
        m.put(":load", ":load FILE.grpo          evaluate a script in this session");
        m.put(":save", ":save FILE.grpo          write this session's snippets as a script");
        m.put(":vars", "the variables of this session and their values");
        m.put(":rewards", "the built-in reward functions");
        m.put(":try", ":try REWARD[, REWARD…] on \"TEXT\" [gold \"42\"]|FILE.jsonl   score completions, one column per function");
        m.put(":sample", ":sample MODEL \"prompt\" [n] [with REWARD]   generate completions (and score them)");
        m.put(":python", ":python def NAME(completions, **kwargs): ...  |  :python FILE.py:NAME   a Python reward in variable NAME");
        m.put(":label", ":label RECIPE|FILE.jsonl|RUN_DIR [N] [into LABELS.jsonl]   label N completions (sampled on the recipe's prompts from its run's newest checkpoint or its model, or a run's logged ones) good/bad or with a score");
        m.put(":learn", ":learn NAME [from LABELS.jsonl] [save MODEL.tribuo]   train a Tribuo reward on the labels, as variable NAME");
        m.put(":train", ":train RECIPE            train in the background with a live status line");
        m.put(":stop", "save a checkpoint and stop the training run");
        m.put(":metrics", "the latest training metrics, with sparklines of reward and length");
        m.put(":plot", ":plot [METRIC] [FILE.png]   chart a training metric (default reward) as a PNG, with a sparkline");
        m.put(":eval", ":eval EVALUATION|RECIPE   accuracy, pass@k, maj@k of evaluation().model(…).dataset(…), or a recipe's held-out set");
        m.put(":reset", "forget every snippet of this session (a running training run continues)");
        m.put(":exit", "leave (also Ctrl-D); a training run is stopped with a checkpoint first");
        return java.util.Collections.unmodifiableMap(m);
    }

    private final ReplServices services;
    private final ReplOutput ui;
    private final ClassLoader host;
    private final String inputName;
    private final long statusEveryMs;
    private Shell shell;
    private Labelling labelling;
    private Path lastLabels;
    private volatile TrainingSession training;
    private final AtomicBoolean trainingReported = new AtomicBoolean(true);
    private volatile int lastShownStep = -1;
    private final ScheduledExecutorService ticker;
    private volatile boolean failed;
    private boolean exitRequested;

    /**
     * @param inputName the name errors give REPL input ({@code null}: none, for a terminal; {@code "stdin"} for a pipe)
     * @param statusEveryMs how often the training status is refreshed
     */
    Repl(ReplServices services, ReplOutput ui, String inputName, long statusEveryMs) {
        this.services = services;
        this.ui = ui;
        this.inputName = inputName;
        this.statusEveryMs = statusEveryMs;
        this.host = Repl.class.getClassLoader();
        this.shell = Shell.open(host);
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "grpo-repl-status");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tick, statusEveryMs, statusEveryMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Reads snippets and commands from {@code in} line by line (no prompts, no escape codes) until its end or
     * {@code :exit}; a running training run is waited for. Returns 1 if any snippet or command failed, else 0.
     */
    public static int runPlain(ReplServices services, InputStream in, PrintStream out, PrintStream err, Path load) {
        try (StdStreams ignored = StdStreams.redirect(out, err);
             Repl repl = new Repl(services, new PlainOutput(out, err), "stdin", 2000)) {
            if (load != null) {
                try {
                    repl.load(load.toString());
                } catch (CommandError e) {
                    err.println("grpo: " + e.getMessage());
                    return ScriptRunner.USAGE;
                }
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            StringBuilder buf = new StringBuilder();
            int lineNo = 0, firstLine = 1;
            String line;
            while (!repl.exitRequested && (line = r.readLine()) != null) {
                lineNo++;
                if (buf.isEmpty() && repl.labelling != null && !line.strip().startsWith(":")) {
                    repl.labelAnswer(line);
                    continue;
                }
                if (buf.isEmpty() && line.strip().startsWith(":")) {
                    repl.command(line.strip());
                    continue;
                }
                if (buf.isEmpty()) {
                    if (line.isBlank()) continue;
                    firstLine = lineNo;
                }
                buf.append(line).append('\n');
                if (repl.shell.isIncomplete(buf.toString())) continue;
                repl.evalSource(buf.toString(), firstLine);
                buf.setLength(0);
            }
            repl.endLabelling(true);
            if (!buf.isEmpty()) {
                err.println("stdin:" + firstLine + ": error: the input ends inside this snippet (a missing '}', ')' or ';'?)");
                repl.failed = true;
            }
            repl.awaitTraining();
            return repl.failed ? 1 : 0;
        } catch (IOException e) {
            err.println("grpo: cannot read standard input: " + e.getMessage());
            return 1;
        }
    }

    boolean failed() {
        return failed;
    }

    /** What the terminal prompts with: answers while {@code :label} shows completions, else Java or a command. */
    String prompt() {
        return labelling != null ? "label> " : TerminalRepl.PROMPT;
    }

    /** Whether lines are answers to {@code :label}, not Java (the terminal then takes every line as it is). */
    boolean labelling() {
        return labelling != null;
    }

    boolean exitRequested() {
        return exitRequested;
    }

    Shell shell() {
        return shell;
    }

    /** Input typed at the prompt: a {@code :command} or Java source (one or more snippets). */
    void accept(String input) {
        String s = input.strip();
        if (labelling != null && !s.startsWith(":")) {
            labelAnswer(input);
            return;
        }
        if (s.isEmpty()) return;
        if (s.startsWith(":")) command(s);
        else evalSource(input, 1);
    }

    /** Interrupts what the user is waiting for: a running snippet (Ctrl-C). */
    void interrupt() {
        shell.stop();
    }

    // ---- Java input -------------------------------------------------------------------------------------

    /** Evaluates Java input; false when a snippet failed (shown) or was stopped. */
    boolean evalSource(String text, int firstLine) {
        for (Shell.Chunk c : shell.split(text, firstLine)) {
            if (!c.complete()) {
                ui.error("error: the input ends inside a snippet (a missing '}', ')' or ';'?)");
                failed = true;
                return false;
            }
            Shell.Result r = shell.eval(c.source(), inputName, c.line());
            System.out.flush();
            if (r.stopped()) {
                ui.info("stopped");
                return false;
            }
            if (r.error() != null) {
                Problems.format(r.error()).forEach(ui::error);
                failed = true;
                return false;
            }
            if (r.failure() != null) {
                Problems.format(r.failure()).forEach(ui::error);
                failed = true;
                return false;
            }
            for (Shell.Feedback f : r.feedback()) ui.out(f.text());
        }
        return true;
    }

    // ---- commands ---------------------------------------------------------------------------------------

    /** Runs a {@code :command} line; errors are reported, never thrown. A command ends a {@code :label} session. */
    void command(String line) {
        endLabelling(false);
        int sp = indexOfSpace(line);
        String typed = sp < 0 ? line : line.substring(0, sp);
        String args = sp < 0 ? "" : line.substring(sp + 1).strip();
        String name = resolve(typed);
        if (name == null) return;
        try {
            switch (name) {
                case ":help" -> help();
                case ":load" -> load(requireArg(args, ":load FILE.grpo"));
                case ":save" -> save(requireArg(args, ":save FILE.grpo"));
                case ":vars" -> vars();
                case ":rewards" -> rewards();
                case ":try" -> tryReward(args);
                case ":sample" -> sample(args);
                case ":python" -> python(requireArg(args, ":python def NAME(completions, **kwargs): ...   or   :python FILE.py:NAME"));
                case ":label" -> label(requireArg(args, LABEL_USAGE));
                case ":learn" -> learn(requireArg(args, LEARN_USAGE));
                case ":train" -> train(requireArg(args, ":train RECIPE"));
                case ":stop" -> stop();
                case ":metrics" -> metrics();
                case ":plot" -> plot(args);
                case ":eval" -> eval(requireArg(args, ":eval EVALUATION|RECIPE"));
                case ":reset" -> reset();
                case ":exit" -> {
                    stopTrainingToLeave();
                    exitRequested = true;
                }
                default -> throw new IllegalStateException(name);
            }
        } catch (CommandError e) {
            ui.error(e.getMessage());
            failed = true;
        } catch (Shell.EvalError e) {
            ui.error("error: " + e.getMessage());
            failed = true;
        } catch (Shell.TaskFailure e) {
            ui.error(name + ": " + (e.failure.message() == null ? e.failure.exceptionClass() : e.failure.message()));
            if (!e.failure.frames().isEmpty() && Shell.verbose()) Problems.format(e.failure).forEach(ui::error);
            failed = true;
        } catch (Exception e) {
            ui.error(name + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            failed = true;
        }
    }

    /** A command's own error: the message is shown as is. */
    static final class CommandError extends Exception {
        CommandError(String message) {
            super(message);
        }
    }

    private String resolve(String typed) {
        if (COMMANDS.containsKey(typed)) return typed;
        if (typed.equals(":quit") || typed.equals(":q")) return ":exit";
        List<String> byPrefix = COMMANDS.keySet().stream().filter(c -> c.startsWith(typed)).toList();
        if (typed.length() > 1 && byPrefix.size() == 1) return byPrefix.getFirst();
        String near = CommandText.closest(typed, List.copyOf(COMMANDS.keySet()));
        ui.error("unknown command " + typed + (near != null ? "; did you mean " + near + "?" : "") + " (:help lists the commands)");
        failed = true;
        return null;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return -1;
    }

    private static String requireArg(String args, String usage) throws CommandError {
        if (args.isEmpty()) throw new CommandError("usage: " + usage);
        return args;
    }

    private void help() {
        ui.out("Type Java statements, declarations and expressions; the DSL is imported. Commands:");
        for (var e : COMMANDS.entrySet()) {
            String h = e.getValue();
            ui.out("  " + (h.startsWith(e.getKey() + " ") ? h : String.format(Locale.ROOT, "%-24s %s", e.getKey(), h)));
        }
        ui.out("Tab completes, Up/Down recall history, Ctrl-C stops a running snippet, Ctrl-D leaves.");
    }

    void load(String file) throws CommandError {
        Path p = Path.of(unquote(file));
        if (!Files.isRegularFile(p)) throw new CommandError("no such script: " + p);
        String text;
        try {
            text = Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CommandError("cannot read " + p + ": " + e.getMessage());
        }
        PrintStream err = ui.errStream();
        int code = ScriptRunner.run(shell, p.toString(), text, err);
        err.flush();
        System.out.flush();
        if (code != 0) failed = true;
    }

    private void save(String file) throws CommandError {
        Path p = Path.of(unquote(file));
        StringBuilder b = new StringBuilder("#!/usr/bin/env grpo\n");
        for (Snippet s : shell.userSnippets()) {
            String src = s.source().strip();
            boolean terminated = src.endsWith(";") || src.endsWith("}");
            b.append(src).append(terminated ? "" : ";").append('\n');
        }
        try {
            Files.writeString(p, b.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CommandError("cannot write " + p + ": " + e.getMessage());
        }
        ui.info("saved " + shell.userSnippets().size() + " snippets to " + p);
    }

    private void vars() {
        List<String> vs = shell.variables();
        if (vs.isEmpty()) ui.info("no variables yet");
        vs.forEach(ui::out);
    }

    private void rewards() {
        List<RewardInfo> rs = services.builtinRewards();
        if (rs.isEmpty()) {
            ui.info("no built-in rewards in this build (the DSL's Rewards are not on the class path);"
                    + " any org.grpo4j.reward.RewardFunction works with :try");
            return;
        }
        int w = 0;
        for (RewardInfo r : rs) w = Math.max(w, r.usage().length());
        for (RewardInfo r : rs) ui.out(String.format(Locale.ROOT, "  %-" + w + "s  %s", r.usage(), r.description()));
    }

    private void tryReward(String args) throws Exception {
        List<String> words = CommandText.words(args);
        int on = CommandText.lastIndexOf(words, "on");
        boolean gold = on > 0 && on == words.size() - 4 && words.get(on + 2).equals("gold");
        if (on <= 0 || (on != words.size() - 2 && !gold)) {
            throw new CommandError("usage: :try REWARD[, REWARD…] on \"TEXT\" [gold \"ANSWER\"]   or   :try REWARD[, REWARD…] on FILE.jsonl");
        }
        List<WeightedReward> parts = new ArrayList<>();
        for (String expr : CommandText.splitTopLevel(String.join(" ", words.subList(0, on)), ',')) parts.addAll(rewardOf(expr));
        String target = words.get(on + 1);
        List<Sample> samples;
        if (target.startsWith("\"")) {
            // the gold answer goes where the built-in rewards look for it: the row's "solution" column
            samples = List.of(Sample.of(text(target), gold ? Map.of("solution", text(words.get(on + 3))) : Map.of()));
        } else if (gold) {
            throw new CommandError(":try: gold goes with a quoted text; the rows of " + target + " carry their own gold answers");
        } else {
            Path p = Path.of(target);
            if (!Files.isRegularFile(p)) {
                throw new CommandError(":try: " + target + " is neither a quoted text nor a .jsonl file that exists");
            }
            try {
                samples = RewardTable.readJsonl(p);
            } catch (IOException e) {
                throw new CommandError(":try: " + e.getMessage());
            }
        }
        table(parts, samples);
    }

    /** Defines a Python reward (TRL's convention) as a session variable named after its function. */
    private void python(String args) throws CommandError {
        java.util.regex.Matcher def = java.util.regex.Pattern.compile("^def\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(").matcher(args);
        String var, expr;
        if (def.find()) {
            var = def.group(1);
            expr = "pythonInline(" + javaString(args) + ", " + javaString(var) + ")";
        } else {
            int colon = args.indexOf(".py:");
            if (colon < 0) throw new CommandError("usage: :python def NAME(completions, **kwargs): ...   or   :python FILE.py:NAME");
            String file = args.substring(0, colon + 3), callable = args.substring(colon + 4).strip();
            var = callable.replaceAll("\\(.*", "").strip();
            if (!var.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new CommandError(":python: '" + callable + "' does not start with a function name");
            expr = "python(" + javaString(file) + ", " + javaString(callable) + ")";
        }
        evalSource("var " + var + " = " + expr + ";", 1);
    }

    static final String LABEL_USAGE = ":label RECIPE|FILE.jsonl|RUN_DIR [N] [into LABELS.jsonl]";
    static final String LEARN_USAGE = ":learn NAME [from LABELS.jsonl] [save MODEL.tribuo]";

    /**
     * {@code :label SOURCE [N] [into FILE]}: N completions (default 8) sampled on a recipe's prompts from its current
     * model (its run's newest checkpoint, else its model), or
     * read from a JSONL of completions (a run's {@code completions.jsonl}, or the run folder), shown one at a time;
     * the following lines are the answers, saved as typed ({@link Labelling}).
     */
    private void label(String args) throws Exception {
        List<String> words = CommandText.words(args);
        Path file = Path.of("labels.jsonl");
        int into = words.indexOf("into");
        if (into >= 0) {
            if (into != words.size() - 2) throw new CommandError("usage: " + LABEL_USAGE);
            file = Path.of(unquote(words.get(into + 1)));
            words = words.subList(0, into);
        }
        int n = 8;
        if (words.size() == 2 && words.get(1).matches("\\d+")) {
            n = Integer.parseInt(words.get(1));
            words = words.subList(0, 1);
        }
        if (words.size() != 1 || n < 1) throw new CommandError("usage: " + LABEL_USAGE);
        String source = words.getFirst();
        Path path = Path.of(unquote(source));
        List<Sample> candidates;
        if (unquote(source).endsWith(".jsonl") || Files.isDirectory(path)) {
            Path jsonl = Files.isDirectory(path) ? path.resolve("completions.jsonl") : path;
            if (!Files.isRegularFile(jsonl))
                throw new CommandError(":label: " + jsonl + " does not exist" + (Files.isDirectory(path) ? " (a run folder logs its completions there)" : ""));
            try {
                candidates = RewardTable.readJsonl(jsonl);
            } catch (IOException e) {
                throw new CommandError(":label: " + e.getMessage());
            }
        } else {
            Object recipe = shell.value(source);
            int count = n;
            ui.info("sampling " + n + " completions …");
            ReplServices.Sampled sampled = shell.call(() -> services.labelCandidates(recipe, count));
            ui.info("sampled from " + sampled.model());
            candidates = sampled.samples();
        }
        try {
            labelling = Labelling.start(candidates, n, file, ui);
        } catch (IOException e) {
            throw new CommandError(":label: " + e.getMessage());
        }
        lastLabels = file;
    }

    private void labelAnswer(String line) {
        try {
            if (!labelling.answer(line)) labelling = null;
        } catch (IOException e) {
            ui.error(":label: cannot write " + labelling.file() + ": " + e.getMessage() + " (this answer is not saved; the earlier ones are)");
            failed = true;
        }
    }

    /** Ends a {@code :label} session that a command or the end of input interrupts; its answers are saved already. */
    void endLabelling(boolean inputEnded) {
        if (labelling == null) return;
        if (inputEnded) labelling.inputEnded();
        else labelling.interrupted();
        labelling = null;
    }

    /** {@code :learn NAME [from FILE] [save MODEL]}: {@code var NAME = learnedReward(FILE).named(NAME)} in the session. */
    private void learn(String args) throws Exception {
        List<String> words = CommandText.words(args);
        String name = words.getFirst();
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new CommandError(":learn: '" + name + "' is not a Java variable name; usage: " + LEARN_USAGE);
        Path from = lastLabels != null ? lastLabels : Path.of("labels.jsonl"), save = null;
        for (int i = 1; i < words.size(); i += 2) {
            if (i + 1 >= words.size() || !(words.get(i).equals("from") || words.get(i).equals("save"))) throw new CommandError("usage: " + LEARN_USAGE);
            Path p = Path.of(unquote(words.get(i + 1)));
            if (words.get(i).equals("from")) from = p;
            else save = p;
        }
        if (!Files.isRegularFile(from)) throw new CommandError(":learn: no labels in " + from + " (:label writes them there)");
        String expr = "learnedReward(" + javaString(from.toString()) + ").named(" + javaString(name) + ")";
        if (!evalSource("var " + name + " = " + expr + ";", 1)) return; // the error is shown
        if (save != null && !evalSource(name + ".save(Path.of(" + javaString(save.toString()) + "));", 1)) return;
        Object learned = shell.value(name);
        Path labels = from;
        List<String> summary = shell.call(() -> services.describeLearned(learned, labels));
        summary.forEach(ui::out);
        ui.info(name + " is a reward now: :try " + name + " on \"…\", or .reward(" + name + ") in a recipe" + (save != null ? "; saved to " + save : ""));
    }

    private static String javaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private List<WeightedReward> rewardOf(String expr) throws Exception {
        Object value = shell.value(expr);
        List<WeightedReward> parts = services.rewardComponents(value);
        if (parts.isEmpty()) {
            throw new CommandError(expr + " is " + (value == null ? "null" : "a " + value.getClass().getName())
                    + ", not a reward function (org.grpo4j.reward.RewardFunction)");
        }
        return parts;
    }

    private String text(String expr) throws Exception {
        Object v = shell.value(expr);
        if (!(v instanceof String s)) throw new CommandError(expr + " is not a String");
        return s;
    }

    private void table(List<WeightedReward> parts, List<Sample> samples) throws CommandError, Shell.EvalError {
        double[][] scores;
        String[] current = new String[1];
        try {
            scores = shell.call(() -> RewardTable.score(parts, samples, current));
        } catch (Shell.TaskFailure e) {
            if (e.failure.exceptionClass().equals(RewardTable.ScoringError.class.getName())) {
                throw new CommandError("error: " + e.failure.message());
            }
            ui.error("reward " + current[0] + " failed:");
            Problems.format(e.failure).forEach(ui::error);
            failed = true;
            return;
        }
        RewardTable.render(parts, samples, scores).forEach(ui::out);
    }

    private void sample(String args) throws Exception {
        List<String> words = CommandText.words(args);
        if (words.size() < 2) throw new CommandError("usage: :sample MODEL \"prompt\" [n] [with REWARD]");
        int n = 1, next = 2;
        if (words.size() > 2 && words.get(2).matches("\\d+")) {
            n = Integer.parseInt(words.get(2));
            next = 3;
        }
        List<WeightedReward> parts = null;
        if (next < words.size()) {
            if (!words.get(next).equals("with") || next + 1 >= words.size()) {
                throw new CommandError("usage: :sample MODEL \"prompt\" [n] [with REWARD]");
            }
            parts = rewardOf(String.join(" ", words.subList(next + 1, words.size())));
        }
        Object model = shell.value(words.get(0));
        String prompt = text(words.get(1));
        int count = n;
        List<String> completions = shell.call(() -> services.sample(model, prompt, count));
        for (int i = 0; i < completions.size(); i++) {
            List<String> lines = completions.get(i).lines().toList();
            ui.out("[" + (i + 1) + "] " + (lines.isEmpty() ? "" : lines.getFirst()));
            for (int k = 1; k < lines.size(); k++) ui.out("    " + lines.get(k));
        }
        if (parts != null) {
            List<Sample> samples = new ArrayList<>();
            for (String c : completions) samples.add(new Sample(prompt, c, null, "eos", Map.of("prompt", prompt)));
            table(parts, samples);
        }
    }

    private void train(String expr) throws Exception {
        TrainingSession t = training;
        if (t != null && t.isRunning()) throw new CommandError("a training run is going on; :stop it first");
        Object recipe = shell.value(expr);
        training = shell.call(() -> services.startTraining(recipe, ui.logStream()));
        lastShownStep = -1;
        trainingReported.set(false);
        ui.info("training in the background; :metrics shows progress, :stop saves a checkpoint and stops");
    }

    private void stop() throws Exception {
        TrainingSession t = training;
        if (t == null || !t.isRunning()) throw new CommandError("no training run is going on");
        Path ckpt = t.stop();
        TrainingStatus st = t.status();
        trainingReported.set(true);
        ui.status(null);
        ui.info("stopped" + (st == null ? "" : " after step " + st.step())
                + (ckpt == null ? " (no checkpoint: no step had finished)" : "; checkpoint saved to " + ckpt));
    }

    /** Leaving the REPL never drops a background run: it is stopped after its current step, with a checkpoint. */
    void stopTrainingToLeave() {
        TrainingSession t = training;
        if (t == null || !t.isRunning()) return;
        ui.status(null);
        ui.info("leaving: stopping the training run after its current step and saving a checkpoint …");
        try {
            stop();
        } catch (Exception e) {
            ui.error("could not stop the training run cleanly: " + e.getMessage());
            failed = true;
        }
    }

    private void metrics() throws CommandError {
        TrainingSession t = training;
        if (t == null) throw new CommandError("no training run in this session (:train RECIPE starts one)");
        TrainingStatus st = t.status();
        if (st == null) {
            ui.info("no step has finished yet");
            return;
        }
        ui.out(st.line() + (t.isRunning() ? "" : "  (finished)"));
        List<TrainingStatus> h = t.history();
        List<Double> reward = new ArrayList<>(), length = new ArrayList<>();
        for (TrainingStatus s : h) {
            reward.add(s.reward());
            length.add(s.completionLength());
        }
        ui.out(String.format(Locale.ROOT, "  reward  %-40s  %.3f (min %.3f, max %.3f)", Sparkline.of(reward, 40, ui.unicode()),
                st.reward(), min(reward), max(reward)));
        ui.out(String.format(Locale.ROOT, "  length  %-40s  %.1f (min %.1f, max %.1f)", Sparkline.of(length, 40, ui.unicode()),
                st.completionLength(), min(length), max(length)));
        Map<String, Double> sorted = new TreeMap<>(st.metrics());
        int w = 0;
        for (String k : sorted.keySet()) w = Math.max(w, k.length());
        for (var e : sorted.entrySet()) ui.out(String.format(Locale.ROOT, "  %-" + w + "s  %.6g", e.getKey(), e.getValue()));
    }

    private void eval(String expr) throws Exception {
        Object recipe = shell.value(expr);
        List<String> lines = shell.call(() -> services.evaluate(recipe));
        lines.forEach(ui::out);
    }

    /** {@code :plot [METRIC] [FILE.png]}: the chart goes to the run's report folder unless a file is named. */
    private void plot(String args) throws Exception {
        TrainingSession t = training;
        if (t == null) throw new CommandError("no training run in this session (:train RECIPE starts one)");
        List<String> words = args.isBlank() ? List.of() : List.of(args.strip().split("\\s+"));
        String metric = words.isEmpty() || words.getFirst().endsWith(".png") ? "reward" : words.getFirst();
        String file = words.isEmpty() || !words.getLast().endsWith(".png") ? null : words.getLast();
        String stem = metric.replaceAll("[^A-Za-z0-9_.@-]+", "_");
        Path png = file != null ? Path.of(file) : t.outputDir() != null ? t.outputDir().resolve("report/plot-" + stem + ".png") : Path.of("plot-" + stem + ".png");
        List<Map<String, Double>> rows = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (TrainingStatus s : t.history()) {
            rows.add(s.metrics());
            values.add(s.metrics().getOrDefault(metric, Double.NaN));
        }
        if (!shell.call(() -> services.plot(rows, metric, png)))
            throw new CommandError("no logged step has '" + metric + "' (:metrics lists the names)");
        ui.out(String.format(Locale.ROOT, "  %s  %-40s  %.4g (min %.4g, max %.4g)", metric, Sparkline.of(values, 40, ui.unicode()), values.getLast(), min(values),
                max(values)));
        ui.out("  chart: " + png.toAbsolutePath());
    }

    private static double min(List<Double> v) {
        double m = Double.NaN;
        for (double x : v) if (!Double.isNaN(x) && (Double.isNaN(m) || x < m)) m = x;
        return m;
    }

    private static double max(List<Double> v) {
        double m = Double.NaN;
        for (double x : v) if (!Double.isNaN(x) && (Double.isNaN(m) || x > m)) m = x;
        return m;
    }

    private void reset() {
        shell.close();
        shell = Shell.open(host);
        ui.info("session reset" + (training != null && training.isRunning() ? " (the training run goes on)" : ""));
    }

    private static String unquote(String s) {
        s = s.strip();
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    // ---- training status --------------------------------------------------------------------------------

    private void tick() {
        try {
            TrainingSession t = training;
            if (t == null) return;
            TrainingStatus st = t.status();
            if (st != null && st.step() != lastShownStep && !trainingReported.get()) {
                lastShownStep = st.step();
                ui.status(st.line());
            }
            if (!t.isRunning()) reportEnd(t);
        } catch (RuntimeException e) {
            ui.async("training status failed: " + e);
        }
    }

    private void reportEnd(TrainingSession t) {
        if (!trainingReported.compareAndSet(false, true)) return;
        ui.status(null);
        TrainingStatus st = t.status();
        var fail = t.failure();
        if (fail.isPresent()) {
            ui.async("training failed" + (st == null ? "" : " at step " + st.step()) + ": " + fail.get());
            failed = true;
        } else {
            ui.async("training finished" + (st == null ? "" : ": " + st.line()));
        }
    }

    /** Waits for a running training run to end (plain mode at the end of input), showing its status. */
    void awaitTraining() {
        TrainingSession t = training;
        if (t == null) return;
        while (t.isRunning()) {
            try {
                Thread.sleep(Math.min(100, statusEveryMs));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        tick();
        reportEnd(t);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        shell.close();
    }

    /** Plain streams: no colours, the status as ordinary lines. */
    static final class PlainOutput implements ReplOutput {
        private final PrintStream out, err;

        PlainOutput(PrintStream out, PrintStream err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public void out(String line) {
            out.println(line);
        }

        @Override
        public void error(String line) {
            out.flush();
            err.println(line);
            err.flush();
        }

        @Override
        public void info(String line) {
            out.println(line);
        }

        @Override
        public void status(String line) {
            if (line != null) out.println("[train] " + line);
        }

        @Override
        public void async(String line) {
            out.println(line);
        }

        @Override
        public PrintStream errStream() {
            return err;
        }

        @Override
        public PrintStream logStream() {
            return out;
        }

        @Override
        public boolean unicode() {
            String enc = System.getProperty("stdout.encoding", java.nio.charset.Charset.defaultCharset().name());
            try {
                return java.nio.charset.Charset.forName(enc).newEncoder().canEncode('\u2581');
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
