package org.grpo4j.distributed;

import java.util.concurrent.Callable;

/**
 * Runs one rank's work so that the job ends together: a rank that finishes normally finalizes MPI; a rank that
 * fails says which rank and why, then aborts the whole job — the other ranks would otherwise wait in their next
 * collective forever.
 */
public final class Job {
    private Job() {}

    /** Runs {@code work} on this rank and returns its exit status; on failure the job is aborted and this never returns. */
    public static int run(Communicator comm, Callable<Integer> work) {
        int status;
        try {
            status = work.call();
        } catch (Throwable t) {
            String m = t.getMessage() == null || t.getMessage().isBlank() ? t.toString() : t.getMessage();
            System.err.println("grpo: rank " + comm.rank() + " of " + comm.size() + " failed: " + m + "; stopping every rank");
            if (System.getenv("GRPO_DEBUG") != null) t.printStackTrace();
            comm.abort(1);
            return 1;
        }
        if (status != 0 && comm.size() > 1) {
            System.err.println("grpo: rank " + comm.rank() + " of " + comm.size() + " exited with status " + status + "; stopping every rank");
            comm.abort(status);
        }
        comm.close();
        return status;
    }
}
