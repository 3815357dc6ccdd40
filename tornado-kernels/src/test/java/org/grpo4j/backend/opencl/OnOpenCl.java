package org.grpo4j.backend.opencl;

import org.grpo4j.opencl.ClSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class that compares against the OpenCL backend: its session and backend, opened before its tests and closed after. */
abstract class OnOpenCl {
    static ClSession session;
    static OpenClBackend cl;

    @BeforeAll
    static void openDevice() {
        session = TestDevice.open();
        cl = new OpenClBackend(session);
    }

    @AfterAll
    static void closeDevice() {
        if (cl != null) cl.close();
        if (session != null) session.close();
    }
}
