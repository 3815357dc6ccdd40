package org.grpo4j.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.TreeMap;

/**
 * Wraps a backend so every op is timed by name: {@code OpProfile.wrap(backend)}, run, then {@link #report()}.
 * Benchmarks use it under {@code --profile} to show where a step's time goes; it adds a few hundred nanoseconds
 * per op call, nothing per element.
 */
public final class OpProfile implements InvocationHandler {
    private final Backend target;
    private final Map<String, long[]> byOp = new TreeMap<>();

    private OpProfile(Backend target) {
        this.target = target;
    }

    public static Backend wrap(Backend backend) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, new OpProfile(backend));
    }

    /** The profile of a wrapped backend, or null if it is not one. */
    public static OpProfile of(Backend backend) {
        return Proxy.isProxyClass(backend.getClass()) && Proxy.getInvocationHandler(backend) instanceof OpProfile p ? p : null;
    }

    @Override
    public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
        long t0 = System.nanoTime();
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            long dt = System.nanoTime() - t0;
            synchronized (byOp) {
                long[] s = byOp.computeIfAbsent(method.getName(), k -> new long[2]);
                s[0] += dt;
                s[1]++;
            }
        }
    }

    public void reset() {
        synchronized (byOp) {
            byOp.clear();
        }
    }

    /** The family an op belongs to, for reports that say where time goes without listing forty ops. */
    public static String family(String op) {
        if (op.startsWith("matmul") || op.equals("biasBackward")) return "gemm";
        if (op.startsWith("attention") || op.equals("kvStore")) return "attention";
        if (op.startsWith("rmsNorm") || op.startsWith("qkNorm")) return "norms";
        if (op.startsWith("logSoftmax")) return "softmax head";
        if (op.startsWith("swiglu") || op.startsWith("rope")) return "swiglu+rope";
        if (op.equals("adamw") || op.equals("sumOfSquares") || op.equals("scale")) return "optimizer";
        if (op.startsWith("embedding") || op.equals("gatherRows") || op.equals("scatterAddRows")) return "embedding+gather";
        return "copies+memory";
    }

    /** Milliseconds per op family since the last {@link #reset}, most expensive first. */
    public java.util.LinkedHashMap<String, Double> families() {
        Map<String, Double> ms = new TreeMap<>();
        synchronized (byOp) {
            for (Map.Entry<String, long[]> e : byOp.entrySet()) ms.merge(family(e.getKey()), e.getValue()[0] / 1e6, Double::sum);
        }
        java.util.LinkedHashMap<String, Double> sorted = new java.util.LinkedHashMap<>();
        ms.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** One line: {@code family ms (share)} per family, e.g. {@code gemm 812.3 ms (71%), attention …}. */
    public String familyLine() {
        java.util.LinkedHashMap<String, Double> f = families();
        double total = 0;
        for (double v : f.values()) total += v;
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> e : f.entrySet())
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format("%s %.1f ms (%.0f%%)", e.getKey(), e.getValue(), 100 * e.getValue() / Math.max(1e-9, total)));
        return sb.toString();
    }

    /** One line per op, most expensive first: total ms, calls, share of the total. */
    public String report() {
        synchronized (byOp) {
            long total = 0;
            for (long[] s : byOp.values()) total += s[0];
            StringBuilder sb = new StringBuilder();
            final long all = Math.max(1, total);
            byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).forEach(e ->
                    sb.append(String.format("  %-22s %9.1f ms %7d calls %5.1f%%%n", e.getKey(), e.getValue()[0] / 1e6, e.getValue()[1], 100.0 * e.getValue()[0] / all)));
            return sb.toString();
        }
    }
}
