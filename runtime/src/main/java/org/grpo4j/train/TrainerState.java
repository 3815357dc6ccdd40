package org.grpo4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run stands, saved in every checkpoint as {@code trainer_state.json}: the optimiser step, the epoch and
 * the position in its shuffled order, the seed every random stream derives from, and tokens seen. Randomness in
 * grpo4j is a pure function of (seed, step, index), so this is the whole RNG state: resuming reproduces the
 * uninterrupted run.
 */
public record TrainerState(int globalStep, int epoch, int position, long seed, long tokensSeen) {

    public static TrainerState start(long seed) {
        return new TrainerState(0, 0, 0, seed, 0);
    }

    public void save(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("global_step", globalStep);
        o.put("epoch", epoch);
        o.put("position", position);
        o.put("seed", seed);
        o.put("num_input_tokens_seen", tokensSeen);
        o.put("format", "grpo4j-trainer-state-1");
        Files.writeString(file, m.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    public static TrainerState load(Path file) throws IOException {
        var n = new ObjectMapper().readTree(file.toFile());
        for (String k : new String[] {"global_step", "epoch", "position", "seed"})
            if (!n.hasNonNull(k)) throw new IOException(file + ": missing '" + k + "'");
        return new TrainerState(n.get("global_step").asInt(), n.get("epoch").asInt(), n.get("position").asInt(), n.get("seed").asLong(),
                n.path("num_input_tokens_seen").asLong(0));
    }
}
