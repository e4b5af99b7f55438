package io.sluice.pipeline;

import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.util.CpuAffinity;

/**
 * What every pipeline agent does on its thread's start.
 */
final class Agents
{
    private Agents()
    {
    }

    /**
     * Pin the calling thread, if asked.
     *
     * @param cpu CPU, or -1 to leave the thread where the scheduler puts it.
     * @return the thread's kernel task id, for {@code /proc/self/task/TID}.
     */
    static int pin(final int cpu)
    {
        if (cpu >= 0)
        {
            CpuAffinity.pinCurrentThread(cpu);
        }

        return LibC.gettid();
    }
}
