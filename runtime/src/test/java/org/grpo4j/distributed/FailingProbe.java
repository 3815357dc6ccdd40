package org.grpo4j.distributed;

/** Rank 1 fails before the collective that rank 0 waits in; the job must end, not hang. */
public final class FailingProbe {
    public static void main(String[] args) {
        Communicator c = Communicator.fromEnvironment();
        Job.run(c, () -> {
            if (c.rank() == 1) throw new IllegalStateException("rank 1 failed on purpose");
            c.sumInPlace(new float[16]);
            return 0;
        });
    }
}
