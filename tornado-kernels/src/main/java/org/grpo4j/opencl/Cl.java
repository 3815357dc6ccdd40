package org.grpo4j.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import org.grpo4j.backend.NativeLibrary;

/**
 * Downcalls into the OpenCL ICD loader ({@code libOpenCL.so.1}) through {@code java.lang.foreign}: one method per
 * OpenCL function this project uses, with the C types mapped as {@code cl_int/cl_uint/cl_bool → int},
 * {@code size_t} and bitfields {@code → long}, handles and pointers {@code → MemorySegment}.
 *
 * <p>The library is looked up once. If it is absent, or lacks a function, {@link #require()} throws with a message
 * naming the library or the missing symbol; nothing fails later with a bare {@code NullPointerException}.
 * These methods return raw status codes; the wrappers ({@link Context}, {@link Buffer}, ...) check every one.
 */
public final class Cl {
    private Cl() {}

    public static final String LIBRARY = "libOpenCL.so.1";

    // cl_device_info / cl_platform_info and friends: the values from CL/cl.h
    public static final int CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    public static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002,
            CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004, CL_DEVICE_MAX_CLOCK_FREQUENCY = 0x100C,
            CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010,
            CL_DEVICE_LOCAL_MEM_SIZE = 0x1023, CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C,
            CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F, CL_DEVICE_OPENCL_C_VERSION = 0x103D,
            CL_DEVICE_EXTENSIONS = 0x1030;
    public static final long CL_DEVICE_TYPE_CPU = 1L << 1, CL_DEVICE_TYPE_GPU = 1L << 2,
            CL_DEVICE_TYPE_ACCELERATOR = 1L << 3, CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    public static final long CL_MEM_READ_WRITE = 1L;
    public static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    public static final int CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
    public static final int CL_TRUE = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final NativeLibrary LIB = NativeLibrary.open(LIBRARY, "no OpenCL runtime",
            "install an OpenCL driver, e.g. apt-get install ocl-icd-libopencl1 pocl-opencl-icd");
    private static final SymbolLookup LOOKUP = LIB.lookup();
    private static final List<String> MISSING = new ArrayList<>();
    private static final String LOAD_FAILURE = LIB.failure();

    private static MethodHandle h(String name, FunctionDescriptor d) {
        if (LOOKUP == null) return null;
        var symbol = LOOKUP.find(name);
        if (symbol.isEmpty()) {
            MISSING.add(name);
            return null;
        }
        return LINKER.downcallHandle(symbol.get(), d);
    }

