package org.grpo4j.opencl;

import java.util.List;
import org.grpo4j.cli.Args;
import org.grpo4j.cli.Command;

/** {@code grpo devices}: the OpenCL platforms and devices this machine offers, the numbers {@code --device opencl:N} takes. */
public final class DevicesCommand implements Command {
    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String summary() {
        return "list the OpenCL devices (GPUs, and CPUs through PoCL) the opencl backend can use";
    }

    @Override
    public int run(Args args) {
        args.rejectUnknown();
        String why = Cl.unavailableReason();
        if (why != null) {
            System.out.println(why + "; the cpu backend runs instead.");
            return 0;
        }
        List<ClDevice> devices = OpenCl.devices();
        if (devices.isEmpty()) {
            System.out.println("no OpenCL device: " + Cl.LIBRARY + " is installed but no driver is registered in /etc/OpenCL/vendors"
                    + " (apt-get install pocl-opencl-icd, or a GPU driver); the cpu backend runs instead.");
            return 0;
        }
        for (ClDevice d : devices) System.out.println(d.describe());
        return 0;
    }
}
