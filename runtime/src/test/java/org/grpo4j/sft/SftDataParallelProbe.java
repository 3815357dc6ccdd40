package org.grpo4j.sft;

import java.nio.file.Path;
import org.grpo4j.backend.cpu.CpuBackend;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.distributed.Job;
import org.grpo4j.model.Transformer;

/** One rank of the SFT data-parallel test: args = output folder, gradient_accumulation_steps, steps. */
public final class SftDataParallelProbe {
    public static void main(String[] args) {
        System.exit(Job.run(Communicator.fromEnvironment(), () -> {
            main0(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return 0;
        }));
    }

    static void main0(Path out, int accumulation, int steps) throws Exception {
        Transformer m = Transformer.create(SftTrainerTest.config(), new CpuBackend()).initialise(5, 0.02);
        SftConfig c = SftConfig.builder().set("learning_rate", 3e-3).set("per_device_train_batch_size", 8).set("gradient_accumulation_steps", accumulation)
                .set("max_steps", steps).set("logging_steps", 1).set("save_steps", 1000).set("output_dir", out.toString()).set("seed", 3).build();
        new SftTrainer(m, c, SftTrainerTest.data(200, 1), null, null, null, null).train();
    }
}
