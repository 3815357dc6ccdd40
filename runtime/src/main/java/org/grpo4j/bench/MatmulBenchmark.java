package org.grpo4j.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.grpo4j.backend.cpu.Gemm;
import org.grpo4j.backend.cpu.Parallel;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/**
 * {@code grpo bench matmul}: GFLOP/s of {@link Gemm} on 1024³ and on the linear layers of bench-m training
 * (16 sequences × 192 tokens = 3072 rows) forward (NT), to the input (NN) and to the weight (TN), plus a decode
 * shape, on 1 and 2 threads; compared in the same run with OpenBLAS sgemm through Debian's numpy.
 *
 * <p>Options: {@code --threads 1,2}, {@code --reps 7}, {@code --shapes 1024,qo,kv,gateup,down,lmhead,decode} (also
 * {@code qwen-qo}, {@code qwen-gateup}, {@code qwen-down}: qwen05b's layers on 768 tokens),
 * {@code --ops nt,nn,tn}, switches {@code --no-openblas} and {@code --cpu-time}. With {@code --cpu-time} the
 * one-thread figures divide by the thread's CPU time instead of wall time (both sides), which a machine shared
 * with other processes cannot skew; multi-thread figures are always wall time.
 */
public final class MatmulBenchmark implements Benchmark {
    /** A layer shape in {@link Gemm}'s terms: M rows (tokens), N output features, K input features. */
    record Shape(String name, int m, int n, int k, boolean trainingOps) {
        String dims() {
            return m + "x" + n + "x" + k;
        }

        double flops() {
            return 2.0 * m * n * k;
        }
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape("1024", 1024, 1024, 1024, false),
            new Shape("qo", 3072, 512, 512, true),
            new Shape("kv", 3072, 256, 512, true),
            new Shape("gateup", 3072, 1376, 512, true),
            new Shape("down", 3072, 512, 1376, true),
            new Shape("lmhead", 3072, 8192, 512, true),
            new Shape("decode", 16, 1376, 512, false),
            // qwen05b's layers on one micro-batch of 4 × 192 tokens (not in the default list: run with --shapes)
            new Shape("qwen-qo", 768, 896, 896, true),
            new Shape("qwen-gateup", 768, 4864, 896, true),
            new Shape("qwen-down", 768, 896, 4864, true));

    private static final String PYTHON = "/usr/bin/python3";
    private static final String OPENBLAS_LIB = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
    private static final String INSTALL_HINT = "apt-get install python3-numpy libopenblas0-openmp";

    /**
     * Serves timing requests: reads {@code M,N,K,op reps} lines, answers {@code M,N,K,op gflops} (median of reps
     * after warm-up), so each OpenBLAS figure is taken right next to the grpo4j one for the same shape.
     */
    private static final String NUMPY_SCRIPT = """
            import sys, time
            import numpy as np
            rng = np.random.default_rng(0)
            print('ready', flush=True)
            for line in sys.stdin:
                spec, reps, clock = line.split()
                now = time.thread_time if clock == 'cpu' else time.perf_counter
                m, n, k, op = spec.split(',')
                m, n, k, reps = int(m), int(n), int(k), int(reps)
                if op == 'nt':
                    x = rng.standard_normal((m, k), dtype=np.float32); w = rng.standard_normal((n, k), dtype=np.float32)
                    f = lambda: x @ w.T
                elif op == 'nn':
                    x = rng.standard_normal((m, n), dtype=np.float32); w = rng.standard_normal((n, k), dtype=np.float32)
                    f = lambda: x @ w
                else:
                    x = rng.standard_normal((m, n), dtype=np.float32); w = rng.standard_normal((m, k), dtype=np.float32)
                    f = lambda: x.T @ w
                t0 = time.perf_counter(); warm = 0
                while warm < 3 or (time.perf_counter() - t0 < 0.3 and warm < 200):
                    f(); warm += 1
                ts = []
                for _ in range(reps):
                    t = now(); f(); ts.append(now() - t)
                ts.sort()
                print(spec, 2.0 * m * n * k / ts[len(ts) // 2] / 1e9, flush=True)
            """;

    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public String summary() {
        return "fp32 GEMM GFLOP/s (1024³, bench-m layer shapes fwd/dIn/dW, decode) vs OpenBLAS, 1 and 2 threads";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("no-openblas", "cpu-time");
    }

