package org.grpo4j.grpo;

import java.nio.file.Path;
import java.util.List;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.distributed.Job;
import org.grpo4j.model.Transformer;

/**
 * One rank of the data-parallel test: GRPO on {@link GrpoTrainerTest}'s tiny model with {@code per_device_train_batch_size}
 * = args[1] for args[2] steps into args[0] (optionally resuming from args[3], or with args[3] = adv_estimator=NAME), as one
 * process or under mpirun.
 */
public final class DataParallelProbe {
    public static void main(String[] args) {
        Communicator comm = Communicator.fromEnvironment();
        System.exit(Job.run(comm, () -> {
            if (args.length > 3 && args[3].startsWith(ESTIMATOR)) main0(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), null,
                    args[3].substring(ESTIMATOR.length()));
            else main0(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), args.length > 3 ? Path.of(args[3]) : null);
            return 0;
        }));
    }

    static void main0(Path out, int perDeviceBatch, int steps) throws Exception {
        main0(out, perDeviceBatch, steps, null);
    }

    /** args[3] of this form picks the advantage estimator instead of a checkpoint to resume from. */
    static final String ESTIMATOR = "adv_estimator=", KL = "+kl";

    static void main0(Path out, int perDeviceBatch, int steps, Path resume) throws Exception {
        main0(out, perDeviceBatch, steps, resume, "grpo");
    }

    static void main0(Path out, int perDeviceBatch, int steps, Path resume, String estimator) throws Exception {
        Transformer m = Transformer.create(GrpoTrainerTest.config(), new CpuBackend()).initialise(11, 0.02);
        var c = GrpoTrainerTest.settings(out).set("per_device_train_batch_size", perDeviceBatch).set("max_steps", steps)
                .set("learning_rate", 1e-3).set("logging_steps", 1).set("adv_estimator", estimator.replace(KL, ""));
        // NAME+kl: the adaptive KL penalty in the reward, and γ < 1, so the token-level path runs (its sums and whitening are the whole batch's)
        if (estimator.endsWith(KL)) c.set("use_kl_in_reward", true).set("kl_ctrl", "adaptive").set("kl_coef", 0.05).set("kl_horizon", 32).set("gamma", 0.9);
        if (resume != null) c.set("resume_from_checkpoint", resume.toString());
        new GrpoTrainer(m, c.build(), new GrpoTask(GrpoTrainerTest.prompts(16, 1), List.of(), List.of(GrpoTrainerTest.CONTAINS), ids -> "", new int[0], null),
                null, null).train();
    }
}
