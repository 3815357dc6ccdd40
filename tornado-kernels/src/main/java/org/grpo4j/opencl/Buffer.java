package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Set;

/**
 * Device memory ({@code clCreateBuffer}, read-write). Transfers from and to Java arrays are blocking and pass
 * through the queue's native staging area in chunks; offsets and counts are in elements of 4 bytes.
 *
 * <p>{@link #close()} releases the memory; a buffer that becomes unreachable unclosed is released by a
 * {@link Cleaner} (a model's activation block is replaced when a larger batch arrives, and the engine drops the
 * old one rather than closing it). OpenCL keeps the memory alive until queued kernels that use it finish.
 */
public final class Buffer implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The native handle, shared with the cleaning action (which must not reach the Buffer itself). */
    static final class Release implements Runnable {
        private volatile MemorySegment handle;
        private final Set<Release> registry;
        int status;

        Release(MemorySegment handle, Set<Release> registry) {
            this.handle = handle;
            this.registry = registry;
        }

        @Override
        public synchronized void run() {
            MemorySegment h = handle;
            if (h == null) return;
            handle = null;
            if (registry != null) registry.remove(this);
            status = Cl.releaseMemObject(h);
        }
    }

    private final long bytes;
    private final MemorySegment handle;
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    private Buffer(MemorySegment handle, long bytes, Set<Release> registry) {
        this.handle = handle;
        this.bytes = bytes;
        this.release = new Release(handle, registry);
        if (registry != null) registry.add(release);
        this.cleanable = CLEANER.register(this, release);
    }

    /** A new buffer of {@code bytes} bytes; its contents are undefined until written or filled. */
    public static Buffer allocate(Context context, long bytes) {
        return allocate(context, bytes, null);
    }

    /** As {@link #allocate(Context, long)}, recording the live buffer in {@code registry} until it is released. */
    static Buffer allocate(Context context, long bytes, Set<Release> registry) {
        if (bytes <= 0) throw new IllegalArgumentException("an OpenCL buffer needs a positive size, got " + bytes + " bytes");
        if (bytes > context.device().maxAllocBytes())
            throw new OpenClException(String.format("a buffer of %,d bytes exceeds the largest allocation %s allows (%,d bytes)",
                    bytes, context.device().name(), context.device().maxAllocBytes()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment mem = Cl.createBuffer(context.handle(), Cl.CL_MEM_READ_WRITE, bytes, MemorySegment.NULL, err);
            int status = err.get(JAVA_INT, 0);
            if (status != 0)
                throw new OpenClException(String.format("clCreateBuffer(%,d bytes) failed: %s (%d)", bytes, ClStatus.name(status), status), status, null);
            return new Buffer(mem, bytes, registry);
        }
    }

    public long bytes() {
        return bytes;
    }

    MemorySegment handle() {
        if (release.handle == null) throw new IllegalStateException("the OpenCL buffer was released");
        return handle;
    }

    private void checkRange(long offset, long n, String what) {
        if (offset < 0 || n < 0 || (offset + n) * 4 > bytes)
            throw new IndexOutOfBoundsException(what + " of elements [" + offset + ", " + (offset + n) + ") outside a buffer of " + bytes / 4);
    }

    /** Copies {@code n} floats from {@code src[srcOffset..]} to elements {@code [offset, offset+n)} of this buffer. */
    public void write(CommandQueue queue, long offset, float[] src, int srcOffset, int n) {
        checkRange(offset, n, "write");
        for (int done = 0; done < n; ) {
            MemorySegment s = queue.staging((long) (n - done) * 4);
            int chunk = (int) Math.min(n - done, s.byteSize() / 4);
            MemorySegment.copy(src, srcOffset + done, s, JAVA_FLOAT, 0, chunk);
            ClStatus.check(Cl.enqueueWriteBuffer(queue.handle(), handle(), Cl.CL_TRUE, (offset + done) * 4, (long) chunk * 4, s), "clEnqueueWriteBuffer");
            done += chunk;
        }
    }

    /** Copies {@code n} ints from {@code src[srcOffset..]} to elements {@code [offset, offset+n)} of this buffer. */
    public void write(CommandQueue queue, long offset, int[] src, int srcOffset, int n) {
        checkRange(offset, n, "write");
        for (int done = 0; done < n; ) {
            MemorySegment s = queue.staging((long) (n - done) * 4);
            int chunk = (int) Math.min(n - done, s.byteSize() / 4);
            MemorySegment.copy(src, srcOffset + done, s, JAVA_INT, 0, chunk);
            ClStatus.check(Cl.enqueueWriteBuffer(queue.handle(), handle(), Cl.CL_TRUE, (offset + done) * 4, (long) chunk * 4, s), "clEnqueueWriteBuffer");
            done += chunk;
        }
    }

    /** Copies elements {@code [offset, offset+n)} into {@code dst[dstOffset..]}; waits for every earlier command. */
    public void read(CommandQueue queue, long offset, float[] dst, int dstOffset, int n) {
        checkRange(offset, n, "read");
        for (int done = 0; done < n; ) {
            MemorySegment s = queue.staging((long) (n - done) * 4);
            int chunk = (int) Math.min(n - done, s.byteSize() / 4);
            ClStatus.check(Cl.enqueueReadBuffer(queue.handle(), handle(), Cl.CL_TRUE, (offset + done) * 4, (long) chunk * 4, s), "clEnqueueReadBuffer");
            MemorySegment.copy(s, JAVA_FLOAT, 0, dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    /** Copies elements {@code [offset, offset+n)} into {@code dst[dstOffset..]} as ints. */
    public void read(CommandQueue queue, long offset, int[] dst, int dstOffset, int n) {
        checkRange(offset, n, "read");
        for (int done = 0; done < n; ) {
            MemorySegment s = queue.staging((long) (n - done) * 4);
            int chunk = (int) Math.min(n - done, s.byteSize() / 4);
            ClStatus.check(Cl.enqueueReadBuffer(queue.handle(), handle(), Cl.CL_TRUE, (offset + done) * 4, (long) chunk * 4, s), "clEnqueueReadBuffer");
            MemorySegment.copy(s, JAVA_INT, 0, dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    /** Sets elements {@code [offset, offset+n)} to {@code value} ({@code clEnqueueFillBuffer}, asynchronous). */
    public void fill(CommandQueue queue, long offset, long n, float value) {
        checkRange(offset, n, "fill");
        if (n == 0) return;
        MemorySegment s = queue.staging(4);
        s.set(JAVA_FLOAT, 0, value);
        ClStatus.check(Cl.enqueueFillBuffer(queue.handle(), handle(), s, 4, offset * 4, n * 4), "clEnqueueFillBuffer");
    }

    /** Copies {@code n} elements of {@code src} from {@code srcOffset} to this buffer at {@code offset} (asynchronous). */
    public void copyFrom(CommandQueue queue, Buffer src, long srcOffset, long offset, long n) {
        checkRange(offset, n, "copy");
        src.checkRange(srcOffset, n, "copy");
        if (n == 0) return;
        ClStatus.check(Cl.enqueueCopyBuffer(queue.handle(), src.handle(), handle(), srcOffset * 4, offset * 4, n * 4), "clEnqueueCopyBuffer");
    }

    @Override
    public void close() {
        cleanable.clean();
        ClStatus.check(release.status, "clReleaseMemObject");
    }
}
