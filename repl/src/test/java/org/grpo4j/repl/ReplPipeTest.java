package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scripted REPL sessions through a pipe, in this JVM (and once through ./grpo). */
class ReplPipeTest {
    @TempDir
    Path dir;

    record Session(int exit, String out, String err) {}

    static Session session(ReplServices services, String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Repl.runPlain(services, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), o, e, null);
        }
        return new Session(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A lambda-based RewardFunction helper, as a user would define it in the REPL. */
    static final String REWARD_HELPER = """
            RewardFunction reward(String name, ToDoubleFunction<Sample> f) {
                return new RewardFunction() {
                    public String name() { return name; }
                    public double[] score(List<Sample> samples) {
                        double[] r = new double[samples.size()];
                        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(samples.get(i));
                        return r;
                    }
                };
            }
            """;

    @Test
    void rewardLambdaIsTriedOnTextAndTheSessionSurvivesErrors() {
        Session s = session(ReplServices.basic(), REWARD_HELPER + """
                var len = reward("len", x -> x.completion().length() / 10.0);
                :try len on "hello world"
                int broken = 1 +* 2;
                void boom() { throw new IllegalStateException("kaput"); }
                boom()
                :tyr len on "x"
                System.out.println("still here " + len.name());
                """);
        assertEquals(1, s.exit(), "a failed snippet makes the piped session exit non-zero");
        assertTrue(s.out().contains("created method reward(String,ToDoubleFunction<Sample>)"), s.out());
        assertTrue(s.out().contains("#  completion       len  total\n"
                + "-  -------------  -----  -----\n"
                + "1  \"hello world\"  1.100  1.100\n"), s.out());
        assertTrue(s.err().contains("stdin:13:17: error: illegal start of expression\n"
                + "int broken = 1 +* 2;\n"
                + "                ^\n"), s.err());
        assertTrue(s.err().contains("stdin:14: error: exception java.lang.IllegalStateException: kaput\n"
                + "void boom() { throw new IllegalStateException(\"kaput\"); }\n"
                + "    at boom (stdin:14)\n"
                + "    at stdin:15\n"), s.err());
        assertTrue(s.err().contains("unknown command :tyr; did you mean :try?"), s.err());
        assertTrue(s.out().contains("still here len\n"), s.out());
        assertFalse(s.out().contains("\u001b["), "no escape codes on a pipe");
    }

    @Test
    void tryScoresEveryRowOfAJsonlFileWithSeveralFunctions() throws IOException {
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, """
                {"completion": "The answer is 42", "answer": "42"}

                {"completion": "I think it is 41.\\nMaybe.", "answer": "42"}
                {"completion": "no idea", "answer": "7", "prompt": "What is 3+4?"}
                """);
        Session s = session(ReplServices.basic(), REWARD_HELPER + """
                var exact = reward("exact", x -> x.completion().contains((String) x.row().get("answer")) ? 1.0 : 0.0);
                var nanny = reward("nanny", x -> x.prompt().isEmpty() ? 0.5 : Double.NaN);
                :try List.of(exact, nanny) on %s
                """.formatted(data));
        assertEquals(0, s.exit(), s.err());
        assertTrue(s.out().contains("""
                #  completion                   exact  nanny  total
                -  ---------------------------  -----  -----  -----
                1  "The answer is 42"           1.000  0.500  1.500
                2  "I think it is 41.\\nMaybe."  0.000  0.500  0.500
                3  "no idea"                    0.000    NaN  0.000
                -  ---------------------------  -----  -----  -----
                   mean                         0.333  0.500  0.667
                """), s.out());
    }

    @Test
    void tryTakesSeveralRewardsSeparatedByCommasAndAGoldAnswer() {
        Session s = session(new DslServices(), """
                Reward acc = accuracy();
                :try acc, format() on "<think>\\nadd\\n</think>\\n<answer>\\n42\\n</answer>" gold "42"
                :try accuracy() on "<answer>41</answer>" gold "42"
                :try accuracy() on "x" gold
                """);
        assertTrue(s.out().contains("accuracy  format  total"), s.out() + s.err());
        assertTrue(s.out().matches("(?s).*1  \"<think>.*  1\\.000   1\\.000  2\\.000\n.*"), s.out());
        assertTrue(s.out().matches("(?s).*1  \"<answer>41</answer>\"\\s+0\\.000  0\\.000\n.*"), s.out());
        assertTrue(s.err().contains("usage: :try REWARD[, REWARD…] on \"TEXT\" [gold \"ANSWER\"]"), s.err());
        assertFalse(s.err().contains("HostBridge"), s.err());
    }

    @Test
    void tryReportsBadInputByFileAndLineAndRewardErrorsByScriptLine() throws IOException {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"completion\": \"ok\"}\n{\"text\": \"no completion\"}\n");
        Session s = session(ReplServices.basic(), REWARD_HELPER + """
                var thrower = reward("thrower", x -> { throw new ArithmeticException("div"); });
                :try thrower on %s
                :try thrower on "x"
                :try "not a reward" on "x"
                :try nosuchvar on "x"
                """.formatted(data));
        assertEquals(1, s.exit());
        assertTrue(s.err().contains(":try: " + data + ":2: no \"completion\" field"), s.err());
        assertTrue(s.err().contains("reward thrower failed:\nstdin:11: error: exception java.lang.ArithmeticException: div\n"
                + "var thrower = reward(\"thrower\", x -> { throw new ArithmeticException(\"div\"); });\n"
                + "    at lambda (stdin:11)\n"
                + "    at score (stdin:6)\n"), s.err());
        assertFalse(s.err().contains("org.junit") || s.err().contains("org.grpo4j.repl."), "the stack is trimmed to the user's code: " + s.err());
        assertTrue(s.err().contains("\"not a reward\" is a java.lang.String, not a reward function"), s.err());
        assertTrue(s.err().contains("error: cannot evaluate nosuchvar: cannot find symbol"), s.err());
    }

    @Test
    void varsSaveAndLoadRoundTrip() throws IOException {
        Path saved = dir.resolve("session.grpo");
        Session s = session(ReplServices.basic(), """
                int a = 20
                String greet(String who) { return "hi " + who; }
                a + 1
                int rejected = nope;
                :vars
                :save %s
                """.formatted(saved));
        assertEquals(1, s.exit());
        assertTrue(s.out().contains("a ==> 20\n"), s.out());
        assertTrue(s.out().contains("int a = 20\nint $1 = 21\n"), s.out());
        String script = Files.readString(saved);
        assertTrue(script.startsWith("#!/usr/bin/env grpo\n"));
        assertFalse(script.contains("nope"), "rejected snippets are not saved");
        assertFalse(script.contains("HostBridge"), "the REPL's own snippets are not saved");

        Session again = session(ReplServices.basic(), ":load " + saved + "\nSystem.out.println(greet(\"x\") + a)\n");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("hi x20\n"), again.out());
    }

    @Test
    void rewardsSampleAndTrainGoThroughTheServices() {
        FakeServices services = new FakeServices(dir);
        Session s = session(services, REWARD_HELPER + """
                :rewards
                var len = reward("len", x -> x.completion().length());
                Object model = "tiny-model";
                :sample model "2+2=" 2 with len
                Object recipe = "arith-recipe";
                :train recipe
                :metrics
                :stop
                :stop
                """);
        assertEquals(1, s.exit(), "the second :stop has nothing to stop");
        assertTrue(s.out().contains("  accuracy()  1 when the answer matches the gold answer\n"), s.out());
        assertTrue(s.out().contains("[1] tiny-model says 2+2=4\n[2] tiny-model says 2+2=5\n"), s.out());
        assertTrue(s.out().contains("1  \"tiny-model says 2+2=4\"  21.000  21.000"), s.out());
        assertEquals("arith-recipe", services.trainedRecipe);
        assertTrue(s.out().contains("reward  "), s.out());
        assertTrue(s.out().contains("step 3/100  reward 0.300  kl 0.0030  len 13.0  1,000 tok/s  ETA 1:37"), s.out());
        assertTrue(s.out().contains("stopped after step 3; checkpoint saved to " + dir.resolve("checkpoint-3")), s.out());
        assertTrue(s.err().contains("no training run is going on"), s.err());
    }

    @Test
    void plainSessionWaitsForTrainingToFinishAtTheEndOfInput() {
        FakeServices services = new FakeServices(dir);
        services.steps = 4;
        services.free = true;
        Session s = session(services, "Object recipe = \"r\";\n:train recipe\n");
        assertEquals(0, s.exit(), s.err());
        assertTrue(s.out().contains("training finished: step 4/4"), s.out());
    }

    @Test
    void unsupportedServicesSayWhatIsMissing() {
        Session s = session(ReplServices.basic(), "Object r = 1;\n:train r\n:metrics\n:rewards\n");
        assertEquals(1, s.exit());
        assertTrue(s.err().contains(":train: training is not available in this build"), s.err());
        assertTrue(s.err().contains("no training run in this session"), s.err());
        assertTrue(s.out().contains("no built-in rewards in this build"), s.out());
    }

    @Test
    void cleanSessionExitsZeroAndIncompleteInputFails() {
        Session ok = session(ReplServices.basic(), "void f() {\n  System.out.println(\"multi\");\n}\nf();\n:help\n:exit\nSystem.out.println(\"after exit\");\n");
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("multi\n"));
        assertTrue(ok.out().contains(":try REWARD[, REWARD…] on"));
        assertFalse(ok.out().contains("after exit"));
        Session open = session(ReplServices.basic(), "void f() {\n");
        assertEquals(1, open.exit());
        assertTrue(open.err().contains("stdin:1: error: the input ends inside this snippet"), open.err());
    }

    @Test
    void loadFirstThenResetForgetsTheSession() throws IOException {
        Path lib = dir.resolve("lib.grpo");
        Files.writeString(lib, "#!/usr/bin/env grpo\nint base = 40;\nint plus(int x) { return base + x; }\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Repl.runPlain(ReplServices.basic(),
                new ByteArrayInputStream("System.out.println(plus(2))\n:reset\nSystem.out.println(base)\n".getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), lib);
        String o = out.toString(StandardCharsets.UTF_8), e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code);
        assertTrue(o.startsWith("42\nsession reset\n"), o);
        assertTrue(e.contains("stdin:3:20: error: cannot find symbol"), e);
    }

    @Test
    void pipedSessionThroughTheLauncher() throws Exception {
        String input = REWARD_HELPER + """
                var len = reward("len", x -> x.completion().length() / 10.0);
                :try len on "hello world"
                int x = 1 +;
                :tyr
                System.out.println("done");
                """;
        Path hist = dir.resolve(".grpo_history");
        Launcher.Run r = Launcher.run(input, Map.of("HOME", dir.toString()), "repl");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.out().contains("1  \"hello world\"  1.100  1.100"), r.out());
        assertTrue(r.out().contains("done\n"), r.out());
        assertTrue(r.err().contains("stdin:13:12: error: illegal start of expression"), r.err());
        assertTrue(r.err().contains("did you mean :try?"), r.err());
        assertFalse(r.out().contains("\u001b["), "no escape codes on a pipe");
        assertFalse(Files.exists(hist));
    }

    /** Services with a pretend model and trainer: checks the REPL's side of the contract. */
    static final class FakeServices implements ReplServices {
        final Path dir;
        Object trainedRecipe;
        int steps = 100;
        boolean free;

        FakeServices(Path dir) {
            this.dir = dir;
        }

        @Override
        public List<RewardInfo> builtinRewards() {
            return List.of(new RewardInfo("accuracy()", "1 when the answer matches the gold answer"),
                    new RewardInfo("format()", "1 when the completion has <think>...</think><answer>...</answer>"));
        }

        @Override
        public List<String> sample(Object model, String prompt, int n) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(model + " says " + prompt + (4 + i));
            return out;
        }

        @Override
        public TrainingSession startTraining(Object recipe, PrintStream log) {
            trainedRecipe = recipe;
            log.println("training " + recipe);
            return new FakeTraining(dir, steps, free);
        }
    }

    /** Finishes steps on its own (free) or three steps and then waits for stop(). */
    static final class FakeTraining implements TrainingSession {
        final List<TrainingStatus> history = new CopyOnWriteArrayList<>();
        final Path dir;
        final int maxSteps;
        volatile boolean running = true;
        final Thread worker;

        FakeTraining(Path dir, int maxSteps, boolean free) {
            this.dir = dir;
            this.maxSteps = maxSteps;
            worker = new Thread(() -> {
                for (int step = 1; step <= maxSteps && running; step++) {
                    if (!free && step > 3) {
                        while (running) pause();
                        break;
                    }
                    history.add(new TrainingStatus(step, maxSteps, step / 10.0, step / 1000.0, 10 + step, 1000,
                            Duration.ofSeconds(maxSteps - step), Map.of("reward", step / 10.0, "loss", 0.5)));
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                running = false;
            });
            worker.start();
            if (!free) while (history.size() < 3) pause();
        }

        private static void pause() {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public TrainingStatus status() {
            return history.isEmpty() ? null : history.getLast();
        }

        @Override
        public List<TrainingStatus> history() {
            return List.copyOf(history);
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public Path stop() throws Exception {
            running = false;
            worker.join();
            return dir.resolve("checkpoint-" + status().step());
        }

        @Override
        public Optional<Throwable> failure() {
            return Optional.empty();
        }
    }
}
