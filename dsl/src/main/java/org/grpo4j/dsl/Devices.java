package org.grpo4j.dsl;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;

/**
 * Resolves a recipe's {@code device}: {@code cpu} here, {@code opencl} / {@code opencl:N} through
 * {@code org.grpo4j.backend.opencl.Backends.select(String)} of the tornado-kernels module when that module is on
 * the class path (the DSL does not depend on it, so a CPU-only build stays small).
 */
final class Devices {
    static final String OPENCL_BACKENDS = "org.grpo4j.backend.opencl.Backends";

    private Devices() {}

    /** Why {@code device} cannot be used, or null when it can. */
    static String problem(String device) {
        String d = device == null ? "cpu" : device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) return null;
        if (d.equals("opencl") || d.matches("opencl:\\d+")) {
            if (select() == null)
                return "device = '" + device + "': the OpenCL backend is not available in this build (" + OPENCL_BACKENDS
                        + " is not on the class path); use device(\"cpu\")";
            return null;
        }
        return "device = '" + device + "' is not one of cpu, opencl, opencl:N";
    }

    static Backend backend(String device) {
        String p = problem(device);
        if (p != null) throw new IllegalArgumentException(p);
        String d = device == null ? "cpu" : device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) return new CpuBackend();
        try {
            return (Backend) select().invoke(d);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("device '" + device + "': " + t, t);
        }
    }

    private static MethodHandle select() {
        try {
            Class<?> c = Class.forName(OPENCL_BACKENDS, true, Devices.class.getClassLoader());
            return MethodHandles.publicLookup().findStatic(c, "select", MethodType.methodType(Backend.class, String.class));
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
