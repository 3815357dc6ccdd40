package org.grpo4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommunicatorTest {

    @Test
    void twoRanksSumAndMaxAcrossTheStagingChunks(@TempDir Path dir) throws Exception {
        MpiJob.runOk(2, CollectivesProbe.class, dir.toString());
        assertEquals("rank 0 of 2: float mismatches 0, double sum 1.0 3.0, max 1.0", Files.readString(dir.resolve("rank-0.txt")));
        assertEquals("rank 1 of 2: float mismatches 0, double sum 1.0 3.0, max 1.0", Files.readString(dir.resolve("rank-1.txt")));
    }

    @Test
    void aRankThatFailsStopsTheJobInsteadOfLeavingTheOtherWaiting() throws Exception {
        MpiJob.Result r = MpiJob.run(2, FailingProbe.class, 60);
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("rank 1 failed on purpose"), r.output());
    }

    @Test
    void outsideMpiTheJobIsOneProcess() {
        assertFalse(Launch.underMpi(Map.of()));
        Communicator c = Communicator.single();
        float[] f = {1, 2};
        c.sumInPlace(f);
        assertEquals(2f, f[1]);
        assertEquals(0, c.rank());
        assertEquals(1, c.size());
    }

    @Test
    void launchersAreRecognisedAndCoresShared() {
        assertTrue(Launch.underMpi(Map.of("OMPI_COMM_WORLD_SIZE", "2")));
        assertTrue(Launch.underMpi(Map.of("PMIX_RANK", "0")));
        assertEquals(1, Launch.threadsPerRank(2, Map.of("OMPI_COMM_WORLD_LOCAL_SIZE", "2")));
        assertEquals(8, Launch.threadsPerRank(16, Map.of("OMPI_COMM_WORLD_LOCAL_SIZE", "2")));
        assertEquals(1, Launch.threadsPerRank(2, Map.of("OMPI_COMM_WORLD_LOCAL_SIZE", "4")));
        assertEquals(2, Launch.threadsPerRank(2, Map.of()));
        assertEquals(1, Launch.localRank(Map.of("OMPI_COMM_WORLD_LOCAL_RANK", "1")));
        assertEquals(0, Launch.localRank(Map.of()));
    }
}
