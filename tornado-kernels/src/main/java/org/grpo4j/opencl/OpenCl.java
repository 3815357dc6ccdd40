package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Entry point to the OpenCL runtime: is it there, and which devices does it offer. */
public final class OpenCl {
    private OpenCl() {}

    private static volatile List<ClDevice> devices;

    /** True when {@code libOpenCL.so.1} loads and has every function this project calls (devices may still be none). */
    public static boolean libraryAvailable() {
        return Cl.unavailableReason() == null;
    }

    /**
     * Every device of every platform, in the order platforms and devices are reported; their index is what
     * {@code opencl:N} selects. Empty when the ICD loader finds no driver ({@code CL_PLATFORM_NOT_FOUND_KHR}).
     *
     * @throws OpenClException when the library itself is missing or a query fails
     */
    public static List<ClDevice> devices() {
        List<ClDevice> d = devices;
        if (d == null) {
            synchronized (OpenCl.class) {
                if (devices == null) devices = discover();
                d = devices;
            }
        }
        return d;
    }

    private static List<ClDevice> discover() {
        Cl.require();
        List<ClDevice> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int status = Cl.getPlatformIDs(0, MemorySegment.NULL, count);
            if (status == -1001) return List.of(); // the loader found no installed driver
            ClStatus.check(status, "clGetPlatformIDs");
            int np = count.get(JAVA_INT, 0);
            if (np == 0) return List.of();
            MemorySegment platforms = arena.allocate(ADDRESS, np);
            ClStatus.check(Cl.getPlatformIDs(np, platforms, MemorySegment.NULL), "clGetPlatformIDs");
            for (int p = 0; p < np; p++) {
                MemorySegment platform = platforms.getAtIndex(ADDRESS, p);
                String platformName = platformString(platform, Cl.CL_PLATFORM_NAME);
                status = Cl.getDeviceIDs(platform, Cl.CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
                if (status == -1) continue; // CL_DEVICE_NOT_FOUND: a platform without devices
                ClStatus.check(status, "clGetDeviceIDs");
                int nd = count.get(JAVA_INT, 0);
                MemorySegment ids = arena.allocate(ADDRESS, nd);
                ClStatus.check(Cl.getDeviceIDs(platform, Cl.CL_DEVICE_TYPE_ALL, nd, ids, MemorySegment.NULL), "clGetDeviceIDs");
                for (int i = 0; i < nd; i++) out.add(describe(ids.getAtIndex(ADDRESS, i), platformName, out.size()));
            }
        }
        return List.copyOf(out);
    }

    private static ClDevice describe(MemorySegment id, String platform, int index) {
        long type = deviceLong(id, Cl.CL_DEVICE_TYPE);
        String typeName = (type & Cl.CL_DEVICE_TYPE_GPU) != 0 ? "GPU"
                : (type & Cl.CL_DEVICE_TYPE_CPU) != 0 ? "CPU"
                : (type & Cl.CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR" : "OTHER";
        String extensions = deviceString(id, Cl.CL_DEVICE_EXTENSIONS);
        return new ClDevice(id, platform, index, deviceString(id, Cl.CL_DEVICE_NAME), deviceString(id, Cl.CL_DEVICE_VENDOR),
                typeName, deviceInt(id, Cl.CL_DEVICE_MAX_COMPUTE_UNITS), deviceInt(id, Cl.CL_DEVICE_MAX_CLOCK_FREQUENCY),
                deviceLong(id, Cl.CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(id, Cl.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                deviceLong(id, Cl.CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(id, Cl.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                deviceString(id, Cl.CL_DEVICE_VERSION), deviceString(id, Cl.CL_DEVICE_OPENCL_C_VERSION),
                deviceString(id, Cl.CL_DRIVER_VERSION), extensions.contains("cl_khr_fp64"));
    }

    private static String platformString(MemorySegment platform, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            ClStatus.check(Cl.getPlatformInfo(platform, param, 0, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment value = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            ClStatus.check(Cl.getPlatformInfo(platform, param, value.byteSize(), value, MemorySegment.NULL), "clGetPlatformInfo");
            return value.getString(0).trim();
        }
    }

    static String deviceString(MemorySegment device, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            ClStatus.check(Cl.getDeviceInfo(device, param, 0, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment value = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            ClStatus.check(Cl.getDeviceInfo(device, param, value.byteSize(), value, MemorySegment.NULL), "clGetDeviceInfo");
            return value.getString(0).trim();
        }
    }

    // cl_uint answers are 4 bytes, cl_ulong/size_t/bitfield answers 8: the caller picks by the parameter's C type
    private static int deviceInt(MemorySegment device, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            ClStatus.check(Cl.getDeviceInfo(device, param, JAVA_INT.byteSize(), value, MemorySegment.NULL), "clGetDeviceInfo");
            return value.get(JAVA_INT, 0);
        }
    }

    private static long deviceLong(MemorySegment device, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_LONG);
            ClStatus.check(Cl.getDeviceInfo(device, param, JAVA_LONG.byteSize(), value, MemorySegment.NULL), "clGetDeviceInfo");
            return value.get(JAVA_LONG, 0);
        }
    }
}