    private static final MethodHandle GET_PLATFORM_IDS = h("clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GET_PLATFORM_INFO = h("clGetPlatformInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle GET_DEVICE_IDS = h("clGetDeviceIDs", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GET_DEVICE_INFO = h("clGetDeviceInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle CREATE_CONTEXT = h("clCreateContext", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle RELEASE_CONTEXT = h("clReleaseContext", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle CREATE_COMMAND_QUEUE = h("clCreateCommandQueue", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle RELEASE_COMMAND_QUEUE = h("clReleaseCommandQueue", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FINISH = h("clFinish", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle CREATE_BUFFER = h("clCreateBuffer", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle RELEASE_MEM_OBJECT = h("clReleaseMemObject", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ENQUEUE_READ_BUFFER = h("clEnqueueReadBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ENQUEUE_WRITE_BUFFER = h("clEnqueueWriteBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ENQUEUE_FILL_BUFFER = h("clEnqueueFillBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ENQUEUE_COPY_BUFFER = h("clEnqueueCopyBuffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CREATE_PROGRAM_WITH_SOURCE = h("clCreateProgramWithSource", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle BUILD_PROGRAM = h("clBuildProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle GET_PROGRAM_BUILD_INFO = h("clGetProgramBuildInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle RELEASE_PROGRAM = h("clReleaseProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle CREATE_KERNEL = h("clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle RELEASE_KERNEL = h("clReleaseKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_KERNEL_ARG = h("clSetKernelArg", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_KERNEL_WORK_GROUP_INFO = h("clGetKernelWorkGroupInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle ENQUEUE_ND_RANGE_KERNEL = h("clEnqueueNDRangeKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));

    /** Why OpenCL cannot be used here, or null when the library and every function this project calls were found. */
    public static String unavailableReason() {
        if (LOAD_FAILURE != null) return LOAD_FAILURE;
        if (!MISSING.isEmpty()) return LIBRARY + " lacks the OpenCL function(s) " + String.join(", ", MISSING) + " (OpenCL 1.2 is needed)";
        return null;
    }

    /** Throws an {@link OpenClException} with {@link #unavailableReason()} unless OpenCL can be called. */
    public static void require() {
        String why = unavailableReason();
        if (why != null) throw new OpenClException(why);
    }

    private static OpenClException rethrow(String call, Throwable t) {
        if (t instanceof RuntimeException r && !(t instanceof NullPointerException)) throw r;
        require();
        return new OpenClException(call + " could not be called: " + t, 0, t);
    }

    public static int getPlatformIDs(int n, MemorySegment platforms, MemorySegment count) {
        try { return (int) GET_PLATFORM_IDS.invokeExact(n, platforms, count); } catch (Throwable t) { throw rethrow("clGetPlatformIDs", t); }
    }

    public static int getPlatformInfo(MemorySegment platform, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) GET_PLATFORM_INFO.invokeExact(platform, param, size, value, sizeRet); } catch (Throwable t) { throw rethrow("clGetPlatformInfo", t); }
    }

    public static int getDeviceIDs(MemorySegment platform, long type, int n, MemorySegment devices, MemorySegment count) {
        try { return (int) GET_DEVICE_IDS.invokeExact(platform, type, n, devices, count); } catch (Throwable t) { throw rethrow("clGetDeviceIDs", t); }
    }

    public static int getDeviceInfo(MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) GET_DEVICE_INFO.invokeExact(device, param, size, value, sizeRet); } catch (Throwable t) { throw rethrow("clGetDeviceInfo", t); }
    }

    public static MemorySegment createContext(MemorySegment props, int n, MemorySegment devices, MemorySegment errcode) {
        try { return (MemorySegment) CREATE_CONTEXT.invokeExact(props, n, devices, MemorySegment.NULL, MemorySegment.NULL, errcode); } catch (Throwable t) { throw rethrow("clCreateContext", t); }
    }

    public static int releaseContext(MemorySegment context) {
        try { return (int) RELEASE_CONTEXT.invokeExact(context); } catch (Throwable t) { throw rethrow("clReleaseContext", t); }
    }

    public static MemorySegment createCommandQueue(MemorySegment context, MemorySegment device, long properties, MemorySegment errcode) {
        try { return (MemorySegment) CREATE_COMMAND_QUEUE.invokeExact(context, device, properties, errcode); } catch (Throwable t) { throw rethrow("clCreateCommandQueue", t); }
    }

    public static int releaseCommandQueue(MemorySegment queue) {
        try { return (int) RELEASE_COMMAND_QUEUE.invokeExact(queue); } catch (Throwable t) { throw rethrow("clReleaseCommandQueue", t); }
    }

    public static int finish(MemorySegment queue) {
        try { return (int) FINISH.invokeExact(queue); } catch (Throwable t) { throw rethrow("clFinish", t); }
    }

    public static MemorySegment createBuffer(MemorySegment context, long flags, long size, MemorySegment hostPtr, MemorySegment errcode) {
        try { return (MemorySegment) CREATE_BUFFER.invokeExact(context, flags, size, hostPtr, errcode); } catch (Throwable t) { throw rethrow("clCreateBuffer", t); }
    }

    public static int releaseMemObject(MemorySegment mem) {
        try { return (int) RELEASE_MEM_OBJECT.invokeExact(mem); } catch (Throwable t) { throw rethrow("clReleaseMemObject", t); }
    }

    public static int enqueueReadBuffer(MemorySegment queue, MemorySegment mem, int blocking, long offset, long size, MemorySegment ptr) {
        try { return (int) ENQUEUE_READ_BUFFER.invokeExact(queue, mem, blocking, offset, size, ptr, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clEnqueueReadBuffer", t); }
    }

    public static int enqueueWriteBuffer(MemorySegment queue, MemorySegment mem, int blocking, long offset, long size, MemorySegment ptr) {
        try { return (int) ENQUEUE_WRITE_BUFFER.invokeExact(queue, mem, blocking, offset, size, ptr, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clEnqueueWriteBuffer", t); }
    }

    public static int enqueueFillBuffer(MemorySegment queue, MemorySegment mem, MemorySegment pattern, long patternSize, long offset, long size) {
        try { return (int) ENQUEUE_FILL_BUFFER.invokeExact(queue, mem, pattern, patternSize, offset, size, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clEnqueueFillBuffer", t); }
    }

    public static int enqueueCopyBuffer(MemorySegment queue, MemorySegment src, MemorySegment dst, long srcOffset, long dstOffset, long size) {
        try { return (int) ENQUEUE_COPY_BUFFER.invokeExact(queue, src, dst, srcOffset, dstOffset, size, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clEnqueueCopyBuffer", t); }
    }

    public static MemorySegment createProgramWithSource(MemorySegment context, int count, MemorySegment strings, MemorySegment lengths, MemorySegment errcode) {
        try { return (MemorySegment) CREATE_PROGRAM_WITH_SOURCE.invokeExact(context, count, strings, lengths, errcode); } catch (Throwable t) { throw rethrow("clCreateProgramWithSource", t); }
    }

    public static int buildProgram(MemorySegment program, int n, MemorySegment devices, MemorySegment options) {
        try { return (int) BUILD_PROGRAM.invokeExact(program, n, devices, options, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clBuildProgram", t); }
    }

    public static int getProgramBuildInfo(MemorySegment program, MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) GET_PROGRAM_BUILD_INFO.invokeExact(program, device, param, size, value, sizeRet); } catch (Throwable t) { throw rethrow("clGetProgramBuildInfo", t); }
    }

    public static int releaseProgram(MemorySegment program) {
        try { return (int) RELEASE_PROGRAM.invokeExact(program); } catch (Throwable t) { throw rethrow("clReleaseProgram", t); }
    }

    public static MemorySegment createKernel(MemorySegment program, MemorySegment name, MemorySegment errcode) {
        try { return (MemorySegment) CREATE_KERNEL.invokeExact(program, name, errcode); } catch (Throwable t) { throw rethrow("clCreateKernel", t); }
    }

    public static int releaseKernel(MemorySegment kernel) {
        try { return (int) RELEASE_KERNEL.invokeExact(kernel); } catch (Throwable t) { throw rethrow("clReleaseKernel", t); }
    }

    public static int setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try { return (int) SET_KERNEL_ARG.invokeExact(kernel, index, size, value); } catch (Throwable t) { throw rethrow("clSetKernelArg", t); }
    }

    public static int getKernelWorkGroupInfo(MemorySegment kernel, MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try { return (int) GET_KERNEL_WORK_GROUP_INFO.invokeExact(kernel, device, param, size, value, sizeRet); } catch (Throwable t) { throw rethrow("clGetKernelWorkGroupInfo", t); }
    }

    public static int enqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local) {
        try { return (int) ENQUEUE_ND_RANGE_KERNEL.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, MemorySegment.NULL); } catch (Throwable t) { throw rethrow("clEnqueueNDRangeKernel", t); }
    }
}
