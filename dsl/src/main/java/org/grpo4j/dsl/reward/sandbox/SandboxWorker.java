package org.grpo4j.dsl.reward.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.grpo4j.dsl.reward.polyglot.GuestLanguage;

/**
 * The main class of a sandbox worker JVM (started by {@link Sandbox} with {@code -Xmx} and
 * {@code -XX:+ExitOnOutOfMemoryError}): reads one {@link Job} per line of JSON on stdin, answers one line of
 * JSON with the outcome of every input on stdout. It warms both languages before it says {@code ready}, so the
 * first job does not pay GraalPy's start-up. Anything else that writes to stdout is moved to stderr, so only
 * answers travel on the protocol channel.
 */
public final class SandboxWorker {
    private SandboxWorker() {}

    /** The system property that sets how many Python contexts a worker keeps ready ({@link Sandbox.Limits#warmContexts}). */
    static final String WARM_CONTEXTS = "grpo4j.sandbox.warmContexts";

    /** An answer: the outcomes, in input order. */
    record Answer(List<Job.Outcome> outcomes) {}

    public static void main(String[] args) throws Exception {
        PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        ObjectMapper json = new ObjectMapper();
        GuestRunner runner = new GuestRunner(Integer.getInteger(WARM_CONTEXTS, 8));
        runner.run(new Job("python", "print(1)", List.of(""), 60_000, 1024));
        runner.run(new Job("javascript", "console.log(1)", List.of(""), 60_000, 1024));
        protocol.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            Job job = json.readValue(line, Job.class);
            protocol.println(json.writeValueAsString(new Answer(runner.run(job))));
        }
        System.exit(0);
    }

    /** Keeps the language list referenced from here, so a reader sees what a worker can run. */
    static final List<GuestLanguage> LANGUAGES = List.of(GuestLanguage.values());
}
