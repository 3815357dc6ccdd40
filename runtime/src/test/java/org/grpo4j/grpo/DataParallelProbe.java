package org.grpo4j.grpo;

import java.nio.file.Path;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.distributed.Job;
import org.grpo4j.model.Transformer;

/**
 * One rank of the data-parallel test: GRPO on {@link GrpoTrainerTest}'s tiny model with {@code per_device_train_batch_size}
 * = args[1] for args[2] steps into args[0] (optionally resuming from args[3]), as one process or under mpirun.
 */
public final class DataParallelProbe {
    public static void main(String[] args) {
        Communicator comm = Communicator.fromEnvironment();
        System.exit(Job.run(comm, () -> {
            main0(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), args.length > 3 ? Path.of(args[3]) : null);
            return 0;
        }));
    }

    static void main0(Path out, int perDeviceBatch, int steps) throws Exception {
        main0(out, perDeviceBatch, steps, null);
    }

    static void main0(Path out, int perDeviceBatch, int steps, Path resume) throws Exception {
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        var c = GrpoTrainerTest.settings(out).set("per_device_train_batch_size", perDeviceBatch).set("max_steps", steps)
                .set("learning_rate", 1e-3).set("logging_steps", 1);
        if (resume != null) c.set("resume_from_checkpoint", resume.toString());
        new GrpoTrainer(m, c.build(), new GrpoTask(GrpoTrainerTest.prompts(16, 1), List.of(), List.of(GrpoTrainerTest.CONTAINS), ids -> "", new int[0], null),
                null, null).train();
    }
}
