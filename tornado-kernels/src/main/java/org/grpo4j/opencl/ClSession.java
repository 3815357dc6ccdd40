package org.grpo4j.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One device in use: its context, an in-order queue and the program cache. Kernel sources are the
 * {@code kernels/*.cl} resources of this module; each (file, defines) pair is compiled once per session, the
 * first time one of its kernels is asked for, and every {@link Kernel} object is made once and reused.
 *
 * <p>Defines carry only sizes that truly are compile-time (tile and work-group sizes); model hyperparameters
 * such as {@code rope_theta} or head counts are kernel arguments, so one build serves every model.
 * Not thread-safe: one thread drives a session.
 */
public final class ClSession implements AutoCloseable {
    private final ClDevice device;
    private final Context context;
    private final CommandQueue queue;
    private final Map<String, Program> programs = new HashMap<>();
    private final Map<String, Kernel> kernels = new HashMap<>();
    /** Buffers allocated here and not yet released: released, at the latest, when the session closes. */
    private final Set<Buffer.Release> live = ConcurrentHashMap.newKeySet();
    private boolean closed;

    public ClSession(ClDevice device) {
        this.device = device;
        this.context = Context.create(device);
        CommandQueue q;
        try {
            q = CommandQueue.create(context);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
        this.queue = q;
    }

    /** A session on the device {@code opencl:index} of {@link OpenCl#devices()}. */
    public static ClSession open(int index) {
        List<ClDevice> all = OpenCl.devices();
        if (all.isEmpty()) throw new OpenClException("no OpenCL device: the OpenCL loader found no driver (install pocl-opencl-icd or a GPU driver)");
        if (index < 0 || index >= all.size())
            throw new OpenClException("no OpenCL device opencl:" + index + "; there are " + all.size() + " (run ./grpo devices)");
        return new ClSession(all.get(index));
    }

    public ClDevice device() {
        return device;
    }

    public Context context() {
        return context;
    }

    public CommandQueue queue() {
        return queue;
    }

    /**
     * A new buffer of {@code floats} 4-byte elements (contents undefined). It is released by {@link Buffer#close()},
     * when it becomes unreachable, or when the session closes, whichever comes first.
     */
    public Buffer allocate(long floats) {
        return Buffer.allocate(context, Math.max(1, floats) * 4, live);
    }

    /** Buffers of this session not yet released (tests check that nothing leaks). */
    public int liveBuffers() {
        return live.size();
    }

    /**
     * The kernel {@code name} of the resource {@code kernels/<file>} compiled with {@code defines}
     * ({@code "-DTS=16 -DWPT=4"}, may be empty).
     */
    public Kernel kernel(String file, String name, String defines) {
        String key = file + '\u0000' + defines + '\u0000' + name;
        Kernel k = kernels.get(key);
        if (k != null) return k;
        String programKey = file + '\u0000' + defines;
        Program p = programs.get(programKey);
        if (p == null) {
            // the shared helpers go first; #line keeps the compiler's line numbers those of the file itself
            String text = file.equals("common.cl") ? source(file) : source("common.cl") + "\n#line 1\n" + source(file);
            p = Program.build(context, file, text, "-cl-std=CL1.2 " + defines);
            programs.put(programKey, p);
        }
        k = Kernel.create(p, name);
        kernels.put(key, k);
        return k;
    }

    /** The text of {@code kernels/<file>}, a resource of this module. */
    public static String source(String file) {
        String path = "/kernels/" + file;
        try (InputStream in = ClSession.class.getResourceAsStream(path)) {
            if (in == null) throw new OpenClException("kernel source " + path + " is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OpenClException("cannot read kernel source " + path + ": " + e.getMessage(), 0, e);
        }
    }

    public void finish() {
        queue.finish();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        try {
            queue.close();
        } catch (RuntimeException e) {
            first = e;
        }
        List<AutoCloseable> all = new ArrayList<>(kernels.values());
        all.addAll(programs.values());
        for (Buffer.Release r : List.copyOf(live)) all.add(r::run);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new OpenClException(e.toString(), 0, e);
            }
        }
        kernels.clear();
        programs.clear();
        try {
            context.close();
        } catch (RuntimeException e) {
            if (first == null) first = e;
        }
        if (first != null) throw first;
    }
}
