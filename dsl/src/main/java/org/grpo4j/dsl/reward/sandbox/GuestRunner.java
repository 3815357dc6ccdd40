package org.grpo4j.dsl.reward.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.grpo4j.dsl.reward.polyglot.GuestLanguage;
import org.grpo4j.dsl.reward.polyglot.Watchdog;
import org.grpo4j.dsl.reward.sandbox.Job.Outcome;
import org.grpo4j.dsl.reward.sandbox.Job.Status;

/**
 * Runs untrusted programs inside a worker JVM, in GraalVM contexts that allow computation only (see
 * {@link GuestLanguage#safeContext}): stdin comes from the test input, stdout and stderr go to capped buffers,
 * a wall clock stops each run. Python runs each test in fresh module globals of one context per job (a program can
 * only spoil its own later tests), taken from contexts made while the worker was idle; JavaScript gets a fresh
 * context per test (~10 ms).
 * JavaScript programs read stdin with {@code readline()} or Node's {@code require('fs').readFileSync(0, 'utf8')}.
 */
final class GuestRunner {
    private static final String PY_RUN = """
            def __grpo4j_run(code, stdin_text):
                import io, sys
                sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_text.encode("utf-8")), encoding="utf-8")
                g = {"__name__": "__main__", "__builtins__": __builtins__}
                try:
                    exec(compile(code, "<solution>", "exec"), g)
                    return 0
                except SystemExit as e:
                    if e.code is None: return 0
                    if isinstance(e.code, int): return e.code
                    print(e.code, file=sys.stderr)
                    return 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
            __grpo4j_run
            """;
    /** Gives a JS program stdin and stdout; returns the function that collects what it wrote. */
    private static final String JS_PRELUDE = """
            (function (input, limit) {
                const lines = input.split("\\n");
                if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
                let next = 0, size = 0;
                const out = [];
                const write = s => {
                    s = String(s);
                    size += s.length;
                    if (size > limit) throw new RangeError("__grpo4j_output_limit");
                    out.push(s);
                    return true;
                };
                const line = (...args) => { write(args.map(String).join(" ") + "\\n"); };
                globalThis.readline = () => next < lines.length ? lines[next++] : null;
                const fs = { readFileSync: () => input };
                globalThis.require = name => {
                    if (name === "fs") return fs;
                    throw new Error("Cannot find module '" + name + "' (the sandbox has no modules)");
                };
                globalThis.process = { stdout: { write }, stderr: { write: () => true }, argv: [], env: {}, exit: c => { throw { __grpo4j_exit: c | 0 }; } };
                globalThis.print = line;
                globalThis.console = { log: line, info: line, error: () => {}, warn: () => {} };
                return () => [out.join(""), size > limit];
            })
            """;

    private final CappedStream out = new CappedStream();
    /**
     * Python contexts made while the worker is idle, up to {@link #warmTarget}: a GRPO step sends its programs in a
     * burst after seconds of generation, and each program needs a fresh context (0.2–1 s to make in the
     * interpreter, 1–50 ms to run a program), so the burst runs on contexts made during the gap. A context is never
     * used for two programs: one program could change the interpreter's state (builtins, imported modules, the
     * import machinery) to fail a sibling completion, which GRPO's group-relative advantage would reward.
     */
    private final java.util.concurrent.BlockingDeque<PyContext> ready = new java.util.concurrent.LinkedBlockingDeque<>();
    private final int warmTarget;
    private final Object idle = new Object();
    private boolean busy; // guarded by idle: a job is running, so the warmer makes only the next job's context
    private int made;     // guarded by idle: Python contexts made so far (warmed or on demand)

    /** A Python context with the run helper loaded. */
    private record PyContext(Context context, Value run) {}

    /** @param warmTarget Python contexts to keep ready (0: make each when a job needs it) */
    GuestRunner(int warmTarget) {
        this.warmTarget = warmTarget;
        if (warmTarget > 0) {
            Thread t = new Thread(this::warm, "grpo4j-sandbox-warmer");
            t.setDaemon(true);
            t.start();
        }
    }

    private PyContext newPython() {
        Context ctx = GuestLanguage.PYTHON.safeContext(out, out).build();
        ctx.eval("python", "import io, sys");
        PyContext c = new PyContext(ctx, ctx.eval(Source.newBuilder("python", PY_RUN, "<grpo4j>").buildLiteral()));
        synchronized (idle) {
            made++;
        }
        return c;
    }

