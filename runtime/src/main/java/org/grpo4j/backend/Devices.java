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
        String d = device == null || device.isBlank() ? "cpu" : device.trim();
        if (d.equals("cpu")) return new CpuBackend();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) if (p.handles(d)) return p.open(d);
        throw new IllegalArgumentException("unknown device '" + device + "': this build knows cpu"
                + (ServiceLoader.load(BackendProvider.class).findFirst().isPresent() ? ", opencl and opencl:N (see ./grpo devices)" : " only (the tornado-kernels module is not on the class path)"));
    }
}
