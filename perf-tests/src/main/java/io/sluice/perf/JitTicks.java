package io.sluice.perf;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a JVM's JIT compiler threads ({@code C1 CompilerThre}, {@code C2 CompilerThre}), from
 * {@code /proc/PID/task/TID/stat}, in clock ticks: how the latency scenario tells that a JVM, its own or a Java
 * system's, has done compiling what a probe runs, so that no compile takes slices of a measured second.
 */
final class JitTicks
{
    private JitTicks()
    {
    }

    /**
     * @param pid a process, or -1 for none.
     * @return user and system ticks of its compiler threads so far; 0 for none, or if it is gone.
     */
    static long of(final long pid)
    {
        if (pid < 0)
        {
            return 0;
        }
        long ticks = 0;
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
                        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
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

        return ticks;
    }
}
