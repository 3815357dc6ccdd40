package org.grpo4j.repl;

/**
 * Hands values from JShell snippets to the host. The local execution engine loads snippet classes in a child of
 * the host's class loader, so a snippet that calls {@link #hand} stores the very object the host then reads: a
 * reward function, a model or a recipe defined in the REPL is used by the host without copying.
 */
public final class HostBridge {
    private static volatile Object handed;

    private HostBridge() {}

    /** Called by generated snippets only. */
    public static void hand(Object value) {
        handed = value;
    }

    static Object take() {
        Object v = handed;
        handed = null;
        return v;
    }
}
