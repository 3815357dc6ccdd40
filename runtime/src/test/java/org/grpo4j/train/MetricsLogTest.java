package org.grpo4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: the progress line's ETA honours a time limit that ends the run before its last step. */
class MetricsLogTest {
    @Test
    void theEtaStopsAtTheTimeLimit(@TempDir Path dir) throws Exception {
        try (MetricsLog log = new MetricsLog(dir, 1000, 0, null)) {
            Thread.sleep(120); // one step took 0.12 s: 999 more would take about 2 minutes
            assertTrue(log.progressLine(1, Map.of()).matches(".*ETA [1-9]m\\d\\ds$"), log.progressLine(1, Map.of()));
            log.limitEta(() -> 30.0); // but a time limit stops the run in 30 s
            assertTrue(log.progressLine(1, Map.of()).endsWith("ETA 30s"), log.progressLine(1, Map.of()));
        }
    }
}
