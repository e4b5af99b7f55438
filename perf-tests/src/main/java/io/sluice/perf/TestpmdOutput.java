package io.sluice.perf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code dpdk-testpmd} prints, read: the per-port counters of each {@code --stats-period} block
 * ({@link PortStats}), the forward statistics printed when forwarding stops ({@link ForwardStats}, summed in
 * {@link FinalStats}), and a hint for a failed start ({@link #diagnose(CharSequence)}). Pure functions of the text,
 * which may keep testpmd's escape sequences; testpmd 22.11 prints a block as
 * <pre>
 *   ######################## NIC statistics for port 0  ########################
 *   RX-packets: 10         RX-missed: 1          RX-bytes:  600
 *   ...
 *   Rx-pps:            5          Rx-bps:         2400
 *   ############################################################################
 * </pre>
 * and the forward statistics the same way, between a {@code Forward statistics for port N} header and a rule of
 * dashes.
 */
public final class TestpmdOutput
{
    private static final int OUTPUT_EXCERPT_CHARS = 8_000;
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B(?:\\[[0-?]*[ -/]*[@-~]|[@-Z\\\\-_])");
    private static final Pattern COUNTER = Pattern.compile("([A-Za-z][A-Za-z-]*):\\s+(\\d+)");
    private static final Pattern NIC_STATS_HEADER = Pattern.compile("NIC statistics for port (\\d+)");
    private static final Pattern FORWARD_STATS_HEADER = Pattern.compile("Forward statistics for port (\\d+)");

    /**
     * One port's counters from one {@code --stats-period} block. Counters are since the port started; rates are
     * since the previous block, so the first block's rates cover testpmd's startup and mean little.
     */
    public record PortStats(
        int port,
        long rxPackets,
        long rxMissed,
        long rxBytes,
        long rxErrors,
        long rxNoMbuf,
        long txPackets,
        long txErrors,
        long txBytes,
        long rxPps,
        long rxBps,
        long txPps,
        long txBps)
    {
        static PortStats of(final int port, final Map<String, Long> counters)
        {
            final String[] keys = { "RX-packets", "RX-missed", "RX-bytes", "RX-errors", "RX-nombuf", "TX-packets",
                "TX-errors", "TX-bytes", "Rx-pps", "Rx-bps", "Tx-pps", "Tx-bps" };
            for (final String key : keys)
            {
                if (!counters.containsKey(key))
                {
                    return null;
                }
            }

            return new PortStats(port, counters.get("RX-packets"), counters.get("RX-missed"),
                counters.get("RX-bytes"), counters.get("RX-errors"), counters.get("RX-nombuf"),
                counters.get("TX-packets"), counters.get("TX-errors"), counters.get("TX-bytes"),
                counters.get("Rx-pps"), counters.get("Rx-bps"), counters.get("Tx-pps"), counters.get("Tx-bps"));
        }
    }

    /**
     * One port's totals over the forwarding run, printed when forwarding stops. RX-dropped is what the PMD counted
     * as missed: frames the kernel could not put on the AF_XDP RX ring.
     */
    public record ForwardStats(
        int port, long rxPackets, long rxDropped, long rxTotal, long txPackets, long txDropped, long txTotal)
    {
        static ForwardStats of(final int port, final Map<String, Long> counters)
        {
            final String[] keys = { "RX-packets", "RX-dropped", "RX-total", "TX-packets", "TX-dropped", "TX-total" };
            for (final String key : keys)
            {
                if (!counters.containsKey(key))
                {
                    return null;
                }
            }

            return new ForwardStats(port, counters.get("RX-packets"), counters.get("RX-dropped"),
                counters.get("RX-total"), counters.get("TX-packets"), counters.get("TX-dropped"),
                counters.get("TX-total"));
        }
    }

    /**
     * How a run ended.
     *
     * @param ports      each port's forward statistics; empty when testpmd was killed before printing them.
     * @param exitStatus testpmd's exit status.
     * @param killed     whether it had to be killed with SIGKILL.
     */
    public record FinalStats(List<ForwardStats> ports, int exitStatus, boolean killed)
    {
        public FinalStats
        {
            ports = List.copyOf(ports);
        }

        /**
         * @return packets received over the run, all ports.
         * @throws IllegalStateException when testpmd printed no forward statistics.
         */
        public long rxPackets()
        {
            return sum(ForwardStats::rxPackets);
        }

        /**
         * @return packets the kernel dropped for want of room on the RX ring, all ports.
         * @throws IllegalStateException when testpmd printed no forward statistics.
         */
        public long rxDropped()
        {
            return sum(ForwardStats::rxDropped);
        }

        /**
         * @return packets sent over the run, all ports.
         * @throws IllegalStateException when testpmd printed no forward statistics.
         */
        public long txPackets()
        {
            return sum(ForwardStats::txPackets);
        }

        private long sum(final ToLongFunction<ForwardStats> counter)
        {
            if (ports.isEmpty())
            {
                throw new IllegalStateException("testpmd printed no forward statistics (exit status " + exitStatus +
                    (killed ? ", killed with SIGKILL" : "") + ")");
            }
            long total = 0;
            for (final ForwardStats port : ports)
            {
                total += counter.applyAsLong(port);
            }

            return total;
        }
    }

    private TestpmdOutput()
    {
    }

    /**
     * Remove terminal escape sequences: testpmd clears the screen before each statistics block.
     *
     * @param text testpmd's output.
     * @return the text without them.
     */
    public static String stripAnsi(final CharSequence text)
    {
        return ANSI_ESCAPE.matcher(text).replaceAll("");
    }

    /**
     * Parse every complete {@code --stats-period} block of testpmd's output; a block cut short is left out.
     *
     * @param text testpmd's output, with or without escape sequences.
     * @return one entry per port per block, in order.
     */
    public static List<PortStats> parsePortStats(final CharSequence text)
    {
        return parseBlocks(text, NIC_STATS_HEADER, '#', PortStats::of);
    }

    /**
     * Parse the per-port forward statistics testpmd prints when forwarding stops.
     *
     * @param text testpmd's output, with or without escape sequences.
     * @return one entry per port, in order.
     */
    public static List<ForwardStats> parseForwardStats(final CharSequence text)
    {
        return parseBlocks(text, FORWARD_STATS_HEADER, '-', ForwardStats::of);
    }

    /**
     * Say what went wrong when testpmd failed to start, from what it printed.
     *
     * @param text testpmd's output.
     * @return a hint for the error message.
     */
    public static String diagnose(final CharSequence text)
    {
        final String out = stripAnsi(text);
        if (out.contains("exec of \"") && out.contains("failed"))
        {
            return "testpmd is not installed; install it with: " + TestpmdHost.INSTALL_HINT;
        }
        if (out.contains("Cannot open network namespace"))
        {
            return "the network namespace does not exist";
        }
        if (out.contains("failed to parse device"))
        {
            return "EAL knows no driver for the vdev: the net_af_xdp PMD is not installed; install it with: " +
                TestpmdHost.INSTALL_HINT;
        }
        if (out.contains("Failed to get channel info of interface") || out.contains("No probed ethernet devices"))
        {
            return "the af_xdp PMD could not open the interface: is it in this namespace?";
        }
        if (out.contains("Failed to create xsk socket"))
        {
            return "the queue is taken: an AF_XDP socket or another XDP program is on the interface (a Sluice " +
                "receiver still running, or a testpmd killed before it could detach: ip link set dev IF xdp off)";
        }
        if (out.contains("Creation of mbuf pool") || out.contains("Cannot allocate memory"))
        {
            return "EAL memory is too small for the mbuf pool: raise memoryMb or lower mbufs";
        }
        if (out.contains("Cannot init EAL"))
        {
            return "EAL failed to initialise";
        }

        return "see testpmd's output";
    }

    /**
     * @param line a line of testpmd's output, escape sequences removed.
     * @return whether it starts a {@code --stats-period} block.
     */
    static boolean startsPortStats(final String line)
    {
        return NIC_STATS_HEADER.matcher(line).find();
    }

    /**
     * @param line a line of testpmd's output, escape sequences removed.
     * @return whether it ends a {@code --stats-period} block.
     */
    static boolean endsPortStats(final String line)
    {
        return isRule(line, '#');
    }

    private static <T> List<T> parseBlocks(
        final CharSequence text, final Pattern header, final char rule, final BlockParser<T> parser)
    {
        final List<T> parsed = new ArrayList<>();
        int port = -1;
        Map<String, Long> counters = null;
        for (final String line : stripAnsi(text).split("\n"))
        {
            final Matcher start = header.matcher(line);
            if (start.find())
            {
                port = Integer.parseInt(start.group(1));
                counters = new HashMap<>();
            }
            else if (null != counters)
            {
                if (isRule(line, rule))
                {
                    final T entry = parser.parse(port, counters);
                    if (null != entry)
                    {
                        parsed.add(entry);
                    }
                    counters = null;
                }
                else
                {
                    final Matcher counter = COUNTER.matcher(line);
                    while (counter.find())
                    {
                        counters.put(counter.group(1), Long.parseLong(counter.group(2)));
                    }
                }
            }
        }

        return parsed;
    }

    @FunctionalInterface
    private interface BlockParser<T>
    {
        T parse(int port, Map<String, Long> counters);
    }

    private static boolean isRule(final String line, final char rule)
    {
        final String trimmed = line.strip();
        if (trimmed.length() < 16)
        {
            return false;
        }
        for (int i = 0; i < trimmed.length(); i++)
        {
            if (trimmed.charAt(i) != rule)
            {
                return false;
            }
        }

        return true;
    }

    /**
     * Cut long output down to its start and its end, for an error message.
     *
     * @param text testpmd's output.
     * @return the text, or its first and last {@value #OUTPUT_EXCERPT_CHARS} characters.
     */
    static String excerpt(final String text)
    {
        if (text.length() <= 2 * OUTPUT_EXCERPT_CHARS)
        {
            return text;
        }

        return text.substring(0, OUTPUT_EXCERPT_CHARS) + "\n[... " + (text.length() - 2 * OUTPUT_EXCERPT_CHARS) +
            " characters left out ...]\n" + text.substring(text.length() - OUTPUT_EXCERPT_CHARS);
    }
}
