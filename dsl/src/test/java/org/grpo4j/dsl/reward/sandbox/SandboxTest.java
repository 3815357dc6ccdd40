package org.grpo4j.dsl.reward.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.dsl.reward.sandbox.Job.Outcome;
import org.grpo4j.dsl.reward.sandbox.Job.Status;
import org.grpo4j.reward.Sample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The code-execution sandbox (worker JVMs) and open-r1's code rewards, including a hostile-code suite. */
class SandboxTest {
    static Sandbox sandbox;
    static final String DOUBLE_PY = "```python\nprint(int(input()) * 2)\n```";
    static final String TESTS = """
            {"language": "python", "test_cases": [
              {"input": "21\\n", "output": "42\\n", "type": "stdin_stdout"},
              {"input": "5", "output": "10", "type": "stdin_stdout"},
              {"input": "-1\\n", "output": "-2", "type": "stdin_stdout"}]}""";

    @BeforeAll
    static void start() {
        sandbox = new Sandbox(new Sandbox.Limits(2, 384, Duration.ofSeconds(60), 64 * 1024));
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @Test
    void codeRewardsFollowOpenR1() {
        Reward code = CodeRewards.code(() -> sandbox), binary = CodeRewards.binaryCode(() -> sandbox);
        String twoOfThree = "```python\nn = int(input())\nprint(n * 2 if n > 0 else 0)\n```";
        String js = """
                {"language": "javascript", "test_cases": [{"input": "3\\n4\\n", "output": "7", "type": "stdin_stdout"},
                  {"input": "10\\n-3\\n", "output": "7\\n", "type": "stdin_stdout"}]}""";
        Map<String, Object> py = code.goldRow(TESTS), jsRow = code.goldRow(js);
        // one batch, as the trainer calls it: the samples run on both workers at once
        List<Sample> batch = List.of(
                Sample.of("Here it is:\n" + DOUBLE_PY, py),
                Sample.of(twoOfThree, py),
                Sample.of("no code here", py),
                Sample.of("```python\nprint(int(input()) * 2\n```", py),
                Sample.of("```python\nprint(1)\n```\nbetter:\n" + DOUBLE_PY, py),
                Sample.of(DOUBLE_PY, Map.of("prompt", "p")),
                Sample.of("```javascript\nconst a = Number(readline()), b = Number(readline());\nconsole.log(a + b);\n```", jsRow),
                Sample.of("```javascript\nconst [a, b] = require('fs').readFileSync(0, 'utf8').trim().split('\\n').map(Number);\n"
                        + "process.stdout.write(String(a + b) + '\\n');\n```", jsRow));
        double[] r = code.score(batch);
        assertEquals(1.0, r[0]);
        assertEquals(2.0 / 3, r[1], 1e-12);
        assertEquals(0.0, r[2], "no ```python block: an empty program");
        assertEquals(0.0, r[3], "a syntax error fails every test");
        assertEquals(1.0, r[4], "the last block counts");
        assertTrue(Double.isNaN(r[5]), "a row without tests: not applicable");
        assertEquals(1.0, r[6], "readline()");
        assertEquals(1.0, r[7], "Node's fs.readFileSync(0) and process.stdout.write");
        assertArrayEquals(new double[] {1.0, 0.0, Double.NaN}, binary.score(List.of(batch.get(0), batch.get(1), batch.get(5))));
    }

    @Test
    void eachSampleSaysWhyItFailedForTheCompletionsLog() {
        var code = (org.grpo4j.reward.ExplainedReward) CodeRewards.code(() -> sandbox).named("code");
        Map<String, Object> py = CodeRewards.code().goldRow(TESTS);
        List<Sample> batch = List.of(
                Sample.of(DOUBLE_PY, py),
                Sample.of("```python\nn = int(input())\nprint(n * 2 if n > 0 else 0)\n```", py),
                Sample.of("```python\nprint(int(input()) * 2\n```", py),
                Sample.of("```python\nn = int(input())\nif n == 5: raise ValueError('five')\nprint(n * 2)\n```", py),
                Sample.of("```python\nn = int(input())\nif n == 5:\n    while True: print('x' * 1000)\nprint(n * 2)\n```", py),
                Sample.of("```python\nimport sys\nsys.exit(3)\n```", py),
                Sample.of("no code here", py),
                Sample.of(DOUBLE_PY, Map.of("prompt", "p")));
        var e = code.scoreExplained(batch);
        assertEquals("passed 3/3", e.reasons()[0]);
        assertEquals("passed 2/3; test 3: wrong answer", e.reasons()[1]);
        assertTrue(e.reasons()[2].startsWith("passed 0/3; test 1: compile error: SyntaxError"), e.reasons()[2]);
        assertTrue(e.reasons()[3].startsWith("passed 2/3; test 2: runtime error: ValueError: five"), e.reasons()[3]);
        assertTrue(e.reasons()[4].startsWith("passed 2/3; test 2: output limit"), e.reasons()[4]);
        assertEquals("passed 0/3; test 1: exit code 3", e.reasons()[5]);
        assertEquals("passed 0/3; test 1: no ```python block", e.reasons()[6]);
        assertEquals("no test cases", e.reasons()[7]);
        assertEquals(2.0 / 3, e.values()[1], 1e-12);
        // the causes the sandbox reports without running a program here: a timeout and a dead worker
        var timeout = new CodeRewards.Report(0, "x", List.of(new Outcome(Status.TIMEOUT, -1, "", "ran past 5000 ms")), List.of(false));
        assertEquals("passed 0/1; test 1: timeout: ran past 5000 ms", timeout.reason());
        var died = new CodeRewards.Report(0.5, "x", List.of(new Outcome(Status.EXITED, 0, "1", ""), new Outcome(Status.WORKER_DIED, -1, "", "worker exited with 3")),
                List.of(true, false));
        assertEquals("passed 1/2; test 2: crash (worker died): worker exited with 3", died.reason());
    }

    @Test
    void outputsAreComparedLineByLineAfterStripping() {
        assertTrue(CodeRewards.sameLines("1 2 \n3\n\n", "1 2\n 3"));
        assertFalse(CodeRewards.sameLines("1 2\n4", "1 2\n3"));
        assertTrue(CodeRewards.sameLines("1", "1\n2"), "open-r1 zips the lines: a short output is not caught");
        assertEquals("b", CodeRewards.extractCode("```python\na```\n```python\nb```", "python"));
    }

    /** One attack: the program, and whether it may have left a trace on the machine. */
    record Attack(String name, String language, String code) {}

    @Test
    void hostileCodeIsContainedAndTheNextProgramRunsNormally() throws Exception {
        Path trace = Path.of(System.getProperty("java.io.tmpdir"), "grpo4j-sandbox-escaped-" + ProcessHandle.current().pid());
        Files.deleteIfExists(trace);
        String t = trace.toString();
        List<Attack> attacks = List.of(
                new Attack("read a file", "python", "print(open('/etc/passwd').read())"),
                new Attack("write a file", "python", "open('" + t + "', 'w').write('x')"),
                new Attack("list a directory", "python", "import os\nprint(os.listdir('/'))"),
                new Attack("open a socket", "python", "import socket\nsocket.create_connection(('127.0.0.1', 22))"),
                new Attack("spawn a process", "python", "import subprocess\nsubprocess.run(['touch', '" + t + "'])"),
                new Attack("os.system", "python", "import os\nos.system('touch " + t + "')"),
                new Attack("fork bomb", "python", "import os\nwhile True: os.fork()"),
                new Attack("threads", "python", "import threading\nthreading.Thread(target=lambda: None).start()"),
                new Attack("ctypes", "python", "import ctypes\nctypes.CDLL(None).system(b'touch " + t + "')"),
                new Attack("java interop", "python", "import java\njava.type('java.lang.Runtime').getRuntime().exec('touch " + t + "')"),
                new Attack("polyglot eval", "python", "import polyglot\npolyglot.eval(language='js', string='1')"),
                new Attack("environment", "python", "import os\nprint(dict(os.environ))\nprint(os.getcwd())"),
                new Attack("os._exit", "python", "import os\nos._exit(0)"),
                new Attack("sys.exit", "python", "import sys\nsys.exit(0)"),
                new Attack("one-line loop", "python", "while True: pass"),
                new Attack("unbounded recursion", "python", "import sys\nsys.setrecursionlimit(10**9)\ndef f(n): return f(n + 1)\nf(0)"),
                new Attack("huge output", "python", "while True: print('x' * 1000)"),
                new Attack("memory bomb", "python", "x = []\nwhile True: x.append(bytearray(10**7))"),
                new Attack("JS loop", "javascript", "for (;;) {}"),
                new Attack("JS java interop", "javascript", "Java.type('java.lang.Runtime').getRuntime().exec('touch " + t + "')"),
                new Attack("JS polyglot eval", "javascript", "Polyglot.eval('python', '1')"),
                new Attack("JS child_process", "javascript", "require('child_process').execSync('touch " + t + "')"),
                new Attack("JS huge output", "javascript", "for (;;) console.log('x'.repeat(1000))"),
                // a program that would fail the programs after it in the same interpreter (a sibling's reward in GRPO)
                new Attack("poison builtins", "python", "import builtins\nbuiltins.print = lambda *a, **k: None\nbuiltins.int = lambda *a: 0"),
                new Attack("poison the import system", "python", "import sys\nsys.meta_path.clear()\nsys.modules.clear()\nsys.setrecursionlimit(20)"));
        // both workers at once: each attack is followed on its worker by an ordinary program that must pass
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<java.util.concurrent.Future<String>> rows = new ArrayList<>();
        for (Attack a : attacks) rows.add(two.submit(() -> {
            Outcome o = sandbox.run(new Job(a.language(), a.code(), List.of(""), 6000, 64 * 1024)).getFirst();
            boolean leaked = Files.exists(trace) || o.stdout().contains("root:") || o.stdout().contains("PATH");
            Outcome next = sandbox.run(new Job("python", "print(int(input()) * 2)", List.of("21\n"), 60_000, 1024)).getFirst();
            boolean ok = !leaked && next.ok() && next.stdout().equals("42\n");
            return a.name() + " | " + o.status() + (o.status() == Status.EXITED ? " " + o.exitCode() : "") + " " + o.detail() + " | "
                    + (ok ? "contained" : "NOT CONTAINED (next run: " + next + ")");
        }));
        int contained = 0;
        StringBuilder table = new StringBuilder("attack | outcome | contained\n");
        for (var f : rows) {
            String row = f.get();
            if (row.endsWith("| contained")) contained++;
            table.append(row).append('\n');
        }
        two.shutdown();
        System.out.println(table);
        System.out.println("hostile code: " + attacks.size() + " attacks tried, " + contained + " contained; workers replaced: " + sandbox.replacedWorkers());
        assertEquals(attacks.size(), contained, table.toString());
        assertFalse(Files.exists(trace));
    }

    @Test
    void aWorkerThatDiesLosesOnlyItsOwnJob() {
        List<Outcome> died = sandbox.run(new Job("python", "x = []\nwhile True: x.append(bytearray(10**8))", List.of("", ""), 20_000, 1024));
        assertEquals(List.of(Status.WORKER_DIED, Status.WORKER_DIED), died.stream().map(Outcome::status).toList());
        assertTrue(died.getFirst().detail().contains("died"), died.getFirst().detail());
        Outcome fine = sandbox.run(new Job("python", "print(input()[::-1])", List.of("abc\n"), 60_000, 1024)).getFirst();
        assertEquals("cba\n", fine.stdout(), fine.toString());
    }
}
