package org.grpo4j.dsl.reward.polyglot;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;

/**
 * Warm contexts that have a reward's source loaded and its function resolved, shared by every reward built
 * from the same source and callable in this JVM. Creating a Python context costs 0.2–1 s, so contexts are made
 * once, lent to one call at a time, and given back; at most {@link #MAX} exist per function (one per core: the
 * batch is split across them when a reward runs {@linkplain PolyglotReward#inParallel(int) in parallel}).
 */
final class ContextPool {
    static final int MAX = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final Map<Key, ContextPool> POOLS = new ConcurrentHashMap<>();

    /** One loaded file: every function taken from it shares its contexts, as functions of one Python module do. */
    private record Key(GuestLanguage language, String fileName, String code) {}

    /** A context with the file loaded, the TRL caller ready, and the functions resolved so far. */
    record Warm(Context context, Value caller, Map<String, Value> functions) {
        /** The function {@code callable} evaluates to, resolved once per context. */
        Value function(PolyglotSource source) {
            Value fn = functions.get(source.callable());
            if (fn == null) {
                fn = resolve(context, source);
                functions.put(source.callable(), fn);
            }
            return fn;
        }
    }

    private final PolyglotSource source;
    private final ArrayDeque<Warm> idle = new ArrayDeque<>();
    private int created;

    private ContextPool(PolyglotSource source) {
        this.source = source;
    }

    static ContextPool of(PolyglotSource source) {
        return POOLS.computeIfAbsent(new Key(source.language(), source.fileName(), source.code()), k -> new ContextPool(source));
    }

    /** An idle context, a new one while fewer than {@link #MAX} exist, or else the next one given back. */
    Warm acquire() throws InterruptedException {
        synchronized (this) {
            while (idle.isEmpty() && created >= MAX) wait();
            if (!idle.isEmpty()) return idle.pop();
            created++;
        }
        try {
            return create();
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                created--;
                notifyAll();
            }
            throw e;
        }
    }

    /** Gives a context back; a context that was closed by the watchdog or exited is dropped. */
    void release(Warm w, boolean usable) {
        synchronized (this) {
            if (usable) idle.push(w);
            else created--;
            notifyAll();
        }
        if (!usable) {
            try {
                w.context().close(true);
            } catch (RuntimeException ignored) { // already closed by the watchdog
            }
        }
    }

    /** Loads the file into a new context; errors name the file and the line. */
    private Warm create() {
        GuestLanguage lang = source.language();
        Context ctx = lang.safeContext(System.out, System.err).build();
        try {
            ctx.eval(Source.newBuilder(lang.id(), source.code(), source.fileName()).buildLiteral());
            Value caller = ctx.eval(Source.newBuilder(lang.id(), lang.caller(), "<grpo4j>").buildLiteral());
            return new Warm(ctx, caller, new java.util.HashMap<>());
        } catch (PolyglotException e) {
            ctx.close(true);
            throw new IllegalArgumentException(source.fileName() + ": " + e.getMessage() + where(e), e);
        } catch (RuntimeException e) {
            ctx.close(true);
            throw e;
        }
    }

    private static Value resolve(Context ctx, PolyglotSource source) {
        Value fn;
        try {
            fn = ctx.eval(Source.newBuilder(source.language().id(), source.callable(), "<callable>").buildLiteral());
        } catch (PolyglotException e) {
            throw new IllegalArgumentException(source.fileName() + ": cannot evaluate '" + source.callable() + "': " + e.getMessage(), e);
        }
        if (fn == null || !fn.canExecute())
            throw new IllegalArgumentException(source.fileName() + ": '" + source.callable() + "' is " + (fn == null ? "nothing" : fn)
                    + ", not a function (a reward takes the completions and the columns as keyword arguments)");
        return fn;
    }

    /** The function's own name ({@code __name__} in Python, {@code name} in JS), or null. */
    static String functionName(Value fn) {
        Value n = fn.hasMember("__name__") ? fn.getMember("__name__") : fn.getMember("name");
        return n != null && n.isString() && !n.asString().isEmpty() ? n.asString() : null;
    }

    /** " (rewards.py line 12)" for the innermost frame of a guest error that has a location. */
    static String where(PolyglotException e) {
        if (e.getSourceLocation() != null)
            return " (" + e.getSourceLocation().getSource().getName() + " line " + e.getSourceLocation().getStartLine() + ")";
        for (PolyglotException.StackFrame f : e.getPolyglotStackTrace())
            if (f.isGuestFrame() && f.getSourceLocation() != null)
                return " (" + f.getSourceLocation().getSource().getName() + " line " + f.getSourceLocation().getStartLine() + ")";
        return "";
    }
}
