package io.sluice.perf;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A thread's CPU time split into user and system, from {@code /proc/self/task/TID/stat} (fields 14 and 15, in clock
 * ticks): how much of a data-path core goes to Sluice's own code and how much to the kernel's side of AF_XDP. Also
 * the CPU time of a JVM's JIT compiler threads, by which the latency scenario tells that a JVM, its own or a Java
 * system's, has done compiling what a probe runs.
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
            return ticks(Files.readString(Path.of(0 == tid ? "/proc/self/stat" : "/proc/self/task/" + tid + "/stat")));
        }
        catch (final IOException | RuntimeException ex)
        {
            return new long[2];
        }
    }

    /**
     * @param pid a process, or -1 for none.
     * @return user and system ticks, summed, of its JIT compiler threads ({@code C1 CompilerThre},
     * {@code C2 CompilerThre}) so far; 0 for none, or if it is gone.
     */
    static long compilerTicks(final long pid)
    {
        if (pid < 0)
        {
            return 0;
        }
        long total = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    final String stat = Files.readString(task.resolve("stat"));
                    final String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre"))
                    {
                        final long[] ticks = ticks(stat);
                        total += ticks[0] + ticks[1];
                    }
                }
                catch (final IOException | RuntimeException ex)
                {
                    // that thread ended between the listing and the read
                }
            }
        }
        catch (final IOException ex)
        {
            return 0;
        }

        return total;
    }

    /**
     * @param stat a {@code stat} file's text.
     * @return {user ticks, system ticks}.
     */
    private static long[] ticks(final String stat)
    {
        // the command name, field 2, is in parentheses and may hold spaces: count fields after its ')'
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");

        return new long[]{Long.parseLong(fields[11]), Long.parseLong(fields[12])};
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
