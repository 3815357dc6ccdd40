package org.grpo4j.backend;

/**
 * A module that can open backends for {@code --device} names beyond {@code cpu} (tornado-kernels provides
 * {@code opencl} and {@code opencl:N}). Found with {@link java.util.ServiceLoader}, so the runtime does not
 * depend on the modules that implement devices.
 */
public interface BackendProvider {
    /** True when this provider understands the device name (e.g. {@code opencl:1}). */
    boolean handles(String device);

    /** Opens the backend; may fall back to the CPU and say so. */
    Backend open(String device);
}
