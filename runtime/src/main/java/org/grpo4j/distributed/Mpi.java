package org.grpo4j.distributed;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.grpo4j.backend.NativeLibrary;

/**
 * Downcalls into Open MPI's C library ({@code libmpi.so.40}) through {@code java.lang.foreign}: Open MPI dropped its
 * Java bindings, and the C API is small. Only what a data-parallel trainer needs is bound: init/finalize, rank and
 * size, all-reduce, broadcast, barrier and abort.
 *
 * <p>Open MPI's handles ({@code MPI_COMM_WORLD}, {@code MPI_FLOAT}, {@code MPI_SUM}, ...) are macros for the addresses
 * of global objects ({@code &ompi_mpi_comm_world}); they are looked up as symbols. Every call returns MPI's status
 * code, checked by {@link #check}. The default error handler on {@code MPI_COMM_WORLD} is {@code MPI_ERRORS_ARE_FATAL}:
 * a failing call or a dead rank ends the whole job instead of leaving the other ranks waiting forever.
 */
final class Mpi {
    private Mpi() {}

    static final String LIBRARY = "libmpi.so.40";
    /** {@code MPI_IN_PLACE} is {@code (void *) 1} in Open MPI's mpi.h. */
    static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final NativeLibrary LIB = NativeLibrary.open(LIBRARY, "Open MPI is not installed", "install it with apt-get install openmpi-bin");
    private static final SymbolLookup LOOKUP = LIB.lookup();
    private static final String LOAD_FAILURE = LIB.failure();

    /** Throws with what to install when the library is missing. */
    static void require() {
        if (LOAD_FAILURE != null) throw new IllegalStateException(LOAD_FAILURE);
    }

    static boolean available() {
        return LOAD_FAILURE == null;
    }

    private static MemorySegment symbol(String name) {
        if (LOOKUP == null) return MemorySegment.NULL;
        return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " lacks the symbol " + name
                + "; is this Open MPI (MPICH names its handles differently)?"));
    }

    private static MethodHandle h(String name, FunctionDescriptor d) {
        if (LOOKUP == null) return null;
        return LINKER.downcallHandle(symbol(name), d);
    }

    static final MemorySegment COMM_WORLD = symbol("ompi_mpi_comm_world");
    static final MemorySegment FLOAT = symbol("ompi_mpi_float");
    static final MemorySegment DOUBLE = symbol("ompi_mpi_double");
    static final MemorySegment BYTE = symbol("ompi_mpi_byte");
    static final MemorySegment SUM = symbol("ompi_mpi_op_sum");
    static final MemorySegment MAX = symbol("ompi_mpi_op_max");

    private static final MethodHandle INIT = h("MPI_Init", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle INITIALIZED = h("MPI_Initialized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FINALIZED = h("MPI_Finalized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FINALIZE = h("MPI_Finalize", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle COMM_RANK = h("MPI_Comm_rank", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle COMM_SIZE = h("MPI_Comm_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ALLREDUCE = h("MPI_Allreduce",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle BCAST = h("MPI_Bcast", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle BARRIER = h("MPI_Barrier", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ABORT = h("MPI_Abort", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    static void init() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flag = a.allocate(JAVA_INT);
            check("MPI_Initialized", (int) INITIALIZED.invokeExact(flag));
            if (flag.get(JAVA_INT, 0) != 0) return;
            check("MPI_Init", (int) INIT.invokeExact(MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void finalizeMpi() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flag = a.allocate(JAVA_INT);
            check("MPI_Finalized", (int) FINALIZED.invokeExact(flag));
            if (flag.get(JAVA_INT, 0) != 0) return;
            check("MPI_Finalize", (int) FINALIZE.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int rank() {
        return intQuery(COMM_RANK, "MPI_Comm_rank");
    }

    static int size() {
        return intQuery(COMM_SIZE, "MPI_Comm_size");
    }

    private static int intQuery(MethodHandle call, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(name, (int) call.invokeExact(COMM_WORLD, out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** In-place all-reduce of {@code count} elements of {@code type} at {@code buffer} (native memory). */
    static void allReduceInPlace(MemorySegment buffer, int count, MemorySegment type, MemorySegment op) {
        try {
            check("MPI_Allreduce", (int) ALLREDUCE.invokeExact(IN_PLACE, buffer, count, type, op, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void broadcast(MemorySegment buffer, int count, MemorySegment type, int root) {
        try {
            check("MPI_Bcast", (int) BCAST.invokeExact(buffer, count, type, root, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void barrier() {
        try {
            check("MPI_Barrier", (int) BARRIER.invokeExact(COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Ends every rank of the job: MPI's way for one failed rank to stop the others instead of leaving them waiting. */
    static void abort(int code) {
        try {
            int ignored = (int) ABORT.invokeExact(COMM_WORLD, code);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void check(String call, int status) {
        if (status != 0) throw new IllegalStateException(call + " failed with MPI error code " + status);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
