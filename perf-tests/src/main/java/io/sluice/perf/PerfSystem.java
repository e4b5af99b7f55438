package io.sluice.perf;

import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One system the perf harness measures in one run: started before the traffic, asked for its frame count once a
 * second while the traffic lasts, stopped after. The count is what the scenario measures: frames received (rxdrop),
 * frames back at the sender (l2fwd). Each second's difference is one sample; a run's figure is the median of the
 * samples inside the measured window.
 */
abstract class PerfSystem implements AutoCloseable
{
    private final String name;
    String output = "";

    PerfSystem(final String name)
    {
        this.name = name;
    }

    /**
     * @return the name in the results: {@code sluice}, {@code dpdk-af_xdp}, {@code dpdk-af_packet}, {@code xdp-drop}.
     */
    String name()
    {
        return name;
    }

    /**
     * Start, and return once ready for traffic.
     */
    abstract void start() throws Exception;

    /**
     * @return the frames counted so far; read once a second from the harness's thread.
     */
    abstract long count() throws Exception;

    /**
     * Stop, and say what else the run showed.
     *
     * @return e.g. {@code alloc_bytes_per_pkt=0.0000}, or "".
     */
    abstract String stop() throws Exception;

    /**
     * @return the system's process, if it is one JVM whose JIT a warm-up waits for; -1 otherwise.
     */
    long pid()
    {
        return -1;
    }

    /**
     * @return what the system printed in its last run (its STAT and TOTAL lines, testpmd's statistics), or "".
     */
    String output()
    {
        return output;
    }

    /**
     * Keep what the system printed in its last run, in {@code folder/logs/NAME.log}, for a figure that needs
     * explaining; nothing when it printed nothing.
     *
     * @param folder the harness's output folder.
     * @param name   the log's name: scenario, system and run.
     */
    void saveOutput(final Path folder, final String name) throws IOException
    {
        if (!output.isEmpty())
        {
            Files.writeString(Files.createDirectories(folder.resolve("logs")).resolve(name + ".log"), output);
        }
    }

    /**
     * @return bytes the system allocated per packet in steady state, or NaN where it does not apply.
     */
    double allocationPerPacket()
    {
        return Double.NaN;
    }

    @Override
    public void close() throws Exception
    {
        stop();
    }

    /**
     * Sluice's own benchmark command, run as a user runs it, counted by its {@code STAT} lines' running total.
     */
    static final class Sluice extends PerfSystem
    {
        private static final Pattern ALLOC = Pattern.compile("alloc_bytes_per_pkt=([0-9.]+)");

        private final String namespace;
        private final int cpu;
        private final String[] args;
        private final Pattern totalField;
        private final SteeringProgram sink;
        private SluiceProcess process;
        private double allocation = Double.NaN;

        /**
         * @param namespace  where the interface is.
         * @param cpu        the CPU the process starts on, and so its JIT, GC and STAT threads run on ({@code taskset});
         *                   its datapath thread pins itself to the CPU its arguments name. -1 for any.
         * @param totalField {@code rx_total} or {@code tx_total}: the STAT field that counts, when {@code sink} is null.
         * @param sink       a sender-side program whose drop rule counts returned frames, or null.
         * @param args       {@code ./sluice} arguments.
         */
        Sluice(
            final String namespace,
            final int cpu,
            final String totalField,
            final SteeringProgram sink,
            final String... args)
        {
            super("sluice");
            this.namespace = namespace;
            this.cpu = cpu;
            this.totalField = Pattern.compile(" " + totalField + "=(\\d+)");
            this.sink = sink;
            this.args = args.clone();
        }

        @Override
        void start() throws Exception
        {
            process = SluiceProcess.startOn(namespace, cpu, args);
            if (!process.await("READY", 120) || !process.isAlive())
            {
                throw new IllegalStateException("./sluice " + String.join(" ", args) + " did not start:\n" +
                    process.output());
            }
        }

        @Override
        long count()
        {
            if (null != sink)
            {
                return sink.counter(XdpCounter.DROP_RULE).packets();
            }
            final List<String> lines = process.lines();
            for (int i = lines.size() - 1; i >= 0; i--)
            {
                final String line = lines.get(i);
                if (line.startsWith("STAT "))
                {
                    final Matcher m = totalField.matcher(line);
                    if (m.find())
                    {
                        return Long.parseLong(m.group(1));
                    }
                }
            }

            return 0;
        }