    /**
     * The warmer thread: while a job runs it makes the next job's context if none is ready (the two overlap on a
     * machine with cores to spare); when no job runs it tops the ready contexts up to the target.
     */
    private void warm() {
        while (true) {
            try {
                synchronized (idle) {
                    while (ready.size() >= warmTarget || (busy && !ready.isEmpty())) idle.wait();
                }
                ready.add(newPython());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) { // out of heap, say: jobs make their own contexts meanwhile
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private PyContext takePython() {
        PyContext c = ready.poll();
        synchronized (idle) {
            idle.notifyAll(); // one fewer ready: the warmer may start the next
        }
        return c != null ? c : newPython();
    }

    /** Python contexts made so far; for tests and the benchmark. */
    int pythonContextsMade() {
        synchronized (idle) {
            return made;
        }
    }

    /** Python contexts ready now. */
    int pythonContextsReady() {
        return ready.size();
    }

    private void setBusy(boolean b) {
        synchronized (idle) {
            busy = b;
            idle.notifyAll();
        }
    }

    /** Every input of the job, run in order. */
    List<Outcome> run(Job job) {
        GuestLanguage lang;
        try {
            lang = GuestLanguage.named(job.language());
        } catch (IllegalArgumentException e) {
            return all(job, new Outcome(Status.NOT_RUN, -1, "", e.getMessage()));
        }
        List<Outcome> results = new ArrayList<>(job.inputs().size());
        PyContext py = null;
        setBusy(true);
        try {
            for (String input : job.inputs()) {
                if (lang == GuestLanguage.PYTHON && py == null) py = takePython();
                Context ctx = py != null ? py.context() : lang.safeContext(out, out).build();
                Outcome o = runOne(py, ctx, job, input == null ? "" : input);
                results.add(o);
                boolean reusable = py != null && o.status() == Status.EXITED && !o.detail().startsWith("exit(");
                if (!reusable) {
                    close(ctx);
                    py = null;
                }
            }
        } finally {
            if (py != null) close(py.context());
            setBusy(false);
        }
        return results;
    }

    /** One run; {@code py} is null for JavaScript. */
    private Outcome runOne(PyContext py, Context ctx, Job job, String input) {
        out.reset(job.maxOutputBytes());
        try (Watchdog.Guard guard = Watchdog.guard(ctx, Duration.ofMillis(job.timeoutMs()))) {
            try {
                if (py != null) return finished(py.run().execute(job.code(), input).asInt(), "");
                return runJs(ctx, job, input);
            } catch (PolyglotException e) {
                if (out.overflowed()) return new Outcome(Status.OUTPUT_LIMIT, -1, out.text(), "wrote more than " + job.maxOutputBytes() + " bytes");
                if (guard.fired() || e.isInterrupted() || e.isCancelled())
                    return new Outcome(Status.TIMEOUT, -1, out.text(), "ran past " + job.timeoutMs() + " ms");
                if (e.isExit()) return finished(e.getExitStatus(), "exit(" + e.getExitStatus() + ")");
                if (e.isResourceExhausted()) return new Outcome(Status.EXITED, 1, out.text(), "resource exhausted: " + e.getMessage());
                return new Outcome(Status.EXITED, 1, out.text(), firstLine(e.getMessage()));
            }
        } catch (IllegalStateException e) { // the watchdog closed the context under us
            return new Outcome(Status.TIMEOUT, -1, out.text(), "ran past " + job.timeoutMs() + " ms (context closed)");
        }
    }

    private Outcome finished(int code, String detail) {
        if (out.overflowed()) return new Outcome(Status.OUTPUT_LIMIT, -1, out.text(), "wrote more than the output limit");
        return new Outcome(Status.EXITED, code, out.text(), detail);
    }

    /** A JS run: output is collected inside the context (JS has no raw stdout write), capped there too. */
    private static Outcome runJs(Context ctx, Job job, String input) {
        Value collected = ctx.eval(Source.newBuilder("js", JS_PRELUDE, "<grpo4j>").buildLiteral()).execute(input, job.maxOutputBytes());
        int code = 0;
        String detail = "";
        try {
            ctx.eval(Source.newBuilder("js", job.code(), "solution.js").buildLiteral());
        } catch (PolyglotException e) {
            Value thrown = e.getGuestObject();
            if (thrown != null && thrown.hasMember("__grpo4j_exit")) code = thrown.getMember("__grpo4j_exit").asInt();
            else if (e.getMessage() != null && e.getMessage().contains("__grpo4j_output_limit"))
                return new Outcome(Status.OUTPUT_LIMIT, -1, collected.execute().getArrayElement(0).asString(), "wrote more than " + job.maxOutputBytes() + " characters");
            else if (e.isGuestException() && !e.isInterrupted() && !e.isCancelled() && !e.isExit()) {
                code = 1;
                detail = firstLine(e.getMessage());
            } else throw e;
        }
        Value r = collected.execute();
        return new Outcome(Status.EXITED, code, r.getArrayElement(0).asString(), detail);
    }

    private static String firstLine(String s) {
        if (s == null) return "error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static void close(Context ctx) {
        try {
            ctx.close(true);
        } catch (RuntimeException ignored) { // closed by the watchdog already
        }
    }

    private static List<Outcome> all(Job job, Outcome o) {
        List<Outcome> r = new ArrayList<>();
        for (int i = 0; i < job.inputs().size(); i++) r.add(o);
        return r;
    }

    /** Collects a run's output up to a limit; past it every write fails, which stops the guest program. */
    static final class CappedStream extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private int limit;
        private boolean overflowed;

        synchronized void reset(int limit) {
            buf.reset();
            this.limit = limit;
            overflowed = false;
        }

        synchronized boolean overflowed() {
            return overflowed;
        }

        synchronized String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (overflowed || buf.size() + len > limit) {
                overflowed = true;
                throw new IOException("output limit of " + limit + " bytes reached");
            }
            buf.write(b, off, len);
        }
    }
}
