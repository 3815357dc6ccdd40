package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REPL's :plot (a PNG and a sparkline), the report written when :stop ends a run, and :eval. */
class ReplEvalPlotTest {
    @TempDir
    Path dir;

    @Test
    void plotDrawsAChartStopWritesTheReportAndEvalPrintsTheFigures() throws Exception {
        Path model = Launcher.root().resolve("examples/models/arithmetic-sft");
        Path test = Launcher.root().resolve("examples/arithmetic/data/test.jsonl");
        Path out = dir.resolve("run"), png = dir.resolve("reward.png");
        Files.writeString(dir.resolve("data.jsonl"), "{\"prompt\": \"What is 1 plus 2?\", \"solution\": \"3\"}\n{\"prompt\": \"What is 2 plus 2?\", \"solution\": \"4\"}\n");
        String script = String.join("\n",
                "var r = grpo().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + dir.resolve("data.jsonl") + "\")).promptTemplate(\"{prompt}\\n\").reward(accuracy())"
                        + ".numGenerations(4).perDeviceTrainBatchSize(4).maxCompletionLength(8).maxSteps(100000).loggingSteps(1).outputDir(\"" + out + "\").quiet();",
                ":train r",
                "while (!Files.exists(Path.of(\"" + out.resolve("metrics.jsonl") + "\")) || Files.readAllLines(Path.of(\"" + out.resolve("metrics.jsonl") + "\")).size() < 3) Thread.sleep(50);",
                ":plot reward " + png,
                ":plot completions/mean_length",
                ":stop",
                ":eval evaluation().model(\"" + model + "\").dataset(Dataset.jsonl(\"" + test + "\").take(3)).promptTemplate(\"{prompt}\\n\")"
                        + ".answerColumn(\"solution\").n(2).temperature(1.0).maxTokens(64)",
                "");
        ReplPipeTest.Session s = ReplPipeTest.session(new DslServices(), script);
        assertEquals(0, s.exit(), s.out() + s.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 100, "the :plot PNG");
        assertTrue(s.out().contains("chart: " + png.toAbsolutePath()), s.out());
        assertTrue(s.out().matches("(?s).*  reward  \\S+ .*"), "sparkline line:\n" + s.out());
        assertTrue(Files.exists(out.resolve("report/plot-completions_mean_length.png")), "the default :plot file is in the run's report folder");
        assertTrue(Files.exists(out.resolve("report.html")), ":stop leaves a report:\n" + s.out());
        assertTrue(Files.readString(out.resolve("report.html")).contains("report/reward.png"));
        assertTrue(Files.exists(out.resolve("settings.json")));
        assertTrue(s.out().matches("(?s).*accuracy: \\d+\\.\\d%   pass@2: \\d+\\.\\d%.*"), s.out());
        assertTrue(s.out().contains("pass@1") && s.out().contains("maj@2"), "the table:\n" + s.out());
    }
}
