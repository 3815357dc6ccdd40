package org.grpo4j.distributed;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code MPI_COMM_WORLD} as a {@link Communicator}. Gradients live in Java arrays, which MPI cannot read, so every
 * reduction goes through one native staging buffer of {@link #CHUNK} floats: the extra memory is fixed (16 MiB)
 * whatever the model's size, and the copies cost far less than the transfer they feed.
 *
 * <p>Collectives are called from one thread per rank (the trainer's), in the same order on every rank.
 */
public final class MpiCommunicator implements Communicator {
    static final int CHUNK = 4 << 20;

    private static MpiCommunicator world;

    private final int rank, size;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging = arena.allocate((long) CHUNK * Float.BYTES, 64);
    private boolean closed;

    private MpiCommunicator() {
        Mpi.require();
        Mpi.init();
        rank = Mpi.rank();
        size = Mpi.size();
    }

    /** Joins the MPI job (once per process; later calls return the same communicator). */
    public static synchronized MpiCommunicator world() {
        if (world == null) world = new MpiCommunicator();
        return world;
    }

    /** Whether this machine has Open MPI's library, i.e. whether {@link #world()} can work here. */
    public static boolean libraryAvailable() {
        return Mpi.available();
    }

    @Override public int rank() { return rank; }

    @Override public int size() { return size; }

    @Override
    public synchronized void sumInPlace(float[] values, int offset, int count) {
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            MemorySegment.copy(values, offset + done, staging, JAVA_FLOAT, 0, n);
            Mpi.allReduceInPlace(staging, n, Mpi.FLOAT, Mpi.SUM);
            MemorySegment.copy(staging, JAVA_FLOAT, 0, values, offset + done, n);
        }
    }

    @Override
    public synchronized void sumInPlace(double[] values) {
        reduceDoubles(values, Mpi.SUM);
    }

    @Override
    public synchronized void maxInPlace(double[] values) {
        reduceDoubles(values, Mpi.MAX);
    }

    private void reduceDoubles(double[] values, MemorySegment op) {
        int per = CHUNK / 2;
        for (int done = 0; done < values.length; done += per) {
            int n = Math.min(per, values.length - done);
            MemorySegment.copy(values, done, staging, JAVA_DOUBLE, 0, n);
            Mpi.allReduceInPlace(staging, n, Mpi.DOUBLE, op);
            MemorySegment.copy(staging, JAVA_DOUBLE, 0, values, done, n);
        }
    }

    @Override
    public void barrier() {
        Mpi.barrier();
    }

    @Override
    public void abort(int code) {
        System.err.flush();
        Mpi.abort(code);
    }

    /** Finalizes MPI: call once, when this rank finished its work normally. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Mpi.finalizeMpi();
        arena.close();
    }
}
