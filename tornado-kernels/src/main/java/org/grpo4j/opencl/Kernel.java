package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One {@code __kernel} function of a {@link Program} ({@code clCreateKernel}), with typed argument setters and
 * launches. Arguments are copied by the driver when set, so one small native scratch area serves every call and
 * a launch allocates nothing. Not thread-safe: a kernel's arguments are state.
 */
public final class Kernel implements AutoCloseable {
    private final String name;
    private final Context context;
    private MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scratch = arena.allocate(64, 8);
    private final MemorySegment sizes = arena.allocate(JAVA_LONG, 6);

    private Kernel(String name, Context context, MemorySegment handle) {
        this.name = name;
        this.context = context;
        this.handle = handle;
    }

    public static Kernel create(Program program, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = Cl.createKernel(program.handle(), a.allocateFrom(name), err);
            ClStatus.check(err.get(JAVA_INT, 0), "clCreateKernel(" + program.name() + ": " + name + ")");
            return new Kernel(name, program.context(), k);
        }
    }

    public String name() {
        return name;
    }

    private MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("the OpenCL kernel " + name + " was released");
        return handle;
    }

    private void check(int status, int index) {
        if (status != 0) ClStatus.check(status, "clSetKernelArg(" + name + ", argument " + index + ")");
    }

    /** A buffer argument; {@code null} passes a NULL {@code __global} pointer (e.g. "no bias"). */
    public Kernel arg(int index, Buffer buffer) {
        scratch.set(ADDRESS, 0, buffer == null ? MemorySegment.NULL : buffer.handle());
        check(Cl.setKernelArg(handle(), index, ADDRESS.byteSize(), scratch), index);
        return this;
    }

    public Kernel arg(int index, int value) {
        scratch.set(JAVA_INT, 0, value);
        check(Cl.setKernelArg(handle(), index, 4, scratch), index);
        return this;
    }

    /** A {@code ulong} argument (e.g. a dropout seed). */
    public Kernel arg(int index, long value) {
        scratch.set(JAVA_LONG, 0, value);
        check(Cl.setKernelArg(handle(), index, 8, scratch), index);
        return this;
    }

    public Kernel arg(int index, float value) {
        scratch.set(JAVA_FLOAT, 0, value);
        check(Cl.setKernelArg(handle(), index, 4, scratch), index);
        return this;
    }

    /** A {@code __local} buffer of {@code bytes} bytes, allocated by the driver per work-group. */
    public Kernel local(int index, long bytes) {
        check(Cl.setKernelArg(handle(), index, bytes, MemorySegment.NULL), index);
        return this;
    }

    /** The largest work-group this kernel can run with on its device ({@code CL_KERNEL_WORK_GROUP_SIZE}). */
    public long maxWorkGroupSize() {
        ClStatus.check(Cl.getKernelWorkGroupInfo(handle(), context.device().handle(), Cl.CL_KERNEL_WORK_GROUP_SIZE,
                JAVA_LONG.byteSize(), scratch, MemorySegment.NULL), "clGetKernelWorkGroupInfo(" + name + ")");
        return scratch.get(JAVA_LONG, 0);
    }

    /** Work-items per group of {@link #launchItems}: a multiple of every GPU's SIMD width (32 or 64). */
    public static final int ITEM_GROUP = 64;

    /**
     * Enqueues a 1-D launch over {@code n} items, rounded up to whole groups of {@link #ITEM_GROUP}: the kernel
     * must ignore ids {@code >= n}. (With a driver-chosen group size, an odd {@code n} could leave a GPU running
     * groups of one work-item.)
     */
    public void launchItems(CommandQueue queue, long n) {
        if (n == 0) return;
        launch(queue, (n + ITEM_GROUP - 1) / ITEM_GROUP * ITEM_GROUP, ITEM_GROUP);
    }

    /** Enqueues a 1-D launch of {@code global} work-items in groups of {@code local} (0: the driver chooses). */
    public void launch(CommandQueue queue, long global, long local) {
        if (global == 0) return;
        sizes.setAtIndex(JAVA_LONG, 0, global);
        sizes.setAtIndex(JAVA_LONG, 3, local);
        enqueue(queue, 1, local == 0);
    }

    /** Enqueues a 2-D launch; each global size must be a multiple of the local size along it. */
    public void launch(CommandQueue queue, long global0, long global1, long local0, long local1) {
        if (global0 == 0 || global1 == 0) return;
        sizes.setAtIndex(JAVA_LONG, 0, global0);
        sizes.setAtIndex(JAVA_LONG, 1, global1);
        sizes.setAtIndex(JAVA_LONG, 3, local0);
        sizes.setAtIndex(JAVA_LONG, 4, local1);
        enqueue(queue, 2, local0 == 0);
    }

    private void enqueue(CommandQueue queue, int dims, boolean driverLocal) {
        int status = Cl.enqueueNDRangeKernel(queue.handle(), handle(), dims, sizes,
                driverLocal ? MemorySegment.NULL : sizes.asSlice(3 * 8, dims * 8L));
        if (status != 0) {
            StringBuilder sb = new StringBuilder("clEnqueueNDRangeKernel(" + name + ", global ");
            for (int d = 0; d < dims; d++) sb.append(d == 0 ? "" : "x").append(sizes.getAtIndex(JAVA_LONG, d));
            if (!driverLocal) {
                sb.append(", local ");
                for (int d = 0; d < dims; d++) sb.append(d == 0 ? "" : "x").append(sizes.getAtIndex(JAVA_LONG, 3 + d));
            }
            ClStatus.check(status, sb.append(")").toString());
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            MemorySegment h = handle;
            handle = null;
            arena.close();
            ClStatus.check(Cl.releaseKernel(h), "clReleaseKernel");
        }
    }
}
