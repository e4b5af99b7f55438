package io.sluice.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Busy time per CPU from {@code /proc/stat}: everything but idle and iowait.
 */
final class CpuTicks
{
    private CpuTicks()
    {
    }

    /**
     * @return per CPU: busy ticks, then total ticks, interleaved.
     */
    static long[] read() throws IOException
    {
        final List<Long> values = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of("/proc/stat")))
        {
            if (line.startsWith("cpu") && Character.isDigit(line.charAt(3)))
            {
                final String[] f = line.trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length; i++)
                {
                    total += Long.parseLong(f[i]);
                }
                final long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                values.add(total - idle);
                values.add(total);
            }
        }

        return values.stream().mapToLong(Long::longValue).toArray();
    }

    static double[] busyPercent(final long[] start, final long[] end)
    {
        if (null == start || null == end)
        {
            return new double[0];
        }
        final double[] busy = new double[start.length / 2];
        for (int i = 0; i < busy.length; i++)
        {
            final long total = end[2 * i + 1] - start[2 * i + 1];
            busy[i] = total <= 0 ? 0 : 100.0 * (end[2 * i] - start[2 * i]) / total;
        }

        return busy;
    }
}