    @Override
    public void run(Args args) throws Exception {
        int[] threads = parseInts(args.get("threads", "1,2"), "threads");
        int reps = args.getInt("reps", 7);
        if (reps < 5) throw new Command.UsageException("--reps must be at least 5 (figures are medians), got " + reps);
        List<Shape> shapes = selectShapes(args.get("shapes", "1024,qo,kv,gateup,down,lmhead,decode"));
        List<String> ops = new ArrayList<>();
        for (String op : args.get("ops", "nt,nn,tn").split(",")) {
            op = op.trim();
            if (!op.equals("nt") && !op.equals("nn") && !op.equals("tn"))
                throw new Command.UsageException("--ops takes nt, nn and tn, got '" + op + "'");
            ops.add(op);
        }
        boolean openblas = !args.flag("no-openblas") && openblasAvailable();
        boolean cpuTime = args.flag("cpu-time");

        int saved = Parallel.threads();
        try {
            for (int t : threads) {
                try (Peer peer = openblas ? Peer.startOrNull(t) : null) {
                    Parallel.setThreads(t);
                    for (Shape s : shapes) {
                        for (String op : s.trainingOps() ? ops : List.of("nt")) {
                            // the peer first, then grpo4j at once: both see the same load on this shared machine
                            boolean cpu = cpuTime && t == 1;
                            double p = peer == null ? Double.NaN : peer.measure(s, op, reps, cpu);
                            double gflops = measure(s, op, reps, cpu);
                            String unit = cpu ? "GFLOP/cpu-s" : "GFLOP/s";
                            System.out.printf("matmul %s %s t%d: %.1f %s%n", s.dims(), op, t, gflops, unit);
                            if (Double.isNaN(p)) continue;
                            String what = s.name().equals("1024") ? s.dims() : s.dims() + " " + op;
                            System.out.printf("openblas %s t%d: %.1f %s%n", what, t, p, unit);
                            System.out.printf("ratio vs openblas %st%d: %.2fx%n",
                                    s.name().equals("1024") ? "" : what + " ", t, gflops / p);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    private static double measure(Shape s, String op, int reps, boolean cpuTime) {
        SplittableRandom rnd = new SplittableRandom(1);
        int m = s.m(), n = s.n(), k = s.k();
        Runnable body;
        switch (op) {
            case "nt" -> {
                float[] x = random(rnd, m * k), w = random(rnd, n * k), out = new float[m * n];
                body = () -> Gemm.matmulNT(out, 0, x, 0, w, 0, null, 0, m, n, k, false);
            }
            case "nn" -> {
                float[] g = random(rnd, m * n), w = random(rnd, n * k), out = new float[m * k];
                body = () -> Gemm.matmulNN(out, 0, g, 0, w, 0, m, n, k, false);
            }
            default -> {
                float[] g = random(rnd, m * n), x = random(rnd, m * k), out = new float[n * k];
                body = () -> Gemm.matmulTN(out, 0, g, 0, x, 0, m, n, k, false);
            }
        }
        // Warm up until C2 has compiled the kernels. Code still in C1 runs 10x slower yet steadily, and a loaded
        // machine delays the compiler threads by seconds, so: at least 1.5 s and 5 runs, then until the best
        // run has not improved by 3% for one second; at most 10 s.
        long t0 = System.nanoTime(), lastGain = t0;
        int warm = 0;
        long best = Long.MAX_VALUE;
        while (true) {
            long r0 = System.nanoTime();
            body.run();
            long now = System.nanoTime(), dt = now - r0;
            warm++;
            if (dt < best * 0.97) lastGain = now;
            best = Math.min(best, dt);
            if (now - t0 > 10_000_000_000L) break;
            if (now - t0 > 1_500_000_000L && warm >= 5 && now - lastGain > 1_000_000_000L) break;
        }
        double[] t;
        if (cpuTime) {
            // one thread: Parallel runs the whole product on this thread, so its CPU time is the product's
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            t = new double[reps];
            for (int i = 0; i < reps; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                body.run();
                t[i] = (mx.getCurrentThreadCpuTime() - c0) * 1e-9;
            }
        } else {
            t = Stats.time(0, reps, body);
        }
        return s.flops() / Stats.median(t) / 1e9;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static boolean openblasAvailable() {
        if (!new File(PYTHON).canExecute() || !new File(OPENBLAS_LIB).isDirectory()) {
            System.out.println("openblas: not available (needs " + PYTHON + " with numpy and " + OPENBLAS_LIB
                    + "); install with: " + INSTALL_HINT);
            return false;
        }
        return true;
    }

    /** OpenBLAS through numpy in a child process pinned to a thread count; measures one shape per request. */
    private static final class Peer implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;
        private boolean broken;

        private Peer(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** Starts the peer, or prints why it cannot run and returns null (the benchmark goes on without it). */
        static Peer startOrNull(int threads) {
            try {
                return start(threads);
            } catch (IOException e) {
                System.out.println("openblas: could not start " + PYTHON + ": " + e.getMessage() + "; install with: " + INSTALL_HINT);
                return null;
            }
        }

        static Peer start(int threads) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", NUMPY_SCRIPT).redirectErrorStream(true);
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("LD_LIBRARY_PATH", OPENBLAS_LIB);
            pb.environment().remove("PYTHONPATH");
            pb.environment().remove("PYTHONHOME");
            Peer peer = new Peer(pb.start());
            String first = peer.out.readLine();
            if (!"ready".equals(first)) peer.fail(first);
            return peer;
        }

        /** GFLOP/s of numpy's matmul on this shape, or NaN (after printing why) when the peer cannot run. */
        double measure(Shape s, String op, int reps, boolean cpuTime) throws IOException {
            if (broken) return Double.NaN;
            String spec = s.m() + "," + s.n() + "," + s.k() + "," + op;
            try {
                in.write(spec + " " + reps + (cpuTime ? " cpu" : " wall") + "\n");
                in.flush();
            } catch (IOException e) {
                fail(null);
                return Double.NaN;
            }
            String line;
            while ((line = out.readLine()) != null) {
                String[] parts = line.trim().split(" ");
                if (parts.length == 2 && parts[0].equals(spec)) return Double.parseDouble(parts[1]);
                if (!line.isBlank()) {
                    fail(line);
                    return Double.NaN;
                }
            }
            fail(null);
            return Double.NaN;
        }

        private void fail(String firstLine) throws IOException {
            if (broken) return;
            broken = true;
            StringBuilder text = new StringBuilder(firstLine == null ? "" : firstLine);
            try {
                if (process.waitFor(5, TimeUnit.SECONDS)) {
                    String line;
                    while ((line = out.readLine()) != null) text.append('\n').append(line);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String msg = text.toString().strip();
            System.out.println("openblas: the numpy timing failed: " + (msg.contains("No module named")
                    ? "numpy is missing; install with: " + INSTALL_HINT : msg.isEmpty() ? "no output" : msg));
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // the child already exited; nothing left to tell it
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static List<Shape> selectShapes(String list) {
        List<Shape> out = new ArrayList<>();
        for (String name : list.split(",")) {
            Shape found = null;
            for (Shape s : SHAPES) if (s.name().equals(name.trim())) found = s;
            if (found == null) {
                StringBuilder known = new StringBuilder();
                for (Shape s : SHAPES) known.append(known.isEmpty() ? "" : ", ").append(s.name());
                throw new Command.UsageException("unknown shape '" + name.trim() + "' for --shapes; known: " + known);
            }
            out.add(found);
        }
        return out;
    }

    private static int[] parseInts(String list, String option) {
        String[] parts = list.split(",");
        int[] xs = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                xs[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new Command.UsageException("--" + option + " expects numbers like 1,2, got '" + list + "'");
            }
            if (xs[i] < 1 || xs[i] > 64) throw new Command.UsageException("--" + option + " must be in 1..64, got " + xs[i]);
        }
        return xs;
    }
}
