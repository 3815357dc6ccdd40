package org.grpo4j.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.grpo4j.lora.LoraAdapters;
import org.grpo4j.lora.PeftAdapter;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.safetensors.DType;

/**
 * Checkpoints in Hugging Face layout — {@code output_dir/checkpoint-STEP/} with {@code config.json},
 * {@code model.safetensors} and the tokenizer files (loadable as a model folder; a LoRA run writes a PEFT adapter
 * folder instead, {@code adapter_config.json} and {@code adapter_model.safetensors}), plus {@code optimizer.safetensors},
 * {@code trainer_state.json} and whatever else the trainer adds (the frozen {@code reference/}). Everything is written
 * into a temporary folder, forced to the disk, and renamed into place, so a kill at any moment leaves the previous
 * checkpoint intact; rotation renames a checkpoint away before deleting it, so a kill never leaves half a
 * {@code checkpoint-N}.
 *
 * <p>A run owns its output folder: {@link #openRun} takes an operating-system lock on {@code output_dir/.grpo4j.lock}
 * for as long as the run lasts (a second run into the same folder is refused, even after a {@code kill -9} of the
 * first the lock is gone with its process), and refuses a fresh run into a folder holding an older run's
 * checkpoints unless told {@code overwrite_output_dir} or {@code resume_from_checkpoint}.
 */
public final class Checkpoints {
    /** Tokenizer files copied from the model folder into every checkpoint. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "generation_config.json", "chat_template.jinja");

    static final String LOCK_FILE = ".grpo4j.lock";

    /** Writes what a trainer adds to a checkpoint (into the temporary folder, before the rename). */
    public interface Extra {
        void writeTo(Path checkpointDir) throws IOException;
    }

    private Checkpoints() {}

    public static Path save(Path outputDir, Transformer model, AdamW optimizer, TrainerState state, Path tokenizerDir, int keep) throws IOException {
        return save(outputDir, model, optimizer, state, tokenizerDir, keep, dir -> {});
    }

    public static Path save(Path outputDir, Transformer model, AdamW optimizer, TrainerState state, Path tokenizerDir, int keep, Extra extra)
            throws IOException {
        return apartFromInterrupts(() -> write(outputDir, model, optimizer, state, tokenizerDir, keep, extra));
    }

    private interface IoWork<T> {
        T run() throws IOException;
    }

