package org.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a run stands, saved in every checkpoint as {@code trainer_state.json}: the optimiser step, the epoch and
 * the position in its shuffled order, the seed every random stream derives from, and tokens seen. Randomness in
 * grpo4j is a pure function of (seed, step, index), so this is the whole RNG state: resuming reproduces the
 * uninterrupted run.
 *
 * <p>The file is laid out as transformers' {@code TrainerState} writes it — {@code global_step}, {@code epoch} as a
 * fraction of epochs, {@code max_steps}, {@code logging_steps}, {@code save_steps}, {@code train_batch_size},
 * {@code num_input_tokens_seen} and {@code log_history} (the logged metrics, one entry per logged step with its
 * {@code step} and {@code epoch}) — so tools that read TRL checkpoints read these; grpo4j's own fields
 * ({@code epoch_index}, {@code position}, {@code seed}) sit beside them.
 */
public record TrainerState(int globalStep, int epoch, int position, long seed, long tokensSeen, Progress progress) {

    /** What TRL's file carries beyond the resume position: the run's shape and its logged metrics so far. */
    public record Progress(double epochs, int maxSteps, int loggingSteps, int saveSteps, int trainBatchSize, List<Map<String, Double>> logHistory) {
        public static final Progress NONE = new Progress(0, 0, 0, 0, 0, List.of());
    }

    public TrainerState(int globalStep, int epoch, int position, long seed, long tokensSeen) {
        this(globalStep, epoch, position, seed, tokensSeen, Progress.NONE);
    }

    public static TrainerState start(long seed) {
        return new TrainerState(0, 0, 0, seed, 0);
    }

    public TrainerState with(Progress p) {
        return new TrainerState(globalStep, epoch, position, seed, tokensSeen, p);
    }

    public void save(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("global_step", globalStep);
        o.put("epoch", progress.epochs());
        o.put("max_steps", progress.maxSteps());
        o.put("logging_steps", progress.loggingSteps());
        o.put("save_steps", progress.saveSteps());
        o.put("train_batch_size", progress.trainBatchSize());
        o.put("num_input_tokens_seen", tokensSeen);
        o.putNull("best_metric");
        o.putNull("best_model_checkpoint");
        o.put("is_world_process_zero", true);
        ArrayNode h = o.putArray("log_history");
        for (Map<String, Double> row : progress.logHistory()) {
            ObjectNode r = h.addObject();
            row.forEach((k, v) -> {
                if (k.equals("step")) r.put(k, v.intValue());
                else if (v == null || !Double.isFinite(v)) r.putNull(k);
                else r.put(k, v);
            });
        }
        o.put("epoch_index", epoch);
        o.put("position", position);
        o.put("seed", seed);
        o.put("format", "grpo4j-trainer-state-2");
        Files.writeString(file, m.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    public static TrainerState load(Path file) throws IOException {
        JsonNode n = new ObjectMapper().readTree(file.toFile());
        for (String k : new String[] {"global_step", "position", "seed"})
            if (!n.hasNonNull(k)) throw new IOException(file + ": missing '" + k + "'");
        // format 1 kept the epoch index in "epoch"; format 2 keeps TRL's fractional epoch there
        JsonNode epochIndex = n.hasNonNull("epoch_index") ? n.get("epoch_index") : n.get("epoch");
        if (epochIndex == null || epochIndex.isNull()) throw new IOException(file + ": missing 'epoch_index'");
        List<Map<String, Double>> history = new java.util.ArrayList<>();
        for (JsonNode r : n.path("log_history")) {
            Map<String, Double> row = new java.util.LinkedHashMap<>();
            r.properties().forEach(e -> row.put(e.getKey(), e.getValue().isNull() ? Double.NaN : e.getValue().asDouble()));
            history.add(row);
        }
        Progress p = new Progress(n.path("epoch").asDouble(0), n.path("max_steps").asInt(0), n.path("logging_steps").asInt(0),
                n.path("save_steps").asInt(0), n.path("train_batch_size").asInt(0), List.copyOf(history));
        return new TrainerState(n.get("global_step").asInt(), epochIndex.asInt(), n.get("position").asInt(), n.get("seed").asLong(),
                n.path("num_input_tokens_seen").asLong(0), p);
    }
}