        @Override
        String stop() throws Exception
        {
            if (null == process)
            {
                return "";
            }
            final SluiceProcess stopping = process;
            process = null;
            try (stopping)
            {
                stopping.signal("INT");
                stopping.waitFor(30);
                output = stopping.output();
                final String total = stopping.line("TOTAL");
                final Matcher alloc = ALLOC.matcher(total);
                if (alloc.find())
                {
                    allocation = Double.parseDouble(alloc.group(1));
                }
                return total.replaceFirst("^TOTAL ", "");
            }
        }

        @Override
        double allocationPerPacket()
        {
            return allocation;
        }

        @Override
        long pid()
        {
            final SluiceProcess running = process;

            return null == running ? -1 : running.pid();
        }
    }

    /**
     * DPDK's testpmd on the AF_XDP or AF_PACKET PMD, counted by its per-second port statistics, or by a sender-side
     * sink for returned frames.
     */
    static final class Dpdk extends PerfSystem
    {
        private final TestpmdConfig config;
        private final SteeringProgram sink;
        private Testpmd testpmd;

        Dpdk(final TestpmdConfig config, final SteeringProgram sink)
        {
            super(config.pmd().system());
            this.config = config;
            this.sink = sink;
        }

        @Override
        void start()
        {
            testpmd = Testpmd.start(config);
        }

        @Override
        long count()
        {
            if (null != sink)
            {
                return sink.counter(XdpCounter.DROP_RULE).packets();
            }
            // every port's: one per queue on the af_xdp PMD
            return testpmd.latest(TestpmdConfig.ForwardMode.TXONLY == config.mode() ?
                TestpmdOutput.PortStats::txPackets : TestpmdOutput.PortStats::rxPackets);
        }

        @Override
        String stop()
        {
            if (null == testpmd)
            {
                return "";
            }
            final Testpmd stopping = testpmd;
            testpmd = null;
            final TestpmdOutput.FinalStats stats = stopping.stop();
            output = stopping.output();

            return "rx_packets=" + stats.rxPackets() + " tx_packets=" + stats.txPackets() + " rx_dropped=" +
                stats.rxDropped();
        }

        /**
         * @return the command line, for the report.
         */
        String commandLine()
        {
            return null == testpmd ? "" : testpmd.commandLine();
        }
    }

    /**
     * The kernel's limit: {@code sluice_drop}, a program that returns XDP_DROP, attached with iproute2 and counted by
     * the interface's own XDP counters ({@code ethtool -S}: {@code rx_queue_N_xdp_drops}).
     */
    static final class XdpDrop extends PerfSystem
    {
        private static final Pattern DROPS = Pattern.compile("rx_queue_\\d+_xdp_drops: (\\d+)");

        private final String namespace;
        private final String iface;
        private Path object;

        XdpDrop(final String namespace, final String iface)
        {
            super("xdp-drop");
            this.namespace = namespace;
            this.iface = iface;
        }

        @Override
        void start() throws IOException
        {
            object = Files.createTempFile("sluice_drop", ".o");
            try (InputStream in = PerfSystem.class.getResourceAsStream("/io/sluice/bpf/sluice_drop.o"))
            {
                if (null == in)
                {
                    throw new IllegalStateException("sluice_drop.o is not on the classpath; rebuild with ./sluice build");
                }
                Files.write(object, in.readAllBytes());
            }
            TestHosts.run("ip", "-n", namespace, "link", "set", "dev", iface, "xdpdrv", "obj", object.toString(),
                "sec", "xdp.frags");
        }

        @Override
        long count()
        {
            final Matcher m = DROPS.matcher(TestHosts.run("ip", "netns", "exec", namespace, "ethtool", "-S", iface));
            long drops = 0;
            while (m.find())
            {
                drops += Long.parseLong(m.group(1));
            }

            return drops;
        }

        @Override
        String stop() throws IOException
        {
            if (null == object)
            {
                return "";
            }
            TestHosts.run("ip", "-n", namespace, "link", "set", "dev", iface, "xdpdrv", "off");
            Files.deleteIfExists(object);
            object = null;

            return "";
        }
    }

    /**
     * @param samples per-second samples: {arrival ns, frames in that second}.
     * @param startNs window start.
     * @param endNs   window end.
     * @return the rates of the seconds that ended inside the window, frames per second.
     */
    static double[] inWindow(final List<long[]> samples, final long startNs, final long endNs)
    {
        final List<Double> rates = new ArrayList<>();
        for (int i = 1; i < samples.size(); i++)
        {
            final long[] previous = samples.get(i - 1);
            final long[] sample = samples.get(i);
            if (previous[0] >= startNs && sample[0] <= endNs)
            {
                rates.add((sample[1] - previous[1]) * 1e9 / (sample[0] - previous[0]));
            }
        }

        return rates.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
