package org.grpo4j.repl;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.TypeDeclSnippet;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * One JShell evaluation state, shared by the script runner and the REPL. Snippets run in this JVM (JShell's
 * local execution engine) with the host's class loader as parent, so snippet objects are host objects: a model
 * loaded or a trainer started in a snippet runs at full speed and the REPL's commands can use it directly.
 *
 * <p>Every snippet is evaluated with the place it came from (a file and line, or REPL input), so compile errors
 * and stack traces name the script line rather than JShell's internal snippet numbers.
 */
final class Shell implements AutoCloseable {
    /** Where a snippet's source starts: {@code origin} is a file name, or {@code null} for REPL input. */
    record Origin(String origin, int line, String source) {}

    /** A complete snippet cut from a script, or the incomplete rest at its end. */
    record Chunk(String source, int line, boolean complete) {}

    /** Something a snippet did that the REPL reports back ({@code x ==> 3}, {@code created method f()}). */
    record Feedback(String text) {}

    /** A compile error at {@code line}/{@code column} (1-based) of {@code origin}; {@code sourceLine} is that line. */
    record CompileError(String origin, int line, int column, String message, String sourceLine) {}

    /** An exception thrown by user code; {@code frames} are already mapped to script lines and trimmed. */
    record Failure(String origin, int line, String sourceLine, String exceptionClass, String message,
                   List<String> frames, Failure cause) {}

    /** The outcome of one {@link #eval}: at most one of {@code error}, {@code failure} is set. */
    record Result(List<Snippet> snippets, List<Feedback> feedback, CompileError error, Failure failure,
                  boolean stopped) {
        boolean ok() {
            return error == null && failure == null && !stopped;
        }
    }

    private final JShell jshell;
    private final SourceCodeAnalysis analysis;
    private final Map<String, Origin> origins = new HashMap<>();
    private final Set<String> internal = new HashSet<>();
    private volatile boolean evaluating;
    private volatile boolean stopRequested;

    private Shell(JShell jshell) {
        this.jshell = jshell;
        this.analysis = jshell.sourceCodeAnalysis();
    }

    /**
     * Opens a shell whose snippets see {@code host}'s classes (the same {@code Class} objects), with the project's
     * class path for the compiler and the default imports already evaluated.
     */
    static Shell open(ClassLoader host) {
        Thread self = Thread.currentThread();
        ClassLoader before = self.getContextClassLoader();
        JShell js;
        try {
            js = JShell.builder()
                    .executionEngine(new HostLoaderEngine(host), Map.of())
                    .compilerOptions("--add-modules", "jdk.incubator.vector", "-Xlint:-incubating")
                    .build();
        } finally {
            // JShell's loader delegate makes itself the context loader of the building thread; keep ours
            self.setContextClassLoader(before);
        }
        String cp = compileClassPath();
        if (!cp.isEmpty()) js.addToClasspath(cp);
        Shell shell = new Shell(js);
        for (String imp : DefaultImports.statements(host)) {
            Result r = shell.evalInternal(imp);
            if (!r.ok()) throw new IllegalStateException("default import failed: " + imp + ": " + r);
        }
        return shell;
    }

