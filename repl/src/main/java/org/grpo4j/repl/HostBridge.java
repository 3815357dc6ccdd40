package org.grpo4j.repl;

import java.util.concurrent.Callable;

/**
 * Hands values between JShell snippets and the host. The local execution engine loads snippet classes in a child
 * of the host's class loader, so a snippet that calls {@link #hand} stores the very object the host then reads: a
 * reward function, a model or a recipe defined in the REPL is used by the host without copying. {@link #call}
 * runs host work (scoring, sampling) as a snippet, so Ctrl-C stops it and its stack traces name script lines.
 */
public final class HostBridge {
    private static volatile Object handed;
    private static volatile Callable<?> task;

    private HostBridge() {}

    /** Called by generated snippets only. */
    public static void hand(Object value) {
        handed = value;
    }

    /** Called by generated snippets only: runs the host's pending task and hands over its result. */
    public static void call() throws Exception {
        Callable<?> t = task;
        task = null;
        handed = t.call();
    }

    static void prepare(Callable<?> t) {
        task = t;
    }

    static Object take() {
        Object v = handed;
        handed = null;
        return v;
    }
}
