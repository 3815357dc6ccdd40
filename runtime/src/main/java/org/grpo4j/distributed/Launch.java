package org.grpo4j.distributed;

import java.util.Map;

/**
 * What the launcher told this process through its environment: whether it is one rank of an MPI job, and how many
 * ranks share this machine (so each rank takes its share of the cores instead of every rank using all of them).
 */
public final class Launch {
    private Launch() {}

    /** Set by Open MPI's {@code mpirun} (OMPI_*), by PMIx launchers such as Slurm's {@code srun} (PMIX_*), and by Hydra (PMI_*). */
    private static final String[] SIZE_VARIABLES = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    private static final String[] LOCAL_SIZE_VARIABLES = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"};

    public static boolean underMpi() {
        return underMpi(System.getenv());
    }

    static boolean underMpi(Map<String, String> env) {
        for (String v : SIZE_VARIABLES) if (env.get(v) != null) return true;
        return env.get("PMIX_RANK") != null;
    }

    /** Ranks on this machine (1 outside MPI). */
    public static int localRanks(Map<String, String> env) {
        for (String v : LOCAL_SIZE_VARIABLES) {
            String s = env.get(v);
            if (s != null && s.matches("\\d+") && Integer.parseInt(s) > 0) return Integer.parseInt(s);
        }
        return 1;
    }

    /** This rank's index among the ranks on this machine (0 outside MPI). */
    public static int localRank(Map<String, String> env) {
        for (String v : new String[] {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
            String s = env.get(v);
            if (s != null && s.matches("\\d+")) return Integer.parseInt(s);
        }
        return 0;
    }

    /**
     * Kernel threads for this rank: the machine's processors shared evenly among the ranks on it (at least one), so
     * the default never oversubscribes the cores.
     */
    public static int threadsPerRank(int processors, Map<String, String> env) {
        return Math.max(1, processors / localRanks(env));
    }
}
