package org.grpo4j.dsl.eval;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar for long generation jobs ({@code grpo eval}, {@code grpo generate-data}): redrawn in place on a
 * terminal, one line per tenth of the work otherwise (logs and tests stay short).
 *
 * <pre>{@code
 * ProgressBar bar = new ProgressBar(System.err, "eval", 200);
 * bar.update(50, "");   // [#####...............] 50/200 eval  0:12 left
 * bar.done("accuracy 48.0%");
 * }</pre>
 */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final int total;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private int lastTenth = -1;

    public ProgressBar(PrintStream out, String label, int total) {
        this(out, label, total, System.console() != null && System.console().isTerminal());
    }

    ProgressBar(PrintStream out, String label, int total, boolean terminal) {
        this.out = out;
        this.label = label;
        this.total = Math.max(0, total);
        this.terminal = terminal;
    }

    /** Shows {@code done} of {@code total} items, with a note (e.g. "kept 41%"). */
    public void update(int done, String note) {
        if (out == null) return;
        int tenth = total == 0 ? 10 : (int) (10L * done / total);
        if (!terminal && tenth == lastTenth) return;
        lastTenth = tenth;
        String line = line(done, note);
        if (terminal) out.print("\r" + line + "\u001b[K");
        else out.println(line);
        out.flush();
    }

    /** Ends the bar (a newline on a terminal) and prints a closing note when one is given. */
    public void done(String note) {
        if (out == null) return;
        if (terminal) out.println();
        if (note != null && !note.isEmpty()) out.println(note);
    }

    String line(int done, String note) {
        int width = 20, filled = total == 0 ? width : (int) Math.round(width * Math.min(1.0, done / (double) total));
        double elapsed = (System.nanoTime() - started) * 1e-9;
        double left = done > 0 ? elapsed / done * Math.max(0, total - done) : Double.NaN;
        return String.format(Locale.ROOT, "[%s%s] %d/%d %s  %s elapsed, %s left%s", "#".repeat(filled), ".".repeat(width - filled), done, total, label,
                clock(elapsed), clock(left), note == null || note.isEmpty() ? "" : "  " + note);
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
