package org.grpo4j.dsl.reward.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.grpo4j.dsl.reward.sandbox.Job.Outcome;
import org.junit.jupiter.api.Test;

/** Inside a worker: Python contexts are made ahead while it is idle, and no program runs in a context another one used. */
class GuestRunnerTest {
    static final Job DOUBLE = new Job("python", "print(int(input()) * 2)", List.of("21\n"), 60_000, 1024);

    @Test
    void contextsAreMadeAheadWhileIdleAndEveryProgramGetsAFreshOne() throws Exception {
        GuestRunner runner = new GuestRunner(2);
        assertTrue(runner.run(DOUBLE).getFirst().ok());
        long deadline = System.nanoTime() + 180_000_000_000L; // a loaded machine makes a GraalPy context in seconds
        while (runner.pythonContextsReady() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(2, runner.pythonContextsReady(), "the warmer fills up to its target while no job runs");
        int made = runner.pythonContextsMade();
        // a program that changes what every later program in its interpreter would see
        String poison = """
                import builtins, sys
                builtins.print = lambda *a, **k: None
                builtins.int = lambda *a: 0
                sys.meta_path.clear()
                sys.modules.clear()
                sys.setrecursionlimit(30)
                """;
        runner.run(new Job("python", poison, List.of(""), 60_000, 1024));
        Outcome next = runner.run(DOUBLE).getFirst();
        assertTrue(next.ok() && next.stdout().equals("42\n"), "the next program gets a context of its own: " + next);
        Outcome deep = runner.run(new Job("python", "import collections\ndef f(n): return 0 if n == 0 else 1 + f(n - 1)\nprint(f(200))", List.of(""), 60_000, 1024))
                .getFirst();
        assertEquals("200\n", deep.stdout(), "imports and the recursion limit are the interpreter's defaults again: " + deep);
        assertTrue(runner.pythonContextsMade() >= made + 1, "three programs, two contexts ready: at least one more was made, none reused");
    }
}
