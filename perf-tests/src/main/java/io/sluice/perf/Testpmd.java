package io.sluice.perf;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DPDK's {@code dpdk-testpmd} on the {@code net_af_xdp} PMD, run as a child process inside a network namespace: the
 * peer Sluice's receive path is benchmarked against on the same interface and queue. It is started with
 * {@link #start(Config, long)}, which returns once forwarding runs, reports what its {@code --stats-period 1} output
 * says each second, and is stopped by SIGINT so that it prints its final forward statistics; a SIGKILL follows when
 * it does not exit in time, so no process is ever left behind. The command it runs, for the defaults:
 * <pre>
 * ip netns exec NS dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --no-huge -m 256 --no-shconf --no-telemetry
 *     --file-prefix sluice-testpmd-PID-N
 *     --vdev net_af_xdp0,iface=IF,start_queue=0,queue_count=1,busy_budget=0,force_copy=1
 *     -- --forward-mode=rxonly --auto-start --stats-period 1 --nb-cores=1 --rxq=1 --txq=1 --rxd=2048 --txd=2048
 *     --burst=32 --total-num-mbufs=16384 --port-topology=loop
 * </pre>
 * The PMD loads its own XDP program through libxdp. Inside {@code ip netns exec} there is no bpffs, so libxdp
 * falls back to attaching that one program without its dispatcher, which is all a single queue needs. The PMD
 * detaches it on a clean exit; after a SIGKILL {@link #stop()} detaches it, or the next bind on the queue would fail.
 * It needs root, like the namespaces it runs in. The output is kept whole, about 520 bytes a second.
 */
public final class Testpmd implements AutoCloseable
{
    /**
     * System property naming the testpmd binary.
     */
    public static final String BINARY_PROP_NAME = "sluice.testpmd.binary";

    /**
     * Debian's {@code dpdk-dev} puts it on the PATH; a DPDK built elsewhere can be named by its path.
     */
    public static final String BINARY_DEFAULT = "dpdk-testpmd";

    /**
     * What provides testpmd and the AF_XDP PMD on Debian 12: {@code dpdk-dev} ships {@code dpdk-testpmd} (and pulls
     * in the mempool and bus drivers it loads), {@code librte-net-af-xdp23} ships the {@code net_af_xdp} PMD.
     */
    public static final String INSTALL_HINT =
        "apt-get install -y --no-install-recommends dpdk-dev librte-net-af-xdp23";

    /**
     * Startup takes well under a second here; the margin is for a loaded CI machine.
     */
    public static final long READY_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(30);

    /**
     * A SIGINT stops forwarding, prints the totals and closes the port within a second here.
     */
    public static final long STOP_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(10);

    /**
     * EAL's runtime directory for root; each run's {@code --file-prefix} names a directory under it.
     */
    static final String RUNTIME_DIR = "/var/run/dpdk/";

    private static final String FILE_PREFIX = "sluice-testpmd-";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final int OUTPUT_EXCERPT_CHARS = 8_000;
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B(?:\\[[0-?]*[ -/]*[@-~]|[@-Z\\\\-_])");
    private static final Pattern COUNTER = Pattern.compile("([A-Za-z][A-Za-z-]*):\\s+(\\d+)");
    private static final Pattern NIC_STATS_HEADER = Pattern.compile("NIC statistics for port (\\d+)");
    private static final Pattern XDP_PROGRAM = Pattern.compile("prog/xdp\\S* id (\\d+)");
    private static final Pattern FORWARD_STATS_HEADER = Pattern.compile("Forward statistics for port (\\d+)");

    /**
     * What testpmd does with what it receives.
     */
    public enum ForwardMode
    {
        /**
         * Receive and free: the peer of Sluice's rxdrop.
         */
        RXONLY("rxonly"),

        /**
         * Swap the MAC addresses and send back out of the same port: the peer of an l2fwd or latency reflector.
         */
        MACSWAP("macswap"),

        /**
         * Generate and send frames, receiving nothing: the transmit-only peer.
         */
        TXONLY("txonly");

        private final String label;

        ForwardMode(final String label)
        {
            this.label = label;
        }

        /**
         * @return the name {@code --forward-mode=} takes.
         */
        public String label()
        {
            return label;
        }
    }

    /**
     * The poll-mode driver testpmd runs the interface with.
     */
    public enum Pmd
    {
        /**
         * {@code net_af_xdp}: an AF_XDP socket in copy mode, the peer Sluice is measured against.
         */
        AF_XDP("dpdk-af_xdp"),

        /**
         * {@code net_af_packet}: a PACKET_MMAP socket, the traditional-socket baseline.
         */
        AF_PACKET("dpdk-af_packet");

        private final String system;

        Pmd(final String system)
        {
            this.system = system;
        }

        /**
         * @return the system's name in the perf harness's results.
         */
        public String system()
        {
            return system;
        }
    }

    /**
     * Where and how testpmd runs. Start from {@link #of(String, String)}.
     *
     * @param namespace       network namespace the interface is in.
     * @param iface           interface name.
     * @param queue           the first queue the PMD binds to.
     * @param queueCount      queues from {@code queue} on, one socket (AF_XDP) or queue pair (AF_PACKET) each, all
     *                        polled by the one forwarding lcore.
     * @param mode            forwarding mode.
     * @param mainLcore       CPU of EAL's main lcore, which prints the statistics.
     * @param forwardingLcore CPU of the one forwarding lcore, which busy-polls the queue.
     * @param rxDescriptors   AF_XDP RX and fill ring size, a power of two.
     * @param txDescriptors   AF_XDP TX and completion ring size, a power of two.
     * @param burst           packets per receive call.
     * @param mbufs           mbufs in the pool, which is also the PMD's UMEM.
     * @param memoryMb        EAL memory, from 4 KiB pages.
     */
    public record Config(
        String namespace,
        String iface,
        int queue,
        int queueCount,
        ForwardMode mode,
        int mainLcore,
        int forwardingLcore,
        int rxDescriptors,
        int txDescriptors,
        int burst,
        int mbufs,
        int memoryMb,
        Pmd pmd)
    {
        /**
         * The machine has two CPUs. The main lcore wakes once a second to print, so it can share CPU 0 with the
         * traffic generator while the forwarding lcore spins alone on CPU 1.
         */
        public static final int MAIN_LCORE_DEFAULT = 0;

        /**
         * See {@link #MAIN_LCORE_DEFAULT}.
         */
        public static final int FORWARDING_LCORE_DEFAULT = 1;

        /**
         * The af_xdp PMD's own default ring size, written out so the command line shows it.
         */
        public static final int DESCRIPTORS_DEFAULT = 2048;

        /**
         * testpmd's default burst, the same batch a receive loop typically peeks.
         */
        public static final int BURST_DEFAULT = 32;

        /**
         * Enough for the fill, RX and TX rings and both lcores' mempool caches with room to spare. testpmd's own
         * default of 155,456 mbufs needs 338 MB, which does not fit in {@link #MEMORY_MB_DEFAULT}.
         */
        public static final int MBUFS_DEFAULT = 16_384;

        /**
         * There are no hugepages here, so EAL runs with {@code --no-huge} from 4 KiB pages. 16,384 mbufs of 2,176
         * bytes take 36 MB; the rest is EAL's heap.
         */
        public static final int MEMORY_MB_DEFAULT = 256;

        /**
         * testpmd's {@code MAX_PKT_BURST}.
         */
        public static final int BURST_MAX = 512;

        public Config
        {
            requireName("namespace", namespace);
            requireName("iface", iface);
            if (null == mode || null == pmd)
            {
                throw new IllegalArgumentException("mode and pmd are required");
            }
            if (queueCount < 1)
            {
                throw new IllegalArgumentException("queue count " + queueCount + ": must be at least 1");
            }
            if (queue < 0 || mainLcore < 0 || forwardingLcore < 0 || mainLcore == forwardingLcore)
            {
                throw new IllegalArgumentException("queue " + queue + ", lcores main " + mainLcore + " forwarding " +
                    forwardingLcore + ": queue and lcores must be >= 0 and the two lcores distinct");
            }
            if (Integer.bitCount(rxDescriptors) != 1 || Integer.bitCount(txDescriptors) != 1)
            {
                throw new IllegalArgumentException("descriptors rx " + rxDescriptors + " tx " + txDescriptors +
                    ": AF_XDP ring sizes are powers of two");
            }
            if (burst < 1 || burst > BURST_MAX)
            {
                throw new IllegalArgumentException("burst " + burst + ": must be 1.." + BURST_MAX);
            }
            if (mbufs < 2 * queueCount * (rxDescriptors + txDescriptors) || memoryMb < 64)
            {
                throw new IllegalArgumentException("mbufs " + mbufs + ", memory " + memoryMb + " MB: need at least " +
                    2 * queueCount * (rxDescriptors + txDescriptors) + " mbufs for these rings, and 64 MB");
            }
        }

        /**
         * Receive-only on queue 0, with the defaults above.
         *
         * @param namespace network namespace the interface is in.
         * @param iface     interface name.
         * @return the configuration.
         */
        public static Config of(final String namespace, final String iface)
        {
            return new Config(namespace, iface, 0, 1, ForwardMode.RXONLY, MAIN_LCORE_DEFAULT, FORWARDING_LCORE_DEFAULT,
                DESCRIPTORS_DEFAULT, DESCRIPTORS_DEFAULT, BURST_DEFAULT, MBUFS_DEFAULT, MEMORY_MB_DEFAULT, Pmd.AF_XDP);
        }

        public Config withQueue(final int queue)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        /**
         * @param queue the first queue.
         * @param count queues from it on.
         * @return the configuration on those queues.
         */
        public Config withQueues(final int queue, final int count)
        {
            return new Config(namespace, iface, queue, count, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withMode(final ForwardMode mode)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withLcores(final int mainLcore, final int forwardingLcore)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withDescriptors(final int rxDescriptors, final int txDescriptors)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withBurst(final int burst)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withMemory(final int mbufs, final int memoryMb)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        public Config withPmd(final Pmd pmd)
        {
            return new Config(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore, rxDescriptors,
                txDescriptors, burst, mbufs, memoryMb, pmd);
        }

        private static void requireName(final String what, final String name)
        {
            if (null == name || name.isBlank() || !name.matches("[A-Za-z0-9_.@-]+"))
            {
                throw new IllegalArgumentException(what + " '" + name + "': must be a plain name");
            }
        }
    }

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

    private final Config config;
    private final List<String> command;
    private final String filePrefix;
    private final boolean promiscuousBefore;
    private final long xdpProgramBefore;
    private final StringBuilder output = new StringBuilder();
    private final List<PortStats> samples = new ArrayList<>();
    private Process process;
    private Thread reader;
    private Thread shutdownHook;
    private boolean outputClosed;
    private FinalStats finalStats;

    private Testpmd(final Config config, final List<String> command, final String filePrefix,
        final boolean promiscuousBefore, final long xdpProgramBefore)
    {
        this.config = config;
        this.command = command;
        this.filePrefix = filePrefix;
        this.promiscuousBefore = promiscuousBefore;
        this.xdpProgramBefore = xdpProgramBefore;
    }

    /**
     * Start testpmd with {@link #READY_TIMEOUT_NS_DEFAULT}.
     *
     * @param config where and how it runs.
     * @return the running testpmd.
     */
    public static Testpmd start(final Config config)
    {
        return start(config, READY_TIMEOUT_NS_DEFAULT);
    }

    /**
     * Start testpmd and return once its forwarding lcore runs, which it shows by printing its first statistics
     * block: the port, its AF_XDP socket and the XDP program are all set up before forwarding starts.
     *
     * @param config         where and how it runs.
     * @param readyTimeoutNs how long to wait for that.
     * @return the running testpmd; stop or close it.
     * @throws IllegalStateException when testpmd is not installed, the interface is missing, or testpmd exits or
     *                               is not ready in time; the message has a hint, the command and its output.
     */
    public static Testpmd start(final Config config, final long readyTimeoutNs)
    {
        final String binary = System.getProperty(BINARY_PROP_NAME, BINARY_DEFAULT);
        requireInstalled(binary);
        final String link = run("ip", "-n", config.namespace(), "-o", "link", "show", "dev", config.iface());
        if (!link.startsWith("0\n"))
        {
            throw new IllegalStateException("testpmd: no interface " + config.iface() + " in namespace " +
                config.namespace() + ": " + link.substring(link.indexOf('\n') + 1).strip());
        }

        final String filePrefix = FILE_PREFIX + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        final Testpmd testpmd = new Testpmd(config, command(config, binary, filePrefix), filePrefix,
            linkFlags(link).contains("PROMISC"), xdpProgramId(link));
        testpmd.launch();
        testpmd.awaitReady(readyTimeoutNs);

        return testpmd;
    }

    /**
     * The command as built for a configuration. Package-private and pure, for tests.
     *
     * @param config     where and how it runs.
     * @param binary     testpmd binary.
     * @param filePrefix EAL file prefix, unique per run.
     * @return command and arguments.
     */
    static List<String> command(final Config config, final String binary, final String filePrefix)
    {
        final List<String> command = new ArrayList<>(List.of(
            "ip", "netns", "exec", config.namespace(), binary,
            "-l", config.mainLcore() + "," + config.forwardingLcore(),
            "--main-lcore", Integer.toString(config.mainLcore()),
            "--no-pci",
            // no hugepages here; --in-memory would be tidier but EAL refuses it with --no-huge
            "--no-huge", "-m", Integer.toString(config.memoryMb()),
            // no secondary processes and no telemetry socket, so the run leaves nothing in its runtime directory
            "--no-shconf", "--no-telemetry",
            // so two runs never share a runtime directory
            "--file-prefix", filePrefix));
        for (final String vdev : vdevs(config))
        {
            command.add("--vdev");
            command.add(vdev);
        }
        final String queuesPerPort = Integer.toString(queuesPerPort(config));
        command.addAll(List.of(
            "--",
            "--forward-mode=" + config.mode().label(),
            "--auto-start",
            "--stats-period", "1",
            "--nb-cores=1",
            // as many queues each way as each port opened; with no port (a vdev that failed to probe) this also
            // makes testpmd exit, where it would otherwise sit forwarding nothing
            "--rxq=" + queuesPerPort, "--txq=" + queuesPerPort,
            "--rxd=" + config.rxDescriptors(), "--txd=" + config.txDescriptors(),
            "--burst=" + config.burst(),
            "--total-num-mbufs=" + config.mbufs(),
            // each port sends back out of itself (macswap)
            "--port-topology=loop"));

        return List.copyOf(command);
    }

    /**
     * busy_budget=0: preferred busy polling does nothing on veth; force_copy=1: veth has no zero-copy, and Sluice
     * runs in copy mode there too. The af_xdp PMD takes several queues of one port only from a device that reports
     * combined channels, which veth does not ("queue count 2 is larger than combined queue count 1"), so each queue
     * is a port of its own, one single-queue vdev each, as DPDK users do on such devices. AF_PACKET: one port with
     * a queue pair per queue (a fanout group), and qdisc_bypass so that it sends as directly as it can.
     */
    private static List<String> vdevs(final Config config)
    {
        final List<String> vdevs = new ArrayList<>();
        switch (config.pmd())
        {
            case AF_XDP ->
            {
                for (int i = 0; i < config.queueCount(); i++)
                {
                    vdevs.add("net_af_xdp" + i + ",iface=" + config.iface() + ",start_queue=" + (config.queue() + i) +
                        ",queue_count=1,busy_budget=0,force_copy=1");
                }
            }
            case AF_PACKET -> vdevs.add("net_af_packet0,iface=" + config.iface() + ",qpairs=" + config.queueCount() +
                ",qdisc_bypass=1");
        }

        return vdevs;
    }

    private static int queuesPerPort(final Config config)
    {
        return Pmd.AF_XDP == config.pmd() ? 1 : config.queueCount();
    }

    /**
     * @return the command and arguments this run uses.
     */
    public List<String> command()
    {
        return command;
    }

    /**
     * @return the command as one line a shell would run, for a benchmark to print.
     */
    public String commandLine()
    {
        return commandLine(command);
    }

    public Config config()
    {
        return config;
    }

    /**
     * @return process id of testpmd ({@code ip netns exec} execs it, so the pid is the same).
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * @return every statistics block so far, one per port per second, oldest first.
     */
    public List<PortStats> samples()
    {
        synchronized (samples)
        {
            return List.copyOf(samples);
        }
    }

    /**
     * @return RX-packets of the newest statistics block, all ports; 0 before the first.
     */
    public long rxPackets()
    {
        synchronized (samples)
        {
            return latestRxPackets();
        }
    }

    /**
     * Wait until testpmd has printed at least a number of statistics blocks.
     *
     * @param count     blocks, counting every port's.
     * @param timeoutNs how long to wait.
     * @return whether there are that many.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitSamples(final int count, final long timeoutNs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        synchronized (samples)
        {
            while (samples.size() < count && !outputClosed && waitUntil(deadlineNs))
            {
                // woken by a new block or the end of output
            }

            return samples.size() >= count;
        }
    }

    /**
     * Wait until a statistics block shows at least a number of packets received. Blocks come once a second.
     *
     * @param packets   RX-packets, all ports.
     * @param timeoutNs how long to wait.
     * @return whether a block showed that many.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitRxPackets(final long packets, final long timeoutNs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        synchronized (samples)
        {
            while (latestRxPackets() < packets && !outputClosed && waitUntil(deadlineNs))
            {
                // woken by a new block or the end of output
            }

            return latestRxPackets() >= packets;
        }
    }

    /**
     * @return everything testpmd printed so far, escape sequences removed.
     */
    public String output()
    {
        synchronized (output)
        {
            return output.toString();
        }
    }

    /**
     * Stop with {@link #STOP_TIMEOUT_NS_DEFAULT}.
     *
     * @return how the run ended.
     */
    public FinalStats stop()
    {
        return stop(STOP_TIMEOUT_NS_DEFAULT);
    }

    /**
     * Stop testpmd with SIGINT so that it prints its forward statistics and detaches its XDP program; SIGKILL it if
     * it has not exited in time. Then restore the interface's promiscuous flag (testpmd sets it and leaves it set)
     * and remove EAL's runtime directory. Calling it again returns the same result.
     *
     * @param timeoutNs how long to wait after SIGINT.
     * @return how the run ended.
     */
    public synchronized FinalStats stop(final long timeoutNs)
    {
        if (null != finalStats)
        {
            return finalStats;
        }

        boolean killed = false;
        boolean interrupted = false;
        try
        {
            if (process.isAlive())
            {
                // by pid: ip netns exec has exec'd testpmd, so this is testpmd itself
                run("kill", "-s", "INT", Long.toString(process.pid()));
                if (!process.waitFor(timeoutNs, TimeUnit.NANOSECONDS))
                {
                    killed = kill();
                }
            }
        }
        catch (final InterruptedException ex)
        {
            interrupted = true;
            killed = kill();
        }

        interrupted |= joinReader();
        cleanUp(killed);
        finalStats = new FinalStats(parseForwardStats(output()), process.exitValue(), killed);
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        return finalStats;
    }

    /**
     * Stop, ignoring the result.
     */
    public void close()
    {
        stop();
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
            return "testpmd is not installed; install it with: " + INSTALL_HINT;
        }
        if (out.contains("Cannot open network namespace"))
        {
            return "the network namespace does not exist";
        }
        if (out.contains("failed to parse device"))
        {
            return "EAL knows no driver for the vdev: the net_af_xdp PMD is not installed; install it with: " +
                INSTALL_HINT;
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

    private void launch()
    {
        try
        {
            process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("testpmd: cannot run " + commandLine() + ": " + ex.getMessage(), ex);
        }

        final Process child = process;
        shutdownHook = new Thread(() -> child.destroyForcibly(), "testpmd-" + process.pid() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        reader = new Thread(this::readOutput, "testpmd-" + process.pid() + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    private void awaitReady(final long readyTimeoutNs)
    {
        final long deadlineNs = System.nanoTime() + readyTimeoutNs;
        boolean interrupted = false;
        boolean ready;
        synchronized (samples)
        {
            try
            {
                while (samples.isEmpty() && !outputClosed && waitUntil(deadlineNs))
                {
                    // woken by the first block or the end of output
                }
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
            ready = !samples.isEmpty();
        }
        if (ready)
        {
            return;
        }

        // the output ends a moment before the process does: wait for the exit, or a failed start reads as a hang
        final boolean exited = outputClosed() && awaitExit();
        final boolean killed = kill();
        interrupted |= joinReader();
        cleanUp(killed);
        finalStats = new FinalStats(List.of(), process.exitValue(), killed);
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        final String text = output();
        final String what = exited ? "exited with status " + process.exitValue() + " before it was ready" :
            interrupted ? "was interrupted before it was ready" :
            "was not ready within " + TimeUnit.NANOSECONDS.toSeconds(readyTimeoutNs) + " s and was killed";
        throw new IllegalStateException("testpmd on " + config.iface() + " queue " + config.queue() +
            " in namespace " + config.namespace() + " " + what + ": " + diagnose(text) +
            "\n  command: " + commandLine() + "\n  output:\n" + excerpt(text));
    }

    private void readOutput()
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            StringBuilder block = null;
            String line;
            while (null != (line = in.readLine()))
            {
                final String clean = stripAnsi(line);
                synchronized (output)
                {
                    output.append(clean).append('\n');
                }
                if (NIC_STATS_HEADER.matcher(clean).find())
                {
                    block = new StringBuilder();
                }
                if (null != block)
                {
                    block.append(clean).append('\n');
                    if (isRule(clean, '#'))
                    {
                        final List<PortStats> parsed = parsePortStats(block);
                        block = null;
                        synchronized (samples)
                        {
                            samples.addAll(parsed);
                            samples.notifyAll();
                        }
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            synchronized (output)
            {
                output.append("[reading testpmd's output failed: ").append(ex.getMessage()).append("]\n");
            }
        }
        finally
        {
            synchronized (samples)
            {
                outputClosed = true;
                samples.notifyAll();
            }
        }
    }

    private long latestRxPackets()
    {
        return latest(PortStats::rxPackets);
    }

    /**
     * @param counter which count.
     * @return the count summed over the ports of the newest statistics block; 0 before the first.
     */
    public long latest(final ToLongFunction<PortStats> counter)
    {
        synchronized (samples)
        {
            // the newest block holds one entry per port, the ports in ascending order
            long total = 0;
            int previousPort = Integer.MAX_VALUE;
            for (int i = samples.size() - 1; i >= 0 && samples.get(i).port() < previousPort; i--)
            {
                total += counter.applyAsLong(samples.get(i));
                previousPort = samples.get(i).port();
            }

            return total;
        }
    }

    private boolean waitUntil(final long deadlineNs) throws InterruptedException
    {
        final long remainingNs = deadlineNs - System.nanoTime();
        if (remainingNs <= 0)
        {
            return false;
        }
        TimeUnit.NANOSECONDS.timedWait(samples, remainingNs);

        return true;
    }

    private boolean outputClosed()
    {
        synchronized (samples)
        {
            return outputClosed;
        }
    }

    private boolean awaitExit()
    {
        try
        {
            return process.waitFor(STOP_TIMEOUT_NS_DEFAULT, TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private boolean kill()
    {
        if (!process.isAlive())
        {
            return false;
        }
        process.destroyForcibly();
        boolean interrupted = false;
        while (true)
        {
            try
            {
                process.waitFor();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        return true;
    }

    private boolean joinReader()
    {
        try
        {
            // the pipe closes when testpmd exits: nothing else holds its write end
            reader.join(TimeUnit.NANOSECONDS.toMillis(STOP_TIMEOUT_NS_DEFAULT));
            return false;
        }
        catch (final InterruptedException ex)
        {
            return true;
        }
    }

    private void cleanUp(final boolean killed)
    {
        if (killed)
        {
            // a killed testpmd leaves libxdp's program attached, and the next bind on this queue would fail; a
            // program that was there before it started is someone else's
            final long program = xdpProgramId(run("ip", "-n", config.namespace(), "-o", "link", "show", "dev",
                config.iface()));
            if (program >= 0 && program != xdpProgramBefore)
            {
                run("ip", "-n", config.namespace(), "link", "set", "dev", config.iface(), "xdp", "off");
            }
        }
        if (!promiscuousBefore)
        {
            run("ip", "-n", config.namespace(), "link", "set", "dev", config.iface(), "promisc", "off");
        }
        deleteRuntimeDirectory(Path.of(RUNTIME_DIR, filePrefix));
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is shutting down and the hook runs anyway; testpmd has exited already
        }
    }

    private static void deleteRuntimeDirectory(final Path directory)
    {
        try
        {
            if (Files.isDirectory(directory))
            {
                try (var files = Files.list(directory))
                {
                    for (final Path file : files.toList())
                    {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(directory);
            }
        }
        catch (final IOException ex)
        {
            System.err.println("warning: could not remove testpmd's runtime directory " + directory + ": " + ex);
        }
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

    private static long xdpProgramId(final String link)
    {
        final Matcher matcher = XDP_PROGRAM.matcher(link);

        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    private static Set<String> linkFlags(final String link)
    {
        final int open = link.indexOf('<');
        final int close = link.indexOf('>', open + 1);

        return open < 0 || close < 0 ? Set.of() : Set.of(link.substring(open + 1, close).split(","));
    }

    private static void requireInstalled(final String binary)
    {
        if (binary.contains("/"))
        {
            if (Files.isExecutable(Path.of(binary)))
            {
                return;
            }
        }
        else
        {
            final String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
            for (final String directory : path.split(":"))
            {
                if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, binary)))
                {
                    return;
                }
            }
        }

        throw new IllegalStateException("testpmd: " + binary + " not found (PATH " + System.getenv("PATH") +
            "): DPDK's testpmd with the net_af_xdp PMD is needed; install it with: " + INSTALL_HINT);
    }

    /**
     * Run a short command; failures are reported in its output, never thrown.
     *
     * @return its exit status, a newline, then its output.
     */
    private static String run(final String... command)
    {
        try
        {
            final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String text = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            return child.waitFor() + "\n" + text;
        }
        catch (final IOException ex)
        {
            return "-1\n" + String.join(" ", command) + ": " + ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "-1\n" + String.join(" ", command) + ": interrupted";
        }
    }

    static String commandLine(final List<String> command)
    {
        final StringBuilder line = new StringBuilder();
        for (final String arg : command)
        {
            if (!line.isEmpty())
            {
                line.append(' ');
            }
            line.append(arg.matches("[A-Za-z0-9_./=,:@%+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }

        return line.toString();
    }

    private static String excerpt(final String text)
    {
        if (text.length() <= 2 * OUTPUT_EXCERPT_CHARS)
        {
            return text;
        }

        return text.substring(0, OUTPUT_EXCERPT_CHARS) + "\n[... " + (text.length() - 2 * OUTPUT_EXCERPT_CHARS) +
            " characters left out ...]\n" + text.substring(text.length() - OUTPUT_EXCERPT_CHARS);
    }
}
