package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * OpenCL C source compiled for one device by its driver ({@code clCreateProgramWithSource} + {@code clBuildProgram}).
 * A failed build throws with the compiler's log, so a typo in a {@code .cl} file reads like a javac error.
 */
public final class Program implements AutoCloseable {
    private final Context context;
    private final String name;
    private MemorySegment handle;

    private Program(Context context, String name, MemorySegment handle) {
        this.context = context;
        this.name = name;
        this.handle = handle;
    }

    /** Compiles {@code source} (named {@code name} in errors) with the compiler {@code options} ({@code -DTS=16 ...}). */
    public static Program build(Context context, String name, String source, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment text = arena.allocateFrom(source);
            MemorySegment strings = arena.allocate(ADDRESS);
            strings.set(ADDRESS, 0, text);
            MemorySegment program = Cl.createProgramWithSource(context.handle(), 1, strings, MemorySegment.NULL, err);
            ClStatus.check(err.get(JAVA_INT, 0), "clCreateProgramWithSource(" + name + ")");
            Program p = new Program(context, name, program);
            MemorySegment devices = arena.allocate(ADDRESS);
            devices.set(ADDRESS, 0, context.device().handle());
            int status = Cl.buildProgram(program, 1, devices, arena.allocateFrom(options == null ? "" : options));
            if (status != 0) {
                String log = p.buildLog();
                p.close();
                throw new OpenClException("clBuildProgram(" + name + ", options '" + options + "') failed: " + ClStatus.name(status)
                        + " (" + status + ")\n" + log, status, null);
            }
            return p;
        }
    }

    /** The compiler's messages for this device (warnings even when the build succeeded). */
    public String buildLog() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            MemorySegment device = context.device().handle();
            ClStatus.check(Cl.getProgramBuildInfo(handle(), device, Cl.CL_PROGRAM_BUILD_LOG, 0, MemorySegment.NULL, size), "clGetProgramBuildInfo");
            MemorySegment log = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            ClStatus.check(Cl.getProgramBuildInfo(handle(), device, Cl.CL_PROGRAM_BUILD_LOG, log.byteSize(), log, MemorySegment.NULL), "clGetProgramBuildInfo");
            return log.getString(0).strip();
        }
    }

    public String name() {
        return name;
    }

    public Context context() {
        return context;
    }

    MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("the OpenCL program " + name + " was released");
        return handle;
    }

    @Override
    public void close() {
        if (handle != null) {
            MemorySegment h = handle;
            handle = null;
            ClStatus.check(Cl.releaseProgram(h), "clReleaseProgram");
        }
    }
}
