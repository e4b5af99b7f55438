package io.sluice.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A thread's CPU time split into user and system, from {@code /proc/self/task/TID/stat} (fields 14 and 15, in clock
 * ticks): how much of a data-path core goes to Sluice's own code and how much to the kernel's side of AF_XDP.
 */
final class TaskTicks
{
    /**
     * Clock ticks per second: {@code USER_HZ}, 100 on every Linux ABI.
     */
    static final long TICKS_PER_SECOND = 100;

    private TaskTicks()
    {
    }

    /**
     * @param tid kernel task id of a thread of this process, or 0 for the whole process.
     * @return {user ticks, system ticks}, or zeros if unreadable.
     */
    static long[] read(final int tid)
    {
        try
        {
            final String stat = Files.readString(Path.of(0 == tid ? "/proc/self/stat" : "/proc/self/task/" + tid + "/stat"));
            // the command name, field 2, is in parentheses and may hold spaces: count fields after its ')'
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[]{Long.parseLong(fields[11]), Long.parseLong(fields[12])};
        }
        catch (final IOException | RuntimeException ex)
        {
            return new long[2];
        }
    }

    /**
     * @param ticks     clock ticks used.
     * @param elapsedNs wall time.
     * @return percent of one core.
     */
    static double percent(final long ticks, final long elapsedNs)
    {
        return elapsedNs <= 0 ? 0 : ticks * 1e9 / TICKS_PER_SECOND / elapsedNs * 100;
    }
}
