package org.grpo4j.opencl;

/**
 * A failed OpenCL call, or an OpenCL runtime that cannot be used. The message names the call and the error
 * ({@code clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE (-11)} followed by the compiler's log).
 */
public final class OpenClException extends RuntimeException {
    private final int status;

    public OpenClException(String message) {
        this(message, 0, null);
    }

    public OpenClException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The OpenCL status code ({@code CL_OUT_OF_RESOURCES} is -5), or 0 when the failure was not a status code. */
    public int status() {
        return status;
    }
}
