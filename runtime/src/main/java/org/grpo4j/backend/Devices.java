package org.grpo4j.backend;

import java.util.ServiceLoader;
import org.grpo4j.backend.cpu.CpuBackend;

/**
 * Resolves a device name ({@code --device} on the command line, {@code device(...)} in recipes) to a backend:
 * {@code cpu} here, anything else through the installed {@link BackendProvider}s.
 */
public final class Devices {
    private Devices() {}

    public static Backend open(String device) {
        String why = problem(device);
        if (why != null) throw new IllegalArgumentException(why);
        String d = name(device);
        if (d.equals("cpu")) return new CpuBackend();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) if (p.handles(d)) return p.open(d);
        throw new IllegalStateException("no provider for device '" + d + "'");
    }

    /** Why {@code device} cannot be opened in this build, or null when it can (validation before any work starts). */
    public static String problem(String device) {
        String d = name(device);
        if (d.equals("cpu")) return null;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) if (p.handles(d)) return null;
        return "device = '" + device + "' is not known to this build; it knows cpu"
                + (ServiceLoader.load(BackendProvider.class).findFirst().isPresent() ? ", opencl and opencl:N (see ./grpo devices)"
                : " only (the tornado-kernels module, which provides opencl, is not on the class path)");
    }

    private static String name(String device) {
        return device == null || device.isBlank() ? "cpu" : device.trim().toLowerCase(java.util.Locale.ROOT);
    }
}
