package org.grpo4j.repl;

import java.util.Map;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.execution.LocalExecutionControlProvider;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionEnv;

/**
 * JShell's {@code "local"} execution engine with an explicit parent class loader. Plain {@code "local"} parents
 * snippet classes on the system class loader, which is not the loader of the host's classes under test runners
 * or embedding applications; with the host's loader as parent, a snippet's {@code RewardFunction} is the host's.
 */
final class HostLoaderEngine extends LocalExecutionControlProvider {
    private final ClassLoader parent;

    HostLoaderEngine(ClassLoader parent) {
        this.parent = parent;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public ExecutionControl createExecutionControl(ExecutionEnv env, Map<String, String> parameters) {
        return new LocalExecutionControl(parent);
    }
}
