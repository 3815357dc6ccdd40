package org.grpo4j.backend.cpu;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs each test of a class on a pool of two threads, whatever the machine has, and gives the pool its old width
 * back after it ({@code @ExtendWith(TwoThreads.class)}): the paths that split work over threads (sequence parts,
 * slabs) are taken on a one-core runner too.
 */
public final class TwoThreads implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace SAVED = ExtensionContext.Namespace.create(TwoThreads.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(SAVED).put("threads", Parallel.threads());
        Parallel.setThreads(2);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Parallel.setThreads(context.getStore(SAVED).get("threads", Integer.class));
    }
}
