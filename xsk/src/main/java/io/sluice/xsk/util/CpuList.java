package io.sluice.xsk.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lists of CPUs, or of queues, in the kernel's notation: numbers and ranges separated by commas, {@code 0-3,8,10-11}.
 * Numbers are decimal, as the kernel writes them; spaces around an item or a range's dash are allowed.
 * <p>
 * Two readers share the parsing of each item and differ in one rule:
 * <ul>
 *     <li>{@link #parse(String, String)} and {@link #append(int[], String)} read a list a person wrote
 *     ({@code --cores}, {@code --queues}, a profile's {@code threading.cores} and {@code irq.cores}). They keep the
 *     order given, because pinning order matters (the first stage gets the first CPU), and every entry, because
 *     each entry is a slot: {@code --threading dedicated --cores 1,0,1} puts the receiver and the transmitter on
 *     CPU 1 and the handler alone on CPU 0, as DPDK's {@code --lcores} maps several lcores onto one CPU, and is how
 *     a dedicated pipeline runs on a 2-core host. Where a slot may not repeat another (a queue bound twice, a CPU
 *     named twice to spread interrupts over), the caller says so with {@link #requireDistinct(int[], int)}, one
 *     check and one wording for every such list: {@code 2 is listed twice}. Numbers run 0..{@value #CPU_MAX}.</li>
 *     <li>{@link #parseKernel(String)}, {@link #read(Path)} and {@link #online()} read what the kernel writes, in
 *     {@code /sys/devices/system/cpu/online}, {@code isolated}, {@code nohz_full} and
 *     {@code /proc/irq/N/smp_affinity_list}, or what was written to such a file, where overlapping items are legal
 *     and the set is what counts: the CPUs come back ascending, each once, and {@code (null)} or an empty file is
 *     none.</li>
 * </ul>
 * Every problem is an {@link IllegalArgumentException} of one line naming the bad item.
 */
public final class CpuList
{
    /**
     * Highest number a written list may name, CPU or queue: far beyond any host Sluice runs on, low enough to catch
     * a typo.
     */
    public static final int CPU_MAX = 4095;

    /**
     * The kernel's list of online CPUs.
     */
    public static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    /**
     * One item: a number, or two joined by a dash. A leading minus is read as part of the number, so {@code -1} is
     * reported as out of range rather than as a malformed range.
     */
    private static final Pattern ITEM = Pattern.compile("(-?[0-9]+)(?:\\s*-\\s*([0-9]+))?");

    private CpuList()
    {
    }

    /**
     * Read a list a person wrote, such as an option's value.
     *
     * @param what  what the list is, prefixed to messages: {@code --cores}.
     * @param text  the list: {@code 4,0-2}.
     * @return its numbers in the order written, ranges expanded: {@code 4, 0, 1, 2}.
     * @throws IllegalArgumentException {@code WHAT: problem}, for an empty list, an item that is not a number or
     *                                  range, a number outside 0..{@value #CPU_MAX}, or a range that runs backwards.
     */
    public static int[] parse(final String what, final String text)
    {
        try
        {
            return append(new int[0], text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(what + ": " + ex.getMessage());
        }
    }

    /**
     * Read a list a person wrote whose numbers must each be distinct, such as {@code --queues}.
     *
     * @param what as for {@link #parse(String, String)}.
     * @param text the list: {@code 0,2-3}.
     * @return its numbers in the order written.
     * @throws IllegalArgumentException as {@link #parse(String, String)}, or {@code WHAT: 2 is listed twice}.
     */
    public static int[] parseDistinct(final String what, final String text)
    {
        final int[] numbers = parse(what, text);
        try
        {
            requireDistinct(numbers, 0);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(what + ": " + ex.getMessage());
        }

        return numbers;
    }

    /**
     * Read one piece of a list a person wrote in pieces, as a profile's {@code cores: [0, 2-3]} gives one item per
     * line.
     *
     * @param listed the numbers read so far, in order; not changed.
     * @param text   the next piece: {@code 2-3}.
     * @return {@code listed} followed by the piece's numbers in the order written.
     * @throws IllegalArgumentException with the problem alone, e.g. {@code range 3-1 runs backwards}, for the
     *                                  caller to place.
     */
    public static int[] append(final int[] listed, final String text)
    {
        if (null == text || text.isBlank())
        {
            throw new IllegalArgumentException("empty list");
        }
        int[] numbers = Arrays.copyOf(listed, listed.length + 8);
        int count = listed.length;
        for (final String part : text.split(",", -1))
        {
            final String item = part.strip();
            final Range range = range(item, CPU_MAX);
            for (int number = range.low(); number <= range.high(); number++)
            {
                if (count == numbers.length)
                {
                    numbers = Arrays.copyOf(numbers, count * 2);
                }
                numbers[count++] = number;
            }
        }

        return Arrays.copyOf(numbers, count);
    }

    /**
     * Check that the numbers of a list from {@code from} on repeat none before them, for a list whose entries must
     * be distinct; checked piece by piece as {@link #append(int[], String)} reads them, so a problem is placed at
     * the piece that repeats.
     *
     * @param numbers the list, in order.
     * @param from    the first index to check; 0 for all.
     * @throws IllegalArgumentException with the problem alone, {@code 2 is listed twice}, for the caller to place.
     */
    public static void requireDistinct(final int[] numbers, final int from)
    {
        final BitSet seen = new BitSet();
        for (int i = 0; i < numbers.length; i++)
        {
            if (i >= from && seen.get(numbers[i]))
            {
                throw new IllegalArgumentException(numbers[i] + " is listed twice");
            }
            seen.set(numbers[i]);
        }
    }

    /**
     * Read a CPU list as the kernel writes it.
     *
     * @param text a CPU list; empty, blank or {@code (null)} for none.
     * @return its CPUs, ascending, each once: overlapping items are legal.
     * @throws IllegalArgumentException {@code problem in 'TEXT'}, for an item that is not a number or range, a CPU
     *                                  outside 0..{@link CpuAffinity#MAX_CPUS}{@code - 1}, or a range that runs
     *                                  backwards.
     */
    public static int[] parseKernel(final String text)
    {
        final BitSet cpus = new BitSet();
        final String list = text.strip();
        if (list.isEmpty() || "(null)".equals(list))
        {
            return new int[0];
        }
        for (final String part : list.split(","))
        {
            try
            {
                final Range range = range(part.strip(), CpuAffinity.MAX_CPUS - 1);
                cpus.set(range.low(), range.high() + 1);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(ex.getMessage() + " in '" + list + "'");
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
     * @param numbers numbers in the order they matter, as {@link #parse(String, String)} returns them.
     * @return them in that order, unfolded: {@code 4,0,1,2}; empty for none.
     */
    public static String formatInOrder(final int[] numbers)
    {
        final StringBuilder text = new StringBuilder();
        for (final int number : numbers)
        {
            if (!text.isEmpty())
            {
                text.append(',');
            }
            text.append(number);
        }

        return text.toString();
    }

    /**
     * @param file a file holding a CPU list as the kernel writes it.
     * @return its CPUs, ascending, each once; none if the file does not exist.
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
            return parseKernel(Files.readString(file));
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

    /**
     * @param item one item of a list, stripped: {@code 3} or {@code 0-3}.
     * @param max  the highest number allowed.
     * @return the range's ends; both the number for a single number.
     */
    private static Range range(final String item, final int max)
    {
        final Matcher matcher = ITEM.matcher(item);
        if (!matcher.matches())
        {
            throw new IllegalArgumentException("'" + item + "' is not a number or range like 0,2-3");
        }
        final int low = number(matcher.group(1), max);
        final int high = null == matcher.group(2) ? low : number(matcher.group(2), max);
        if (high < low)
        {
            throw new IllegalArgumentException("range " + item + " runs backwards");
        }

        return new Range(low, high);
    }

    private static int number(final String digits, final int max)
    {
        long value;
        try
        {
            value = Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            // the pattern lets only digits and a leading minus through: the number does not fit a long, out of range
            value = Long.MAX_VALUE;
        }
        if (value < 0 || value > max)
        {
            throw new IllegalArgumentException(digits + " is not within 0-" + max);
        }

        return (int)value;
    }

    private record Range(int low, int high)
    {
    }
}
