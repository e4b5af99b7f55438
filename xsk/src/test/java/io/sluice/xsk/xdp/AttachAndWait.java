package io.sluice.xsk.xdp;

import io.sluice.xsk.testing.NetNs;

import java.util.ArrayList;
import java.util.List;

/**
 * A process that attaches the steering program and waits to be killed: what a crashed or signalled Sluice
 * leaves behind is checked against it. Arguments: namespace, then interfaces to attach to.
 */
public final class AttachAndWait
{
    public static final String READY = "ATTACHED";

    private AttachAndWait()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        NetNs.enter(args[0]);
        final List<SteeringProgram> programs = new ArrayList<>();
        for (int i = 1; i < args.length; i++)
        {
            programs.add(SteeringProgram.open().attach(args[i], XdpMode.NATIVE));
        }
        System.out.println(READY + " " + programs.size() + " " + programs.get(0).attachment());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
