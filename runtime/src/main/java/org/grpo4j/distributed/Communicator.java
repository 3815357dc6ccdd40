package org.grpo4j.distributed;

/**
 * The processes of one data-parallel job and the collective operations the trainers need. {@link #single()} is the
 * one-process case (every operation is the identity, so a trainer calls them unconditionally); {@link #fromEnvironment()}
 * joins the MPI job that {@code mpirun}/{@code srun} started, when there is one.
 *
 * <p>Sums are element-wise over ranks and leave the same result on every rank, so ranks that start from the same
 * weights and apply the same summed gradients stay identical without ever sending weights.
 */
public sealed interface Communicator extends AutoCloseable permits Communicator.Single, MpiCommunicator {

    /** This process's index in {@code [0, size())}; rank 0 alone writes files. */
    int rank();

    /** How many processes share the work. */
    int size();

    default boolean isRoot() {
        return rank() == 0;
    }

    /** Replaces {@code values[offset .. offset+count)} by its sum over all ranks. */
    void sumInPlace(float[] values, int offset, int count);

    /** Replaces every element of {@code values} by its sum over all ranks (statistics, counters). */
    void sumInPlace(double[] values);

    /** Replaces every element of {@code values} by its maximum over all ranks. */
    void maxInPlace(double[] values);

    /** Waits until every rank has arrived. */
    void barrier();

    /** Stops every rank of the job with {@code code}: one rank's failure must not leave the others waiting. */
    void abort(int code);

    @Override
    void close();

    default void sumInPlace(float[] values) {
        sumInPlace(values, 0, values.length);
    }

    /** The job this process belongs to: MPI's world when launched by an MPI launcher, else a job of one. */
    static Communicator fromEnvironment() {
        return Launch.underMpi() ? MpiCommunicator.world() : single();
    }

    static Communicator single() {
        return Single.INSTANCE;
    }

    /** A job of one process: the collectives change nothing. */
    enum Single implements Communicator {
        INSTANCE;

        @Override public int rank() { return 0; }
        @Override public int size() { return 1; }
        @Override public void sumInPlace(float[] values, int offset, int count) {}
        @Override public void sumInPlace(double[] values) {}
        @Override public void maxInPlace(double[] values) {}
        @Override public void barrier() {}
        @Override public void abort(int code) { System.exit(code); }
        @Override public void close() {}
    }
}
