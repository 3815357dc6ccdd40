package org.grpo4j.distributed;

/** One rank of the collectives test: sums arrays larger than the staging buffer and prints what it got. */
public final class CollectivesProbe {
    public static void main(String[] args) throws java.io.IOException {
        try (Communicator c = Communicator.fromEnvironment()) {
            int n = MpiCommunicator.CHUNK * 2 + 12345;
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = (c.rank() + 1) * (i % 7);
            c.sumInPlace(f);
            int bad = 0;
            float factor = c.size() * (c.size() + 1) / 2f;
            for (int i = 0; i < n; i++) if (f[i] != factor * (i % 7)) bad++;
            double[] d = {c.rank(), 1.5};
            c.sumInPlace(d);
            double[] m = {c.rank()};
            c.maxInPlace(m);
            c.barrier();
            // one file per rank: mpirun interleaves the ranks' standard output
            java.nio.file.Files.writeString(java.nio.file.Path.of(args[0], "rank-" + c.rank() + ".txt"), String.format(
                    "rank %d of %d: float mismatches %d, double sum %.1f %.1f, max %.1f", c.rank(), c.size(), bad, d[0], d[1], m[0]));
        }
    }
}
