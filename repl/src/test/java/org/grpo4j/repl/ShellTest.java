package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.grpo4j.grpo.RewardScores;
import org.grpo4j.grpo.RewardScoring;
import org.grpo4j.reward.RewardFunction;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

public class ShellTest {
    static Shell shell;

    /** Read by a snippet: proves a host object reaches snippets as itself. */
    public static final Object HOST_OBJECT = new Object();

    @BeforeAll
    static void open() {
        shell = Shell.open(ShellTest.class.getClassLoader());
    }

    @AfterAll
    static void close() {
        shell.close();
    }

    @Test
    void snippetsShareTheHostsClassesAndObjects() throws Exception {
        Object same = shell.value("org.grpo4j.repl.ShellTest.HOST_OBJECT");
        assertSame(HOST_OBJECT, same);
        Object sample = shell.value("Sample.of(\"c\", Map.of(\"k\", 1))");
        Sample s = assertInstanceOf(Sample.class, sample, "the snippet's Sample is the host's class");
        assertEquals(Map.of("k", 1), s.row());
        shell.eval("""
                RewardFunction one = new RewardFunction() {
                    public String name() { return "one"; }
                    public double[] score(List<Sample> xs) { return new double[] {1.0}; }
                };""", null, 1);
        RewardFunction f = assertInstanceOf(RewardFunction.class, shell.value("one"));
        assertEquals(1.0, f.score(List.of(s))[0]);
    }

    @Test
    void splitTracksTheStartLineOfEverySnippet() {
        List<Shell.Chunk> chunks = shell.split("\n// note\nint a = 1;\n\nvoid f() {\n  a++;\n}\nf()\n", 1);
        assertEquals(List.of(2, 5, 8), chunks.stream().map(Shell.Chunk::line).toList());
        assertTrue(chunks.stream().allMatch(Shell.Chunk::complete));
        assertTrue(shell.isIncomplete("void g() {\n  int x = 1;"));
        assertFalse(shell.isIncomplete("int y = 2"));
        assertFalse(shell.isIncomplete("// only a comment"));
    }

    @Test
    void stopInterruptsARunningSnippet() {
        Thread stopper = Thread.ofPlatform().start(() -> {
            try {
                while (!shell.evaluating()) Thread.sleep(10);
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            shell.stop();
        });
        long t0 = System.nanoTime();
        Shell.Result r = shell.eval("while (true) { }", null, 1);
        assertTrue(r.stopped(), r.toString());
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L);
        assertTrue(shell.eval("int afterStop = 3;", null, 1).ok(), "the shell is usable after a stop");
        stopper.interrupt();
    }

    @Test
    void hostWorkRunAsASnippetReportsTheUsersFrames() throws Exception {
        shell.eval("int explode(int x) {\n  return 10 / x;\n}", "lib.grpo", 7);
        Object fn = shell.value("(java.util.function.IntUnaryOperator) x -> explode(x)");
        var op = (java.util.function.IntUnaryOperator) fn;
        assertEquals(5, (int) shell.call(() -> op.applyAsInt(2)));
        Shell.TaskFailure e = assertThrows(Shell.TaskFailure.class, () -> shell.call(() -> op.applyAsInt(0)));
        assertEquals("java.lang.ArithmeticException", e.failure.exceptionClass());
        assertEquals("lib.grpo", e.failure.origin());
        assertEquals(8, e.failure.line());
        assertEquals("at explode (lib.grpo:8)", e.failure.frames().getFirst());
    }

    @Test
    void aShellRewardPastItsTimeoutIsStoppedOnItsThreadEvenWhenItIgnoresInterrupts() throws Exception {
        shell.eval("""
                RewardFunction spinner = new RewardFunction() {
                    public String name() { return "spinner"; }
                    public double[] score(List<Sample> xs) {
                        long n = 0;
                        while (true) {
                            try {
                                if (++n % 1000 == 0) Thread.sleep(1);
                            } catch (Throwable ignored) { // swallows interrupts and errors alike
                            }
                        }
                    }
                };""", null, 1);
        RewardFunction spinner = assertInstanceOf(RewardFunction.class, shell.value("spinner"));
        RewardScoring scoring = new RewardScoring(List.of(spinner), Duration.ofMillis(200));
        List<Sample> one = List.of(Sample.of("x", Map.of()));
        for (int step = 0; step < 2; step++) {
            RewardScores r = scoring.score(one);
            // called again at the next step: its earlier call has ended, not "is not called: still running"
            assertEquals("reward 'spinner' timed out after 0.2 s", r.failures().getFirst().firstMessage());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("reward-spinner") && t.isAlive())) {
                assertTrue(System.nanoTime() < deadline, "the timed-out reward's thread still runs");
                Thread.sleep(10);
            }
        }
        assertTrue(shell.eval("int afterRewardStop = 3;", null, 1).ok(), "the shell's own snippets are not stopped");
    }

    @Test
    void compileErrorPositionsAreRelativeToTheOrigin() {
        Shell.Result r = shell.eval("String s =\n    1;", "x.grpo", 10);
        assertEquals(11, r.error().line());
        assertEquals(5, r.error().column());
        assertEquals("    1;", r.error().sourceLine());
        assertTrue(r.error().message().startsWith("incompatible types"), r.error().message());
    }

    @Test
    void defaultImportsSkipWhatIsNotOnTheClassPath() {
        List<String> imports = DefaultImports.statements(ShellTest.class.getClassLoader());
        assertTrue(imports.contains("import java.util.*;"));
        assertTrue(imports.contains("import org.grpo4j.reward.*;"));
        List<String> none = DefaultImports.statements(new ClassLoader(null) {});
        assertFalse(none.contains("import org.grpo4j.reward.*;"));
        assertTrue(none.contains("import java.util.function.*;"));
    }
}
