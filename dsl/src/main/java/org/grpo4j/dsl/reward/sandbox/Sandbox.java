package org.grpo4j.dsl.reward.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.grpo4j.dsl.reward.sandbox.Job.Outcome;
import org.grpo4j.dsl.reward.sandbox.Job.Status;

/**
 * Runs untrusted programs (code the policy wrote) in a pool of worker JVMs. GraalVM community has no CPU or heap
 * limits inside one JVM, so each worker is its own process with a heap limit ({@code -Xmx}, and it exits on
 * {@code OutOfMemoryError}); inside it, programs run in contexts that allow computation only, with a wall clock
 * per run and an output cap. A worker that does not answer in time is killed and replaced; a worker that dies
 * costs only its own job, whose runs come back as {@link Status#WORKER_DIED} with the reason.
 *
 * <pre>{@code
 * try (Sandbox s = new Sandbox(Sandbox.Limits.DEFAULTS)) {
 *     List<Outcome> r = s.run(new Job("python", "print(int(input()) * 2)", List.of("21\n"), 5000, 1 << 20));
 *     r.getFirst().stdout();   // "42\n"
 * }
 * }</pre>
 */
public final class Sandbox implements AutoCloseable {
    /**
     * @param workers  worker JVMs (parallel jobs)
     * @param heapMb   each worker's {@code -Xmx}
     * @param perRun   wall-clock limit of one run
     * @param maxOutputBytes output cap of one run
     * @param warmContexts Python contexts each worker makes while idle, so that a burst of programs (a GRPO step's)
     *                     does not wait for them; each program still gets a context of its own
     */
    public record Limits(int workers, int heapMb, Duration perRun, int maxOutputBytes, int warmContexts) {
        public static final Limits DEFAULTS = new Limits(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), 512,
                Duration.ofSeconds(5), 1 << 20);

        public Limits {
            if (workers < 1) throw new IllegalArgumentException("sandbox: workers must be >= 1, got " + workers);
            if (heapMb < 128) throw new IllegalArgumentException("sandbox: a worker needs at least 128 MB of heap (GraalPy), got " + heapMb);
            if (warmContexts < 0) throw new IllegalArgumentException("sandbox: warmContexts must be >= 0, got " + warmContexts);
        }

        /** With 8 warm Python contexts per worker (a 16-program step on 2 workers runs on contexts made ahead). */
        public Limits(int workers, int heapMb, Duration perRun, int maxOutputBytes) {
            this(workers, heapMb, perRun, maxOutputBytes, 8);
        }
    }

    /** Time a new worker may take to start and warm GraalPy (cold, on a loaded machine). */
    private static final Duration STARTUP = Duration.ofSeconds(180);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Sandbox shared;

    private final Limits limits;
    private final BlockingQueue<Worker> idle;
    private volatile boolean closed;
    private int replaced;

    public Sandbox(Limits limits) {
        this.limits = limits;
        this.idle = new ArrayBlockingQueue<>(limits.workers());
        for (int i = 0; i < limits.workers(); i++) idle.add(new Worker(limits));
    }

    /** The sandbox that the code rewards share in this JVM, started on first use with {@link Limits#DEFAULTS}. */
    public static synchronized Sandbox shared() {
        if (shared == null || shared.closed) {
            shared = new Sandbox(Limits.DEFAULTS);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    public Limits limits() {
        return limits;
    }

    /** Workers killed or lost and replaced so far. */
    public synchronized int replacedWorkers() {
        return replaced;
    }

    /** Runs {@code job} on the next free worker; blocks while all are busy. Never throws for what the program does. */
    public List<Outcome> run(Job job) {
        Worker w;
        try {
            w = idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("interrupted while waiting for a sandbox worker");
        }
        try {
            List<Outcome> r = w.run(job, deadline(job));
            if (r != null) return r;
            String why = w.why();
            w.kill();
            synchronized (this) {
                replaced++;
            }
            w = new Worker(limits);
            return died(job, why);
        } finally {
            if (closed) w.kill();
            else idle.add(w);
        }
    }

    /** Every run's limit, plus the worker's own overheads (a fresh Python context per job, JSON). */
    private static Duration deadline(Job job) {
        return Duration.ofMillis(job.inputs().size() * (job.timeoutMs() + 2000) + 10_000);
    }

    private static List<Outcome> died(Job job, String why) {
        List<Outcome> r = new ArrayList<>();
        for (int i = 0; i < job.inputs().size(); i++) r.add(new Outcome(Status.WORKER_DIED, -1, "", why));
        return r;
    }

    @Override
    public void close() {
        closed = true;
        List<Worker> ws = new ArrayList<>();
        idle.drainTo(ws);
        ws.forEach(Worker::kill);
    }

    /** One worker JVM and its protocol streams; it starts warming as soon as it is created. */
    private static final class Worker {
        private final Process process;
        private final BufferedWriter in;
        private final BufferedReader out;
        private final CompletableFuture<Boolean> ready;
        private String why = "";

        Worker(Limits limits) {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> cmd = List.of(java.toString(), "-Xmx" + limits.heapMb() + "m", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-Xss8m",
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Dpolyglot.engine.WarnInterpreterOnly=false",
                    "-D" + SandboxWorker.WARM_CONTEXTS + "=" + limits.warmContexts(),
                    "-cp", System.getProperty("java.class.path"), SandboxWorker.class.getName());
            try {
                process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("sandbox: cannot start a worker JVM (" + java + "): " + e.getMessage(), e);
            }
            in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return "ready".equals(out.readLine());
                } catch (IOException e) {
                    return false;
                }
            });
        }

        /** The outcomes, or null when the worker died or ran past {@code limit} (see {@link #why()}). */
        List<Outcome> run(Job job, Duration limit) {
            try {
                if (!ready.get(STARTUP.toSeconds(), TimeUnit.SECONDS)) return lost("the worker JVM failed to start (exit code " + exit() + ")");
                in.write(JSON.writeValueAsString(job));
                in.newLine();
                in.flush();
                CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (IOException e) {
                        return null;
                    }
                });
                String line = answer.get(limit.toMillis(), TimeUnit.MILLISECONDS);
                if (line == null) return lost("the worker JVM died (exit code " + exit() + "; past its heap limit?)");
                // -XX:+ExitOnOutOfMemoryError prints "Terminating due to java.lang.OutOfMemoryError: ..." on stdout
                if (!line.startsWith("{")) return lost("the worker JVM died: " + line + " (exit code " + exit() + ")");
                return JSON.readValue(line, SandboxWorker.Answer.class).outcomes();
            } catch (TimeoutException e) {
                return lost("the worker did not answer within " + limit.toMillis() + " ms: killed and replaced");
            } catch (IOException | ExecutionException e) {
                return lost("the worker JVM died (" + e.getMessage() + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return lost("interrupted");
            }
        }

        private List<Outcome> lost(String reason) {
            why = reason;
            return null;
        }

        private String exit() {
            try {
                return process.waitFor(2, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "none yet";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }

        String why() {
            return why;
        }

        void kill() {
            process.destroyForcibly();
        }
    }
}
