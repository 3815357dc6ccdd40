package org.grpo4j.opencl;

import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device as its driver describes it.
 *
 * @param handle           the {@code cl_device_id} (valid for the life of the process)
 * @param platform         the name of the platform it belongs to
 * @param index            its position in {@link OpenCl#devices()}, the number {@code opencl:N} selects
 * @param type             {@code CPU}, {@code GPU}, {@code ACCELERATOR} or {@code OTHER}
 * @param openclCVersion   the OpenCL C language version its compiler accepts
 */
public record ClDevice(MemorySegment handle, String platform, int index, String name, String vendor, String type,
                       int computeUnits, int clockMHz, long globalMemBytes, long maxAllocBytes, long localMemBytes,
                       long maxWorkGroupSize, String version, String openclCVersion, String driverVersion,
                       boolean fp64) {

    public boolean isCpu() {
        return type.equals("CPU");
    }

    public boolean isGpu() {
        return type.equals("GPU");
    }

    /** One line for listings: {@code opencl:0  GPU  NVIDIA H100 (NVIDIA Corporation), 132 CU, 79.6 GiB, ...}. */
    public String describe() {
        return String.format("opencl:%d  %-4s %s (%s), %d compute units @ %d MHz, %.1f GiB global, %d KiB local, "
                        + "max work-group %d, %s, %s, driver %s, platform %s",
                index, type, name, vendor, computeUnits, clockMHz, globalMemBytes / (1024.0 * 1024 * 1024),
                localMemBytes / 1024, maxWorkGroupSize, version, openclCVersion, driverVersion, platform);
    }
}
