package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptRunnerTest {
    @TempDir
    Path dir;

    record Outcome(int exit, String out, String err) {}

    private Outcome run(String name, String script) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, script);
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = ScriptRunner.run(f, o, e);
        }
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void goodScriptRunsWithShebangDeclarationsAndTheHostClasses() throws IOException {
        Outcome r = run("good.grpo", """
                #!/usr/bin/env grpo
                // rewards are host objects: the snippet's Sample is the host's Sample
                int twice(int x) {
                    return 2 * x;
                }
                var xs = List.of(1, 2, 3);
                System.out.println("sum=" + xs.stream().mapToInt(x -> twice(x)).sum());
                record Pair(String a, int b) {}
                System.out.println(new Pair("p", 7));
                Sample s = Sample.of("42", Map.of("answer", "42"));
                System.out.println(s.getClass().getClassLoader() == org.grpo4j.repl.HostBridge.class.getClassLoader());
                System.out.println(jdk.incubator.vector.FloatVector.SPECIES_128.length());
                """);
        assertEquals("", r.err());
        assertEquals(0, r.exit());
        assertEquals("sum=12\nPair[a=p, b=7]\ntrue\n4\n", r.out());
    }

    @Test
    void compileErrorNamesFileLineColumnAndShowsACaret() throws IOException {
        Outcome r = run("bad.grpo", """
                int a = 1;
                System.out.println("printed before the error");

                int b = a + zork;
                System.out.println("never printed");
                """);
        assertEquals(1, r.exit());
        assertEquals("printed before the error\n", r.out());
        Path f = dir.resolve("bad.grpo");
        assertTrue(r.err().startsWith(f + ":4:13: error: cannot find symbol\n"
                + "int b = a + zork;\n"
                + "            ^\n"
                + "  symbol:   variable zork\n"), r.err());
    }

    @Test
    void exceptionNamesTheScriptLineWhereItHappenedAndItsCause() throws IOException {
        Outcome r = run("boom.grpo", """
                #!/usr/bin/env grpo
                void check(int v) {
                    if (v > 2)
                        throw new IllegalStateException("too big: " + v, new ArithmeticException("inner"));
                }
                System.out.println("before");
                for (int i = 0; i < 5; i++) check(i);
                System.out.println("after");
                """);
        Path f = dir.resolve("boom.grpo");
        assertEquals(1, r.exit());
        assertEquals("before\n", r.out());
        String expected = f + ":4: error: exception java.lang.IllegalStateException: too big: 3\n"
                + "        throw new IllegalStateException(\"too big: \" + v, new ArithmeticException(\"inner\"));\n"
                + "    at check (" + f + ":4)\n"
                + "    at " + f + ":7\n"
                + "Caused by: java.lang.ArithmeticException: inner\n";
        assertTrue(r.err().startsWith(expected), r.err());
    }

    @Test
    void anExceptionFromTheLibraryShowsTheScriptLineAndMessageWithoutInternalFramesUnlessVerbose() throws IOException {
        String script = "int a = 1;\nvar limit = timeLimit(0);\n";
        Outcome r = run("lib.grpo", script);
        Path f = dir.resolve("lib.grpo");
        assertEquals(1, r.exit());
        assertEquals(f + ":2: error: exception java.lang.IllegalArgumentException: time limit = 0.0 s must be positive\n"
                + "var limit = timeLimit(0);\n"
                + "    at " + f + ":2\n", r.err());
        System.setProperty("grpo.verbose", "true");
        try {
            Outcome v = run("lib.grpo", script);
            assertTrue(v.err().contains("    at org.grpo4j.dsl.recipe.Recipes.timeLimit("), "--verbose shows the library frames: " + v.err());
        } finally {
            System.clearProperty("grpo.verbose");
        }
    }

    @Test
    void anInvalidRecipeStopsTheScriptAtItsLineBeforeAnyWorkWithEveryProblemNamed() throws IOException {
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"question\": \"1+1\", \"answer\": \"2\"}\n");
        Outcome r = run("recipe.grpo", """
                var recipe = grpo()
                        .model("%s")
                        .dataset(Dataset.jsonl("%s"))
                        .rewards(accuracy())
                        .numGenerations(8).set("per_device_train_batch_size", 12);
                System.out.println("built");
                train(recipe);
                System.out.println("trained");
                """.formatted(dir.resolve("no-such-model"), data));
        Path f = dir.resolve("recipe.grpo");
        assertEquals(1, r.exit());
        assertEquals("built\n", r.out());
        assertTrue(r.err().startsWith(f + ":7: error: exception org.grpo4j.dsl.recipe.RecipeException: invalid GRPO recipe:\n"), r.err());
        assertTrue(r.err().contains("per_device_train_batch_size"), r.err());
        assertTrue(r.err().contains("model = '" + dir.resolve("no-such-model") + "': folder not found"), r.err());
        assertTrue(r.err().contains("dataset column 'prompt' not found in " + data + "; columns are: question, answer"), r.err());
        assertTrue(r.err().contains("\ntrain(recipe);\n"), r.err());

        // misspelt settings are kept and reported together, with suggestions, where the recipe is checked
        Outcome typo = run("typo.grpo", "var recipe = grpo()\n        .set(\"num_generaitons\", 4)\n        .set(\"learnin_rate\", 1);\n"
                + "System.out.println(\"after\");\nrecipe.validate();\n");
        assertEquals(1, typo.exit());
        assertEquals("after\n", typo.out());
        assertTrue(typo.err().startsWith(dir.resolve("typo.grpo") + ":5: error: exception "), typo.err());
        assertTrue(typo.err().contains("'num_generaitons' (did you mean 'num_generations'?)") && typo.err().contains("'learnin_rate' (did you mean 'learning_rate'?)"),
                typo.err());
        assertFalse(typo.err().contains("do_it"), "JShell's wrapper names stay hidden: " + typo.err());
    }

    /** Issue 19: the estimator is one line of a script (as in the REPL); a name verl does not have is reported at its line. */
    @Test
    void advEstimatorIsOneLineOfAScript() throws IOException {
        Outcome ok = run("rloo.grpo", "var recipe = grpo().set(\"adv_estimator\", \"rloo\");\nSystem.out.println(recipe.config().rollouts().advEstimator().verlName());\n");
        assertEquals(0, ok.exit(), ok.err());
        assertEquals("rloo\n", ok.out());
        Outcome bad = run("ppo.grpo", "var recipe = grpo().set(\"adv_estimator\", \"ppo\");\nrecipe.config();\n");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith(dir.resolve("ppo.grpo") + ":2: error: ") && bad.err().contains("adv_estimator = 'ppo' is not one of grpo, rloo, reinforce_plus_plus, remax"),
                bad.err());
    }

    @Test
    void aFileThatEndsInsideASnippetIsReportedAtTheSnippetsFirstLine() throws IOException {
        Outcome r = run("open.grpo", "int a = 1;\n\nvoid f() {\n  int b = 2;\n");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith(dir.resolve("open.grpo") + ":3:1: error: the file ends inside this snippet"), r.err());
    }

    @Test
    void aDeclarationLeftUnresolvedAtTheEndFails() throws IOException {
        Outcome r = run("unresolved.grpo", "void f() { helper(); }\nSystem.out.println(\"ran\");\n");
        assertEquals(1, r.exit());
        assertEquals("ran\n", r.out());
        assertTrue(r.err().contains(dir.resolve("unresolved.grpo") + ":1: error: method f() cannot be invoked until method helper() is declared"),
                r.err());
    }

    @Test
    void forwardReferencesBetweenDeclarationsAreFine() throws IOException {
        Outcome r = run("forward.grpo", "int f() { return g() + 1; }\nint g() { return 41; }\nSystem.out.println(f());\n");
        assertEquals(0, r.exit(), r.err());
        assertEquals("42\n", r.out());
    }

    @Test
    void missingFileIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ScriptRunner.run(dir.resolve("nope.grpo"), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no such script: " + dir.resolve("nope.grpo")));
    }

    @Test
    void endToEndThroughTheLauncher() throws Exception {
        Path good = dir.resolve("e2e.grpo");
        Files.writeString(good, "#!/usr/bin/env grpo\nvar words = new ArrayList<String>(List.of(\"b\", \"a\"));\nCollections.sort(words);\nSystem.out.println(words);\n");
        Launcher.Run ok = Launcher.run("", Map.of(), "run", good.toString());
        assertEquals(0, ok.exit(), ok.err());
        assertEquals("[a, b]\n", ok.out());

        Path bad = dir.resolve("e2e-bad.grpo");
        Files.writeString(bad, "System.out.println(\"one\");\nthrow new IllegalArgumentException(\"no way\");\n");
        Launcher.Run fail = Launcher.run("", Map.of(), bad.toString());
        assertEquals(1, fail.exit());
        assertEquals("one\n", fail.out());
        assertTrue(fail.err().contains(bad + ":2: error: exception java.lang.IllegalArgumentException: no way"), fail.err());

        Launcher.Run usage = Launcher.run("", Map.of(), "run");
        assertEquals(2, usage.exit());
    }
}
