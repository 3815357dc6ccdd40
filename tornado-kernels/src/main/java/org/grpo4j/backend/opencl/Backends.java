package org.grpo4j.backend.opencl;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.Launch;
import org.grpo4j.opencl.Cl;
import org.grpo4j.opencl.ClDevice;
import org.grpo4j.opencl.OpenCl;
import org.grpo4j.opencl.OpenClException;

/**
 * Picks the backend a {@code --device} option names: {@code cpu}, {@code opencl} (the first GPU, else the first
 * OpenCL device) or {@code opencl:N} (device N of {@code grpo devices}). Lives here rather than in the runtime,
 * which cannot depend on this module. The choice is logged in one line on standard error; when OpenCL is asked
 * for but there is no OpenCL runtime or device, the CPU backend runs and that is said once per process.
 */
public final class Backends {
    private Backends() {}

    private static final AtomicBoolean FALLBACK_SAID = new AtomicBoolean();

    public static Backend select(String spec) {
        String s = spec == null ? "cpu" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) return new CpuBackend();
        if (!s.equals("opencl") && !s.startsWith("opencl:"))
            throw new IllegalArgumentException("unknown device '" + spec + "'; use cpu, opencl or opencl:N (see ./grpo devices)");
        String why = Cl.unavailableReason();
        List<ClDevice> devices = why == null ? OpenCl.devices() : List.of();
        if (why == null && devices.isEmpty()) why = "no OpenCL device (the OpenCL loader found no driver)";
        if (why != null) {
            CpuBackend cpu = new CpuBackend();
            if (FALLBACK_SAID.compareAndSet(false, true))
                System.err.println("grpo: --device " + spec + " asked for OpenCL, but " + why + "; running on " + cpu.name());
            return cpu;
        }
        int index;
        if (s.equals("opencl")) {
            // the GPUs (else every device); under MPI each rank on this machine takes the next one: rank r gets r mod count
            List<ClDevice> pool = new java.util.ArrayList<>();
            for (ClDevice d : devices) if (d.isGpu()) pool.add(d);
            if (pool.isEmpty()) pool = devices;
            index = pool.get(Launch.localRank(System.getenv()) % pool.size()).index();
        } else {
            try {
                index = Integer.parseInt(s.substring("opencl:".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device '" + spec + "'; use opencl:N with N a device number of ./grpo devices");
            }
            if (index < 0 || index >= devices.size())
                throw new OpenClException("no OpenCL device " + index + "; this machine has " + devices.size() + " (opencl:0.." + (devices.size() - 1) + "; see ./grpo devices)");
        }
        OpenClBackend b = OpenClBackend.open(index);
        System.err.println("grpo: backend " + b.name());
        return b;
    }
}
