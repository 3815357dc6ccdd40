package org.grpo4j.backend.opencl;

import org.grpo4j.backend.Backend;
import org.grpo4j.backend.BackendProvider;

/** Makes {@code opencl} and {@code opencl:N} device names known to {@link org.grpo4j.backend.Devices}. */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public boolean handles(String device) {
        String s = device.trim().toLowerCase(java.util.Locale.ROOT);
        return s.equals("opencl") || s.startsWith("opencl:");
    }

    @Override
    public Backend open(String device) {
        return Backends.select(device);
    }
}
