package io.sluice.xsk.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;

/**
 * CPU lists as the kernel writes them ({@code 0-3,8,10-11}): in {@code /sys/devices/system/cpu/online},
 * {@code isolated}, {@code nohz_full} and {@code /proc/irq/N/smp_affinity_list}.
 */
public final class CpuList
{
    /**
     * The kernel's list of online CPUs.
     */
    public static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    private CpuList()
    {
    }

    /**
     * @param text a CPU list; empty or blank for none.
     * @return its CPUs, ascending, each once.
     * @throws IllegalArgumentException if it is not a CPU list.
     */
    public static int[] parse(final String text)
    {
        final BitSet cpus = new BitSet();
        final String list = text.strip();
        if (list.isEmpty() || "(null)".equals(list))
        {
            return new int[0];
        }
        for (final String part : list.split(","))
        {
            final String item = part.strip();
            final int dash = item.indexOf('-');
            try
            {
                final int low = Integer.parseInt(dash < 0 ? item : item.substring(0, dash));
                final int high = dash < 0 ? low : Integer.parseInt(item.substring(dash + 1));
                if (low < 0 || high < low || high >= CpuAffinity.MAX_CPUS)
                {
                    throw new IllegalArgumentException("'" + item + "' is not a CPU range in '" + text + "'");
                }
                cpus.set(low, high + 1);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("'" + item + "' is not a CPU or range in '" + text + "'");
            }
        }

        return cpus.stream().toArray();
    }

    /**
     * @param cpus CPUs, in any order.
     * @return the list as the kernel writes it, ranges folded: {@code 0-3,8}; empty for none.
     */
    public static String format(final int[] cpus)
    {
        final int[] sorted = Arrays.stream(cpus).distinct().sorted().toArray();
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < sorted.length; i++)
        {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }
            if (!text.isEmpty())
            {
                text.append(',');
            }
            text.append(sorted[i]);
            if (j > i)
            {
                text.append('-').append(sorted[j]);
            }
            i = j;
        }

        return text.toString();
    }

    /**
     * @param file a file holding a CPU list.
     * @return its CPUs; none if the file does not exist.
     * @throws IllegalArgumentException naming the file if it cannot be read or parsed.
     */
    public static int[] read(final Path file)
    {
        if (!Files.exists(file))
        {
            return new int[0];
        }
        try
        {
            return parse(Files.readString(file));
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("cannot read the CPU list in " + file + ": " + ex.getMessage());
        }
    }

    /**
     * @return the online CPUs.
     */
    public static int[] online()
    {
        return read(ONLINE);
    }
}
