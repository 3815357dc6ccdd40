package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** An OpenCL context on one device ({@code clCreateContext}); {@link #close()} releases it. */
public final class Context implements AutoCloseable {
    private final ClDevice device;
    private MemorySegment handle;

    private Context(ClDevice device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    public static Context create(ClDevice device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(ADDRESS);
            ids.set(ADDRESS, 0, device.handle());
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment ctx = Cl.createContext(MemorySegment.NULL, 1, ids, err);
            ClStatus.check(err.get(JAVA_INT, 0), "clCreateContext(" + device.name() + ")");
            return new Context(device, ctx);
        }
    }

    public ClDevice device() {
        return device;
    }

    MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("the OpenCL context was closed");
        return handle;
    }

    @Override
    public void close() {
        if (handle != null) {
            MemorySegment h = handle;
            handle = null;
            ClStatus.check(Cl.releaseContext(h), "clReleaseContext");
        }
    }
}
