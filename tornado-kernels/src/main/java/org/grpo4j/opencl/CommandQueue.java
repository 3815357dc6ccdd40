package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An in-order command queue ({@code clCreateCommandQueue}): kernels run in the order they are enqueued, so the
 * host only waits where it reads results back. Holds a native staging area that host arrays pass through (the
 * driver cannot read the Java heap), grown on demand and freed on {@link #close()}. Not thread-safe.
 */
public final class CommandQueue implements AutoCloseable {
    private static final long STAGING_CHUNK = 8L << 20;

    private final Context context;
    private MemorySegment handle;
    private final Arena stagingArena = Arena.ofShared();
    private MemorySegment staging;

    private CommandQueue(Context context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    public static CommandQueue create(Context context) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment q = Cl.createCommandQueue(context.handle(), context.device().handle(), 0L, err);
            ClStatus.check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
            return new CommandQueue(context, q);
        }
    }

    public Context context() {
        return context;
    }

    MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("the OpenCL command queue was closed");
        return handle;
    }

    /** Waits until every enqueued command has finished ({@code clFinish}); errors of earlier kernels surface here. */
    public void finish() {
        ClStatus.check(Cl.finish(handle()), "clFinish");
    }

    /** A native area of at least {@code min(bytes, chunk)} bytes that transfers stage through; returns its usable size. */
    MemorySegment staging(long bytes) {
        long want = Math.min(Math.max(bytes, 64), STAGING_CHUNK);
        if (staging == null || staging.byteSize() < want) staging = stagingArena.allocate(want, 64);
        return staging;
    }

    @Override
    public void close() {
        if (handle != null) {
            MemorySegment h = handle;
            handle = null;
            int status = Cl.finish(h);
            int release = Cl.releaseCommandQueue(h);
            stagingArena.close();
            ClStatus.check(status, "clFinish");
            ClStatus.check(release, "clReleaseCommandQueue");
        }
    }
}
