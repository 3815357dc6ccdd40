package org.grpo4j.repl;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.execution.LocalExecutionControlProvider;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionEnv;
import org.grpo4j.reward.StopCheck;

/**
 * JShell's {@code "local"} execution engine with an explicit parent class loader. Plain {@code "local"} parents
 * snippet classes on the system class loader, which is not the loader of the host's classes under test runners
 * or embedding applications; with the host's loader as parent, a snippet's {@code RewardFunction} is the host's.
 *
 * <p>Snippet classes also get a {@link StopCheck#check} call at every method start and before every backward branch,
 * so a reward written in the REPL or a script that runs past {@code reward_timeout_seconds} can be stopped on its own
 * thread (JShell's own checks stop every snippet at once, the training with it).
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
        return new LocalExecutionControl(parent) {
            @Override
            public void load(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException, EngineTerminationException {
                super.load(Stream.of(cbcs).map(c -> new ClassBytecodes(c.name(), withStopChecks(c.bytecodes()))).toArray(ClassBytecodes[]::new));
            }
        };
    }

    private static final ClassDesc STOP_CHECK = ClassDesc.of(StopCheck.class.getName());

    static byte[] withStopChecks(byte[] classFile) {
        ClassFile cf = ClassFile.of();
        return cf.transformClass(cf.parse(classFile), ClassTransform.transformingMethodBodies(CodeTransform.ofStateful(StopCheckWeaver::new)));
    }

    /** Inserts the check at the start of a method and before each branch back to a label already passed (a loop). */
    private static final class StopCheckWeaver implements CodeTransform {
        private final Set<Label> passed = new HashSet<>();

        @Override
        public void atStart(CodeBuilder b) {
            b.invokestatic(STOP_CHECK, "check", ConstantDescs.MTD_void);
        }

        @Override
        public void accept(CodeBuilder b, CodeElement e) {
            switch (e) {
                case LabelTarget t -> passed.add(t.label());
                case BranchInstruction br when passed.contains(br.target()) -> b.invokestatic(STOP_CHECK, "check", ConstantDescs.MTD_void);
                default -> { }
            }
            b.with(e);
        }
    }
}