    /**
     * Runs file work on a thread of its own and waits for it whatever happens: a run stopped by interrupts (Ctrl-C in
     * a script, JShell's stop, which repeats them) still saves, where a file channel of the interrupted thread would
     * close half-way through the checkpoint.
     */
    @SuppressWarnings("unchecked")
    private static <T> T apartFromInterrupts(IoWork<T> work) throws IOException {
        Object[] result = new Object[1];
        Throwable[] error = new Throwable[1];
        // in the root thread group: JShell's stop interrupts every thread of the snippet's group, new ones included
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) root = root.getParent();
        Thread t = Thread.ofPlatform().group(root).name("grpo-checkpoint").start(() -> {
            try {
                result[0] = work.run();
            } catch (Throwable e) {
                error[0] = e;
            }
        });
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        switch (error[0]) {
            case null -> {}
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IOException(error[0]);
        }
        return (T) result[0];
    }

    private static Path write(Path outputDir, Transformer model, AdamW optimizer, TrainerState state, Path tokenizerDir, int keep, Extra extra)
            throws IOException {
        Files.createDirectories(outputDir);
        Path done = outputDir.resolve("checkpoint-" + state.globalStep());
        Path tmp = outputDir.resolve(".checkpoint-" + state.globalStep() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        // a LoRA run's checkpoint is a PEFT adapter folder (PeftModel.from_pretrained loads it on the base)
        if (model.lora() != null) PeftAdapter.save(model.lora(), tmp, "");
        else model.save(tmp);
        if (tokenizerDir != null)
            for (String f : TOKENIZER_FILES) {
                Path src = tokenizerDir.resolve(f);
                if (Files.exists(src)) Files.copy(src, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        if (optimizer != null) optimizer.save(tmp.resolve("optimizer.safetensors"));
        extra.writeTo(tmp);
        state.save(tmp.resolve("trainer_state.json"));
        forceTree(tmp);
        if (Files.exists(done)) {
            Path old = outputDir.resolve(".checkpoint-" + state.globalStep() + ".old");
            deleteTree(old);
            Files.move(done, old);
            move(tmp, done);
            deleteTree(old);
        } else {
            move(tmp, done);
        }
        force(outputDir);
        if (keep > 0) rotate(outputDir, keep, done);
        return done;
    }

    /**
     * TRL's {@code save_model} at the end of a run: the final checkpoint's model folder files ({@code config.json},
     * {@code model.safetensors}, tokenizer files) and {@code trainer_state.json} at the root of {@code outputDir},
     * hard-linked where the file system allows (no second copy of the weights), each put in place by a rename.
     */
    public static void saveFinalModel(Path checkpoint, Path outputDir) throws IOException {
        apartFromInterrupts(() -> {
            linkFinalModel(checkpoint, outputDir);
            return null;
        });
    }

    private static void linkFinalModel(Path checkpoint, Path outputDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(checkpoint)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("optimizer.safetensors")).sorted().toList();
        }
        for (Path f : files) {
            Path tmp = outputDir.resolve("." + f.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createLink(tmp, f);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(f, tmp);
                force(tmp);
            }
            move(tmp, outputDir.resolve(f.getFileName()));
        }
        force(outputDir);
    }

    /** Forces every file and folder under {@code dir} (and {@code dir}) to the disk. */
    static void forceTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) force(p);
        }
    }

    private static void force(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (!Files.isDirectory(p)) throw e; // some file systems cannot open a folder for reading: its files are forced
        }
    }

    /** The lock a run holds on its output folder; {@link #close} releases it. */
    public static final class RunLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private RunLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Takes {@code outputDir} for a run: locks it against a second run, cleans what an interrupted save or rotation
     * left ({@code .checkpoint-N.tmp}, {@code .old}, {@code .deleting}), and, for a fresh run ({@code resuming}
     * false), refuses a folder that holds an older run's checkpoints unless {@code overwrite} — then those
     * checkpoints and the old metrics are removed, so rotation and the logs only ever see this run's.
     */
    public static RunLock openRun(Path outputDir, boolean resuming, boolean overwrite, java.io.PrintStream console) throws IOException {
        Files.createDirectories(outputDir);
        Path lockFile = outputDir.resolve(LOCK_FILE);
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = new String(Files.readAllBytes(lockFile), java.nio.charset.StandardCharsets.UTF_8).strip();
            ch.close();
            throw new IllegalStateException("output_dir " + outputDir + " is in use by another training run" + (holder.isEmpty() ? "" : " (" + holder + ")")
                    + "; wait for it to end, or give this run another output_dir");
        }
        try {
            String me = "pid " + ProcessHandle.current().pid() + ", started " + java.time.Instant.now();
            ch.truncate(0).write(java.nio.ByteBuffer.wrap(me.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0);
            cleanLeftovers(outputDir, console);
            List<Path> old = list(outputDir);
            if (!resuming && !old.isEmpty()) {
                if (!overwrite)
                    throw new IllegalStateException("output_dir " + outputDir + " already holds checkpoints of an earlier run (" + names(old)
                            + "); set resume_from_checkpoint = true to continue that run, overwrite_output_dir = true to replace it, or give this run another output_dir");
                for (Path p : old) deleteCheckpoint(p);
                for (String f : List.of("metrics.jsonl", "completions.jsonl", "trainer_state.json")) Files.deleteIfExists(outputDir.resolve(f));
                if (console != null) console.println("overwrite_output_dir: removed the earlier run's " + names(old) + " and its metrics from " + outputDir);
            }
            return new RunLock(ch, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    private static String names(List<Path> checkpoints) {
        List<String> n = checkpoints.stream().map(p -> p.getFileName().toString()).toList();
        return n.size() <= 3 ? String.join(", ", n) : n.getFirst() + " … " + n.getLast() + ", " + n.size() + " in all";
    }

    /** Folders an interrupted save ({@code .tmp}, {@code .old}) or rotation ({@code .deleting}) left behind. */
    static void cleanLeftovers(Path outputDir, java.io.PrintStream console) throws IOException {
        List<Path> left;
        try (Stream<Path> s = Files.list(outputDir)) {
            left = s.filter(p -> p.getFileName().toString().matches("\\.checkpoint-\\d+\\.(tmp|old|deleting)")).sorted().toList();
        }
        for (Path p : left) {
            String n = p.getFileName().toString();
            Path done = outputDir.resolve(n.substring(1, n.lastIndexOf('.')));
            if (n.endsWith(".old") && !Files.exists(done)) {
                move(p, done); // the kill came between moving the old copy aside and renaming the new one in: keep the old
                if (console != null) console.println("restored " + done + " (a save was interrupted while replacing it)");
                continue;
            }
            deleteTree(p);
            if (console != null) console.println("removed " + p + " (left by an interrupted " + (n.endsWith(".deleting") ? "rotation" : "save") + ")");
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Loads a checkpoint's weights into {@code model} and its moments into {@code optimizer}; returns where the run stood. */
    public static TrainerState restore(Path checkpoint, Transformer model, AdamW optimizer) throws IOException {
        if (model.lora() != null) {
            LoraAdapters saved = PeftAdapter.load(checkpoint, model.config(), model.backend());
            if (!saved.config().equals(model.lora().config()))
                throw new IOException(checkpoint + ": the adapters (" + saved.config() + ") differ from the run's LoRA settings (" + model.lora().config() + ")");
            model.backend().copy(model.lora().params(), saved.params());
        } else {
            try (org.grpo4j.safetensors.SafetensorsModel w = org.grpo4j.safetensors.SafetensorsModel.open(checkpoint)) {
                model.loadWeights(w);
            }
        }
        optimizer.load(checkpoint.resolve("optimizer.safetensors"));
        return TrainerState.load(checkpoint.resolve("trainer_state.json"));
    }

    /** Completed checkpoints of a run, oldest first. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.exists(p.resolve("trainer_state.json")))
                    .sorted(Comparator.comparingInt(Checkpoints::stepOf)).toList();
        }
    }

    /** The newest checkpoint of a run, or null. */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    static int stepOf(Path p) {
        return Integer.parseInt(p.getFileName().toString().substring("checkpoint-".length()));
    }

    /**
     * Keeps the {@code keep} newest checkpoints up to {@code current} (the one just saved, never deleted); a
     * checkpoint numbered above it is not this run's and is left alone.
     */
    private static void rotate(Path outputDir, int keep, Path current) throws IOException {
        int step = stepOf(current);
        List<Path> mine = list(outputDir).stream().filter(p -> stepOf(p) <= step).toList();
        for (int i = 0; i < mine.size() - keep; i++) if (!mine.get(i).equals(current)) deleteCheckpoint(mine.get(i));
    }

    /** Renames the checkpoint away first, so a kill while deleting leaves no half checkpoint under its name. */
    private static void deleteCheckpoint(Path checkpoint) throws IOException {
        Path away = checkpoint.resolveSibling("." + checkpoint.getFileName() + ".deleting");
        deleteTree(away);
        move(checkpoint, away);
        deleteTree(away);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /** Resolves TRL's {@code resume_from_checkpoint}: a folder, or {@code true} for the latest one in the output folder. */
    public static Path resolveResume(Object setting, Path outputDir) throws IOException {
        if (setting == null || Boolean.FALSE.equals(setting) || "false".equals(setting)) return null;
        if (Boolean.TRUE.equals(setting) || "true".equals(setting)) {
            Path p = latest(outputDir);
            if (p == null) throw new IOException("resume_from_checkpoint = true, but " + outputDir + " has no checkpoint");
            return p;
        }
        Path p = Path.of(setting.toString());
        if (!Files.exists(p.resolve("trainer_state.json")))
            throw new IOException("resume_from_checkpoint: " + p + " is not a checkpoint (no trainer_state.json)");
        return p;
    }
}
