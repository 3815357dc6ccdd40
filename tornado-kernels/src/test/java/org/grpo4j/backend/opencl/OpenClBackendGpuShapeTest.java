package org.grpo4j.backend.opencl;

import org.grpo4j.opencl.ClSession;

/** Every op again with the kernel shapes a GPU gets (tiled GEMM, 256-wide reductions), run on this machine's device. */
class OpenClBackendGpuShapeTest extends OpenClBackendTest {
    @Override
    OpenClBackend backend(ClSession s) {
        return OpenClBackend.gpuShaped(s);
    }
}
