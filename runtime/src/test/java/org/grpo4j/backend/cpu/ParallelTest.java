package org.grpo4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool's forks: every index once, fixed chunk boundaries whoever runs them, failures reach the caller. */
class ParallelTest {
    private final int threads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threads);
    }

    @Test
    void everyIndexRunsExactlyOnceInBackToBackForks() {
        for (int t : new int[] {2, 3, 4}) {
            Parallel.setThreads(t);
            for (int rep = 0; rep < 2000; rep++) {
                int n = 1 + rep % 97;
                int[] hits = new int[n];
                Parallel.forRange(n, 1, (from, to) -> {
                    for (int i = from; i < to; i++) hits[i]++;
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits[i], t + " threads, n " + n + ", index " + i);
            }
        }
    }

    @Test
    void chunkBoundariesDependOnlyOnTheSizeAndTheChunkCount() {
        Parallel.setThreads(3);
        for (int rep = 0; rep < 200; rep++) {
            Set<String> ranges = ConcurrentHashMap.newKeySet();
            Parallel.forRange(100, 1, (from, to) -> ranges.add(from + ".." + to));
            assertEquals(Set.of("0..33", "33..66", "66..100"), ranges);
        }
    }

    @Test
    void aFailingChunkFailsTheForkAndThePoolStaysUsable() {
        Parallel.setThreads(2);
        for (int rep = 0; rep < 50; rep++) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(10, 1, (from, to) -> {
                if (from > 0) throw new IllegalStateException("chunk at " + from);
            }));
            assertEquals("chunk at 5", e.getMessage());
            int[] sum = new int[1];
            Parallel.forRange(10, 1, (from, to) -> {
                synchronized (sum) {
                    sum[0] += to - from;
                }
            });
            assertEquals(10, sum[0]);
        }
    }
}
