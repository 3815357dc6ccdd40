package org.grpo4j.dsl.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A progress line on standard error while a big data file is read ({@value #MIN_BYTES} bytes or more), redrawn at
 * most twice a second: {@code reading data/train.parquet  41% 90112/220000 rows  38 MB/s}. Small files print
 * nothing, so tests and short scripts stay quiet.
 *
 * <pre>{@code
 * ReadProgress p = ReadProgress.start(file, totalRows);
 * for (...) p.rows(n);   // or p.bytes(n) when the total is in bytes
 * p.done();
 * }</pre>
 */
final class ReadProgress {
    static final long MIN_BYTES = 64L << 20;
    private static final ReadProgress NONE = new ReadProgress(null, 0, 0, null);

    private final String name;
    private final long total;
    private final long fileBytes;
    private final PrintStream out;
    private final long startNs = System.nanoTime();
    private long lastNs = startNs;
    private boolean drawn;
    private int calls;

    private ReadProgress(String name, long total, long fileBytes, PrintStream out) {
        this.name = name;
        this.total = total;
        this.fileBytes = fileBytes;
        this.out = out;
    }

    /** Progress over {@code total} units (rows, or bytes when {@code total} is the file size). */
    static ReadProgress start(Path file, long total) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            return NONE;
        }
        return size < MIN_BYTES ? NONE : new ReadProgress(file.toString(), total, size, System.err);
    }

    void rows(long done) {
        if (out == null || (++calls & 1023) != 0) return;
        long now = System.nanoTime();
        if (now - lastNs < 500_000_000L) return;
        lastNs = now;
        draw(done, now);
    }

    void bytes(long done) {
        rows(done);
    }

    private void draw(long done, long now) {
        double secs = (now - startNs) / 1e9;
        double frac = total > 0 ? Math.min(1, (double) done / total) : 0;
        boolean inBytes = total == fileBytes;
        String count = inBytes ? String.format("%d/%d MB", done >> 20, total >> 20) : String.format("%d/%d rows", done, total);
        out.printf("\rreading %s %3.0f%% %s %4.0f MB/s", name, 100 * frac, count, frac * fileBytes / 1e6 / Math.max(secs, 1e-9));
        out.flush();
        drawn = true;
    }

    void done() {
        if (out == null) return;
        if (drawn) out.println();
    }
}
