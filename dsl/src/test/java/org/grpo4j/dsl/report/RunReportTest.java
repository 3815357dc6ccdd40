package org.grpo4j.dsl.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {

    /** A GRPO run folder as the trainer leaves it: 8 logged steps, completions at each, settings, an eval, and a line cut short. */
    static Path run(Path dir) throws Exception {
        StringBuilder metrics = new StringBuilder();
        for (int step = 1; step <= 8; step++)
            metrics.append(String.format(Locale.ROOT, "{\"step\":%d,\"loss\":%.3f,\"grad_norm\":%.3f,\"learning_rate\":1.0e-4,\"reward\":%.3f,"
                    + "\"reward_std\":0.4,\"frac_reward_zero_std\":0.1,\"rewards/accuracy/mean\":%.3f,\"rewards/format/mean\":0.9,\"entropy\":0.3,"
                    + "\"clip_ratio/region_mean\":0.0,\"completions/mean_length\":%d,\"completions/min_length\":20,\"completions/max_length\":64,"
                    + "\"completions/clipped_ratio\":0.05,\"step_time\":2.5,\"kl\":null}%n", step, -0.01 * step, 0.1 + 0.01 * step, 1.5 + 0.1 * step,
                    0.5 + 0.05 * step, 40 + step));
        metrics.append("{\"step\":8,\"eval/accuracy\":0.7,\"eval/pass@8\":0.9}\n{\"step\":9,\"loss\":"); // killed mid-line
        Files.writeString(dir.resolve("metrics.jsonl"), metrics);
        StringBuilder comps = new StringBuilder();
        for (int step = 1; step <= 8; step++)
            for (int i = 0; i < 4; i++)
                comps.append("{\"step\":").append(step).append(",\"prompt\":\"What is 2+").append(i)
                        .append("?\",\"completion\":\"<think>\\n2+").append(i).append("</think>\\n<answer><script>alert(1)</script></answer>\",")
                        .append("\"finish_reason\":\"eos\",\"reward\":1.5,\"advantage\":0.25}\n");
        Files.writeString(dir.resolve("completions.jsonl"), comps);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("learning_rate", 1e-4);
        settings.put("num_generations", 8);
        settings.put("loss_type", "dapo");
        RunReport.writeSettings(dir, settings);
        Files.createDirectories(dir.resolve("eval"));
        Files.writeString(dir.resolve("eval/results.json"), "{\"settings\":{\"n\":4,\"data\":\"test.jsonl\"},\"results\":[{\"model\":\"m\",\"prompts\":10,"
                + "\"metrics\":{\"accuracy\":0.5,\"pass@4\":0.8}}]}");
        return dir;
    }

    static List<String> images(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void reportHasEveryLoggedChartInsideTheRunFolderAndEscapesCompletions(@TempDir Path tmp) throws Exception {
        Path dir = run(tmp);
        Path html = RunReport.write(dir);
        assertEquals(dir.resolve("report.html"), html);
        String page = Files.readString(html);
        List<String> imgs = images(page);
        assertEquals(List.of("report/reward.png", "report/reward_std.png", "report/loss.png", "report/entropy.png", "report/clip_ratio.png",
                "report/length.png", "report/truncated.png", "report/learning_rate.png", "report/grad_norm.png", "report/step_time.png", "report/eval.png"), imgs);
        for (String src : imgs) {
            Path png = dir.resolve(src).normalize();
            assertTrue(png.startsWith(dir), src);
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(Charts.WIDTH, img.getWidth());
            assertEquals(Charts.HEIGHT, img.getHeight());
        }
        assertFalse(Files.exists(dir.resolve("report/kl.png")), "kl was only ever null: no chart");
        assertFalse(page.contains("<script"), "completion text must be escaped, and the page has no scripts");
        assertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(page.contains("metrics.jsonl:10: not JSON"), "the line cut short is named");
        assertTrue(page.contains("Steps [1, 3, 6, 8] of 8 logged steps"), page);
        assertTrue(page.contains("<td>loss_type</td><td>dapo</td>"));
        assertTrue(page.contains("eval/results.json"));
    }

    /** Real headless Chromium: every image loads, no script error; the screenshot is a page with content. */
    @Test
    void chromiumLoadsThePageWithEveryImage(@TempDir Path tmp) throws Exception {
        Path dir = run(tmp);
        Path html = RunReport.write(dir);
        int count = images(Files.readString(html)).size();
        // a copy beside the report (same relative image paths) whose title reports how many images the browser decoded
        String probe = Files.readString(html).replace("</body>", "<script>window.addEventListener('load', () => { document.title = 'images:' + "
                + "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length + '/' + document.images.length; });</script></body>");
        Files.writeString(dir.resolve("probe.html"), probe);
        Chromium dom = chromium(dir, "--virtual-time-budget=5000", "--dump-dom", dir.resolve("probe.html").toUri().toString());
        assertTrue(dom.stdout.contains("<title>images:" + count + "/" + count + "</title>"), "not every image loaded: " + title(dom.stdout));
        Path shot = tmp.resolve("shot.png");
        Chromium s = chromium(dir, "--hide-scrollbars", "--window-size=1280,2000", "--screenshot=" + shot, html.toUri().toString());
        assertFalse(s.stderr.contains("Uncaught"), s.stderr);
        assertFalse(dom.stderr.contains("Uncaught"), dom.stderr);
        BufferedImage img = ImageIO.read(shot.toFile());
        assertEquals(1280, img.getWidth());
        int coloured = 0; // chart lines are drawn in the palette's saturated colours; a blank or text-only page has none
        for (int y = 0; y < img.getHeight(); y += 2)
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y), r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 80) coloured++;
            }
        assertTrue(coloured > 500, "the screenshot shows no chart lines (" + coloured + " coloured pixels)");
    }

    record Chromium(String stdout, String stderr) {}

    static Chromium chromium(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + dir.resolve(".chromium")));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile()).start();
        } catch (java.io.IOException e) {
            fail("Debian's chromium is needed for this test (./grpo test installs it): " + e.getMessage());
            return null;
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s");
        }
        return new Chromium(Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8), Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    static String title(String dom) {
        Matcher m = Pattern.compile("<title>(.*?)</title>").matcher(dom);
        return m.find() ? m.group(1) : "(no title)";
    }
}