    /**
     * The host's class path for javac. Surefire and some launchers put a single jar with a {@code Class-Path}
     * manifest on {@code java.class.path}; its entries are expanded so the compiler sees them for certain.
     */
    static String compileClassPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (e.isBlank()) continue;
            out.add(e);
            if (!e.endsWith(".jar")) continue;
            try (JarFile jar = new JarFile(e)) {
                Manifest m = jar.getManifest();
                String extra = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                if (extra == null) continue;
                for (String u : extra.trim().split("\\s+")) {
                    if (u.isEmpty()) continue;
                    try {
                        java.net.URI uri = new File(e).getAbsoluteFile().getParentFile().toURI().resolve(u);
                        out.add(new File(uri).getPath());
                    } catch (RuntimeException ignored) {
                        // an entry that is not a file URL cannot hold classes for javac either
                    }
                }
            } catch (java.io.IOException ignored) {
                // unreadable jar: javac reports it if a snippet needs it
            }
        }
        return String.join(File.pathSeparator, out);
    }

    /** Splits {@code text} into snippets; the last chunk is incomplete when the text ends inside a snippet. */
    List<Chunk> split(String text, int firstLine) {
        List<Chunk> chunks = new ArrayList<>();
        int pos = 0, line = firstLine, len = text.length();
        while (true) {
            while (pos < len && Character.isWhitespace(text.charAt(pos))) {
                if (text.charAt(pos) == '\n') line++;
                pos++;
            }
            if (pos >= len) break;
            String rest = text.substring(pos);
            SourceCodeAnalysis.CompletionInfo ci = analysis.analyzeCompletion(rest);
            SourceCodeAnalysis.Completeness c = ci.completeness();
            if (c == SourceCodeAnalysis.Completeness.EMPTY) break;
            if (!c.isComplete()) {
                chunks.add(new Chunk(rest, line, false));
                break;
            }
            int consumed = rest.length() - ci.remaining().length();
            if (consumed <= 0) consumed = rest.length();
            chunks.add(new Chunk(ci.source(), line, true));
            for (int i = 0; i < consumed; i++) if (rest.charAt(i) == '\n') line++;
            pos += consumed;
        }
        return chunks;
    }

    /** True when {@code text} ends inside a snippet (an open brace, a missing operand): the REPL reads on. */
    boolean isIncomplete(String text) {
        List<Chunk> chunks = split(text, 1);
        return !chunks.isEmpty() && !chunks.getLast().complete();
    }

    /** Evaluates one snippet that starts at {@code line} of {@code origin} ({@code null}: REPL input). */
    Result eval(String source, String origin, int line) {
        return eval(source, origin, line, false);
    }

    private Result evalInternal(String source) {
        return eval(source, null, 1, true);
    }

    private Result eval(String source, String origin, int line, boolean isInternal) {
        List<SnippetEvent> events;
        stopRequested = false;
        evaluating = true;
        try {
            events = jshell.eval(source);
        } finally {
            evaluating = false;
        }
        boolean stopped = stopRequested;
        stopRequested = false;
        List<Snippet> snippets = new ArrayList<>();
        List<Feedback> feedback = new ArrayList<>();
        CompileError error = null;
        Failure failure = null;
        for (SnippetEvent e : events) {
            if (e.causeSnippet() != null) continue; // a dependent snippet re-evaluated because of this one
            Snippet s = e.snippet();
            snippets.add(s);
            origins.put(s.id(), new Origin(origin, line, s.source()));
            if (isInternal) internal.add(s.id());
            if (e.status() == Snippet.Status.REJECTED) {
                if (error == null) error = compileError(s, origin, line);
                continue;
            }
            if (e.exception() != null) {
                if (failure == null) failure = failure(e.exception());
                continue;
            }
            if (!isInternal && !stopped) feedback(e, feedback);
        }
        // the InterruptedException a stop causes is not the user's error; anything else that failed meanwhile is shown
        if (stopped && failure != null && failure.exceptionClass().matches(".*(Interrupt|Cancellation|Stop|ThreadDeath).*")) failure = null;
        return new Result(snippets, feedback, error, failure, stopped);
    }

    /** Evaluates {@code expression} and returns its value as the host object it is. */
    Object value(String expression) throws EvalError {
        String src = "org.grpo4j.repl.HostBridge.hand(" + expression + ");";
        Result r = evalInternal(src);
        if (r.error() != null) {
            String msg = r.error().message().lines().findFirst().orElse("");
            throw new EvalError("cannot evaluate " + expression.strip() + ": " + msg);
        }
        if (r.failure() != null) {
            throw new EvalError(expression.strip() + " threw " + r.failure().exceptionClass()
                    + (r.failure().message() == null ? "" : ": " + r.failure().message()));
        }
        if (r.stopped()) throw new EvalError("stopped");
        return HostBridge.take();
    }

    /**
     * Runs host code as a snippet: Ctrl-C ({@link #stop}) interrupts it, and an exception comes back as a
     * {@link TaskFailure} whose stack names the user's snippet lines (e.g. inside a reward lambda).
     */
    @SuppressWarnings("unchecked")
    <T> T call(java.util.concurrent.Callable<T> task) throws TaskFailure, EvalError {
        HostBridge.prepare(task);
        Result r = evalInternal("org.grpo4j.repl.HostBridge.call();");
        if (r.error() != null) throw new EvalError("internal: " + r.error().message());
        if (r.stopped()) throw new EvalError("stopped");
        if (r.failure() != null) throw new TaskFailure(r.failure());
        return (T) HostBridge.take();
    }

    /** Host work run by {@link #call} threw; {@code failure} is the mapped exception. */
    static final class TaskFailure extends Exception {
        final Failure failure;

        TaskFailure(Failure failure) {
            super(failure.exceptionClass() + (failure.message() == null ? "" : ": " + failure.message()));
            this.failure = failure;
        }
    }

    /** Why {@link #value} could not produce a value; the message is meant for the user. */
    static final class EvalError extends Exception {
        EvalError(String message) {
            super(message);
        }
    }

    /** Interrupts the running snippet (from another thread, e.g. on Ctrl-C); no-op when none runs. */
    void stop() {
        if (!evaluating || stopRequested) return;
        stopRequested = true;
        // JShell ignores a stop that arrives while the snippet is still being compiled; repeat until it runs
        Thread.ofPlatform().daemon().name("grpo-repl-stop").start(() -> {
            while (evaluating && stopRequested) {
                jshell.stop();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    boolean evaluating() {
        return evaluating;
    }

    List<SourceCodeAnalysis.Suggestion> completions(String buffer, int cursor, int[] anchor) {
        return analysis.completionSuggestions(buffer, cursor, anchor);
    }

    /** The user's active snippets in order (no default imports, no snippets the REPL ran for itself). */
    List<Snippet> userSnippets() {
        return jshell.snippets()
                .filter(s -> !internal.contains(s.id()) && jshell.status(s).isActive())
                .toList();
    }

    /** Active user variables with their current values, as {@code type name = value}. */
    List<String> variables() {
        List<String> out = new ArrayList<>();
        jshell.variables().filter(v -> !internal.contains(v.id()) && jshell.status(v).isActive())
                .forEach(v -> out.add(v.typeName() + " " + v.name() + " = " + jshell.varValue(v)));
        return out;
    }

    /** Declarations that still wait for something undeclared, as {@code origin:line: message} problems. */
    List<String> unresolved(Set<String> ids) {
        List<String> out = new ArrayList<>();
        for (Snippet s : jshell.snippets().toList()) {
            if (!ids.contains(s.id()) || !(s instanceof DeclarationSnippet d)) continue;
            Snippet.Status st = jshell.status(s);
            if (st != Snippet.Status.RECOVERABLE_DEFINED && st != Snippet.Status.RECOVERABLE_NOT_DEFINED) continue;
            Origin o = origins.get(s.id());
            out.add(where(o, 1) + ": error: " + describe(d) + " " + pendingText(d));
        }
        return out;
    }

    @Override
    public void close() {
        jshell.close();
    }

    // ---- reporting ------------------------------------------------------------------------------------

    private CompileError compileError(Snippet s, String origin, int line) {
        String src = s.source();
        List<Diag> errors = jshell.diagnostics(s).filter(Diag::isError).toList();
        if (errors.isEmpty()) {
            return new CompileError(origin, line, 1, "the snippet was rejected", src.lines().findFirst().orElse(""));
        }
        Diag d = errors.getFirst();
        int pos = (int) Math.max(0, Math.min(src.length(), d.getPosition() >= 0 ? d.getPosition() : d.getStartPosition()));
        int lineStart = src.lastIndexOf('\n', pos - 1) + 1;
        int lineEnd = src.indexOf('\n', pos);
        if (lineEnd < 0) lineEnd = src.length();
        int lineInSnippet = 0;
        for (int i = 0; i < lineStart; i++) if (src.charAt(i) == '\n') lineInSnippet++;
        return new CompileError(origin, line + lineInSnippet, pos - lineStart + 1, d.getMessage(Locale.ROOT),
                src.substring(lineStart, lineEnd).replace("\r", ""));
    }

    /** Maps any throwable (one JShell reports or one caught in the host) to a {@link Failure}. */
    Failure failure(Throwable t) {
        String cls;
        String message = t.getMessage();
        if (t instanceof EvalException ee) {
            cls = ee.getExceptionClassName();
        } else if (t instanceof UnresolvedReferenceException ure) {
            DeclarationSnippet d = ure.getSnippet();
            cls = "unresolved reference";
            message = describe(d) + " " + pendingText(d);
        } else {
            cls = t.getClass().getName();
        }
        StackTraceElement[] st = t.getStackTrace();
        int last = -1;
        for (int i = 0; i < st.length; i++) if (isSnippetFrame(st[i]) && !isInternalFrame(st[i])) last = i;
        List<String> frames = new ArrayList<>();
        String origin = null, sourceLine = null;
        int line = 0;
        int end = last >= 0 ? last + 1 : st.length;
        for (int i = 0; i < end; i++) {
            StackTraceElement f = st[i];
            if (last < 0 && (isMachinery(f) || isSnippetFrame(f) && isInternalFrame(f))) continue;
            // the library's own frames say nothing about the user's mistake; --verbose / GRPO_DEBUG shows them
            if (!verbose() && !isSnippetFrame(f)) continue;
            String text = frameText(f);
            if (!frames.isEmpty() && frames.getLast().equals(text)) continue; // JShell's do_it$ and do_it$Aux wrappers: one line
            frames.add(text);
            if (origin == null && sourceLine == null && isSnippetFrame(f) && !isInternalFrame(f)) {
                Origin o = origins.get(f.getFileName().substring(1));
                if (o != null) {
                    origin = o.origin() == null ? f.getFileName() : o.origin();
                    line = o.origin() == null ? f.getLineNumber() : o.line() + f.getLineNumber() - 1;
                    List<String> lines = o.source().lines().toList();
                    int k = f.getLineNumber() - 1;
                    sourceLine = k >= 0 && k < lines.size() ? lines.get(k) : null;
                }
            }
        }
        Failure cause = t.getCause() != null && t.getCause() != t ? failure(t.getCause()) : null;
        return new Failure(origin, line, sourceLine, cls, message, frames, cause);
    }

    /** Whether errors show every stack frame: {@code --verbose} (the {@code grpo.verbose} property) or {@code GRPO_DEBUG} set. */
    static boolean verbose() {
        return Boolean.getBoolean("grpo.verbose") || System.getenv("GRPO_DEBUG") != null;
    }

    private static boolean isSnippetFrame(StackTraceElement f) {
        return f.getFileName() != null && f.getFileName().startsWith("#");
    }

    private boolean isInternalFrame(StackTraceElement f) {
        return internal.contains(f.getFileName().substring(1));
    }

    private static boolean isMachinery(StackTraceElement f) {
        String c = f.getClassName();
        return c.startsWith("jdk.jshell.") || c.startsWith("jdk.internal.reflect.") || c.startsWith("java.lang.reflect.")
                || c.startsWith("org.grpo4j.repl.");
    }

    private String frameText(StackTraceElement f) {
        if (!isSnippetFrame(f)) return "at " + f;
        Origin o = origins.get(f.getFileName().substring(1));
        String where = o == null || o.origin() == null
                ? f.getFileName() + ":" + f.getLineNumber()
                : o.origin() + ":" + (o.line() + f.getLineNumber() - 1);
        String m = f.getMethodName();
        if (m.isEmpty() || m.startsWith("do_it$")) return "at " + where; // do_it$ and do_it$Aux: JShell's wrappers of a statement
        if (m.startsWith("lambda$")) return "at lambda (" + where + ")";
        return "at " + m + " (" + where + ")";
    }

    private static String where(Origin o, int lineInSnippet) {
        if (o == null) return "?";
        return o.origin() == null ? "input" : o.origin() + ":" + (o.line() + lineInSnippet - 1);
    }

    private static String describe(DeclarationSnippet d) {
        return switch (d) {
            case MethodSnippet m -> "method " + m.name() + "(" + m.parameterTypes() + ")";
            case TypeDeclSnippet t -> kindName(t) + " " + t.name();
            case VarSnippet v -> "variable " + v.name();
            default -> d.name();
        };
    }

    private static String kindName(TypeDeclSnippet t) {
        return switch (t.subKind()) {
            case INTERFACE_SUBKIND -> "interface";
            case ENUM_SUBKIND -> "enum";
            case ANNOTATION_TYPE_SUBKIND -> "annotation";
            case RECORD_SUBKIND -> "record";
            default -> "class";
        };
    }

    private String pendingText(DeclarationSnippet d) {
        String deps = jshell.unresolvedDependencies(d).collect(Collectors.joining(", "));
        if (deps.isEmpty()) {
            deps = jshell.diagnostics(d).filter(Diag::isError).map(x -> x.getMessage(Locale.ROOT).lines().findFirst().orElse(""))
                    .collect(Collectors.joining("; "));
            return "cannot be used: " + deps;
        }
        String verb = d instanceof MethodSnippet ? "invoked" : "used";
        return "cannot be " + verb + " until " + deps + (deps.contains(",") ? " are" : " is") + " declared";
    }

    private void feedback(SnippetEvent e, List<Feedback> out) {
        Snippet s = e.snippet();
        Snippet.Status st = e.status();
        boolean replaced = e.previousStatus() != Snippet.Status.NONEXISTENT;
        String pending = (st == Snippet.Status.RECOVERABLE_DEFINED || st == Snippet.Status.RECOVERABLE_NOT_DEFINED)
                && s instanceof DeclarationSnippet d ? ", however, it " + pendingText(d) : "";
        switch (s) {
            case VarSnippet v -> out.add(new Feedback(v.name() + " ==> " + (e.value() == null ? "null" : e.value()) + pending));
            case ExpressionSnippet x -> out.add(new Feedback(x.name() + " ==> " + e.value()));
            case MethodSnippet m -> out.add(new Feedback((replaced ? "modified" : "created") + " method " + m.name()
                    + "(" + m.parameterTypes() + ")" + pending));
            case TypeDeclSnippet t -> out.add(new Feedback((replaced ? "replaced" : "created") + " " + kindName(t) + " "
                    + t.name() + pending));
            default -> { }
        }
    }
}
