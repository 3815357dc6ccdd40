package org.grpo4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.grpo4j.backend.Backend;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.backend.opencl.Backends;
import org.grpo4j.backend.opencl.OpenClBackend;
import org.grpo4j.backend.opencl.TestDevice;
import org.grpo4j.cli.Args;
import org.junit.jupiter.api.Test;

/**
 * The FFM bindings themselves: device discovery, errors that name the call and the OpenCL error (with the
 * compiler's log for a failed build), bounds checks on transfers, release of every buffer, the {@code devices}
 * command and backend selection.
 */
class OpenClBindingsTest {

    @Test
    void discoversAtLeastOneDeviceWithItsProperties() {
        try (ClSession s = TestDevice.open()) {
            List<ClDevice> all = OpenCl.devices();
            assertFalse(all.isEmpty());
            for (int i = 0; i < all.size(); i++) {
                ClDevice d = all.get(i);
                assertEquals(i, d.index());
                assertFalse(d.name().isBlank(), "device name");
                assertTrue(Set.of("CPU", "GPU", "ACCELERATOR", "OTHER").contains(d.type()), d.type());
                assertTrue(d.computeUnits() > 0 && d.globalMemBytes() > 0 && d.localMemBytes() > 0 && d.maxWorkGroupSize() > 0, d.describe());
                assertTrue(d.version().startsWith("OpenCL "), d.version());
                assertTrue(d.describe().startsWith("opencl:" + i + " "), d.describe());
            }
            assertEquals(all.get(0), s.device());
        }
    }

    @Test
    void aFailedBuildReportsTheCallTheErrorAndTheCompilerLog() {
        try (ClSession s = TestDevice.open()) {
            OpenClException e = assertThrows(OpenClException.class,
                    () -> Program.build(s.context(), "broken.cl", "__kernel void k(__global float* x) { x[0] = undefined_name; }", ""));
            assertTrue(e.getMessage().contains("clBuildProgram(broken.cl"), e.getMessage());
            assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE (-11)"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_name"), "the compiler's log names the culprit: " + e.getMessage());
            assertEquals(-11, e.status());
        }
    }

    @Test
    void unknownKernelsAndBadArgumentsNameTheirError() {
        try (ClSession s = TestDevice.open()) {
            OpenClException e = assertThrows(OpenClException.class, () -> s.kernel("elementwise.cl", "no_such_kernel", "-DWG=64"));
            assertTrue(e.getMessage().contains("CL_INVALID_KERNEL_NAME") && e.getMessage().contains("no_such_kernel"), e.getMessage());
            Kernel k = s.kernel("elementwise.cl", "scale", "-DWG=64");
            OpenClException arg = assertThrows(OpenClException.class, () -> k.arg(9, 1));
            assertTrue(arg.getMessage().contains("CL_INVALID_ARG_INDEX") && arg.getMessage().contains("argument 9"), arg.getMessage());
            assertThrows(OpenClException.class, () -> s.kernel("no-such-file.cl", "k", ""));
            assertEquals("CL_OUT_OF_RESOURCES", ClStatus.name(-5));
            assertEquals("CL_INVALID_WORK_GROUP_SIZE", ClStatus.name(-54));
            assertEquals("CL_PLATFORM_NOT_FOUND_KHR", ClStatus.name(-1001));
        }
    }

    @Test
    void transfersRoundTripAndCheckTheirBounds() {
        try (ClSession s = TestDevice.open()) {
            Buffer b = s.allocate(10);
            float[] x = {1, 2, 3, 4, 5};
            b.write(s.queue(), 3, x, 1, 4);
            b.fill(s.queue(), 0, 3, 7f);
            float[] back = new float[7];
            b.read(s.queue(), 0, back, 0, 7);
            assertEquals(List.of(7f, 7f, 7f, 2f, 3f, 4f, 5f), box(back));
            int[] ids = {4, -1, 9};
            b.write(s.queue(), 7, ids, 0, 3);
            int[] idsBack = new int[3];
            b.read(s.queue(), 7, idsBack, 0, 3);
            assertEquals(List.of(4, -1, 9), List.of(idsBack[0], idsBack[1], idsBack[2]));
            assertThrows(IndexOutOfBoundsException.class, () -> b.write(s.queue(), 8, x, 0, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> b.read(s.queue(), -1, back, 0, 1));
            // larger than one staging chunk: goes through in pieces
            float[] big = new float[3_000_000];
            for (int i = 0; i < big.length; i++) big[i] = i;
            Buffer bb = s.allocate(big.length);
            bb.write(s.queue(), 0, big, 0, big.length);
            float[] bigBack = new float[big.length];
            bb.read(s.queue(), 0, bigBack, 0, big.length);
            assertEquals(big[2_999_999], bigBack[2_999_999]);
            assertEquals(big[2_097_152], bigBack[2_097_152]);
        }
    }

    private static List<Float> box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i];
        return List.of(b);
    }

    @Test
    void everyBufferIsReleasedByCloseOrWithTheSession() {
        ClSession s = TestDevice.open();
        Buffer a = s.allocate(100);
        s.allocate(100);
        s.allocate(100);
        assertEquals(3, s.liveBuffers());
        a.close();
        a.close(); // idempotent
        assertEquals(2, s.liveBuffers());
        assertThrows(IllegalStateException.class, () -> a.fill(s.queue(), 0, 1, 0f));
        s.close();
        assertEquals(0, s.liveBuffers());
    }

    @Test
    void devicesCommandListsTheDevices() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = new DevicesCommand().run(Args.parse(new String[0], Set.of()));
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("opencl:0 "), text);
        assertTrue(text.contains(OpenCl.devices().get(0).name()), text);
    }

    @Test
    void backendSelection() {
        TestDevice.open().close();
        assertInstanceOf(CpuBackend.class, Backends.select("cpu"));
        try (Backend b = Backends.select("opencl:0")) {
            assertInstanceOf(OpenClBackend.class, b);
            assertTrue(b.name().startsWith("opencl:0 ("), b.name());
        }
        try (Backend b = Backends.select("opencl")) {
            assertInstanceOf(OpenClBackend.class, b);
        }
        OpenClException e = assertThrows(OpenClException.class, () -> Backends.select("opencl:99"));
        assertTrue(e.getMessage().contains("no OpenCL device 99"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda"));
        assertThrows(IllegalArgumentException.class, () -> Backends.select("opencl:x"));
    }
}
