package io.sluice.perf;

import java.util.ArrayList;
import java.util.List;

/**
 * Where and how {@link Testpmd} runs, and the command line that says so. Start from {@link #of(String, String)}.
 * For the defaults the command is:
 * <pre>
 * ip netns exec NS dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --no-huge -m 256 --no-shconf --no-telemetry
 *     --file-prefix sluice-testpmd-PID-N
 *     --vdev net_af_xdp0,iface=IF,start_queue=0,queue_count=1,busy_budget=0,force_copy=1
 *     -- --forward-mode=rxonly --auto-start --stats-period 1 --nb-cores=1 --rxq=1 --txq=1 --rxd=2048 --txd=2048
 *     --burst=32 --total-num-mbufs=16384 --port-topology=loop
 * </pre>
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
 * @param pmd             the poll-mode driver.
 * @param maxPacketBytes  the longest frame a port takes, without FCS ({@code --max-pkt-len}, but for AF_PACKET),
 *                        with mbufs and AF_PACKET ring frames large enough to hold it whole; 0 for testpmd's
 *                        default (1518).
 */
public record TestpmdConfig(
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
    Pmd pmd,
    int maxPacketBytes)
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

    /**
     * AF_PACKET's ring frame and block for a jumbo frame: a power of two pages holding the tpacket header and a
     * 9018-byte frame. The PMD wants an mbuf to hold a whole ring frame's data. Measured: with 9216-byte frames in
     * 12288-byte blocks the PMD received nothing at all, with 16384 every frame.
     */
    public static final int JUMBO_RING_FRAME_BYTES = 16_384;

    private static final int RTE_PKTMBUF_HEADROOM_BYTES = 128;

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

    public TestpmdConfig
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
    public static TestpmdConfig of(final String namespace, final String iface)
    {
        return new TestpmdConfig(namespace, iface, 0, 1, ForwardMode.RXONLY, MAIN_LCORE_DEFAULT,
            FORWARDING_LCORE_DEFAULT, DESCRIPTORS_DEFAULT, DESCRIPTORS_DEFAULT, BURST_DEFAULT, MBUFS_DEFAULT,
            MEMORY_MB_DEFAULT, Pmd.AF_XDP, 0);
    }

    public TestpmdConfig withQueue(final int queue)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    /**
     * @param queue the first queue.
     * @param count queues from it on.
     * @return the configuration on those queues.
     */
    public TestpmdConfig withQueues(final int queue, final int count)
    {
        return new TestpmdConfig(namespace, iface, queue, count, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withMode(final ForwardMode mode)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withLcores(final int mainLcore, final int forwardingLcore)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withDescriptors(final int rxDescriptors, final int txDescriptors)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withBurst(final int burst)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withMemory(final int mbufs, final int memoryMb)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    public TestpmdConfig withPmd(final Pmd pmd)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, maxPacketBytes);
    }

    /**
     * @param bytes the longest frame, without FCS, beyond the 1518 testpmd takes by default: a jumbo frame.
     * @return the configuration with mbufs of {@link #jumboMbufBytes} and, for AF_PACKET, ring frames of
     * {@link #JUMBO_RING_FRAME_BYTES}.
     */
    public TestpmdConfig withMaxPacketBytes(final int bytes)
    {
        return new TestpmdConfig(namespace, iface, queue, queueCount, mode, mainLcore, forwardingLcore,
            rxDescriptors, txDescriptors, burst, mbufs, memoryMb, pmd, bytes);
    }

    /**
     * @return an mbuf's data room for {@link #maxPacketBytes}: the default 128-byte headroom and then room for the
     * packet, or for a whole AF_PACKET ring frame, which DPDK 22.11's AF_PACKET PMD requires of a queue's mbufs.
     */
    public int jumboMbufBytes()
    {
        return RTE_PKTMBUF_HEADROOM_BYTES + Math.max(maxPacketBytes, JUMBO_RING_FRAME_BYTES);
    }

    private static void requireName(final String what, final String name)
    {
        if (null == name || name.isBlank() || !name.matches("[A-Za-z0-9_.@-]+"))
        {
            throw new IllegalArgumentException(what + " '" + name + "': must be a plain name");
        }
    }

    /**
     * The command that runs testpmd with this configuration.
     *
     * @param binary     testpmd binary.
     * @param filePrefix EAL file prefix, unique per run.
     * @return command and arguments.
     */
    public List<String> command(final String binary, final String filePrefix)
    {
        final List<String> command = new ArrayList<>(List.of(
            "ip", "netns", "exec", namespace, binary,
            "-l", mainLcore + "," + forwardingLcore,
            "--main-lcore", Integer.toString(mainLcore),
            "--no-pci",
            // no hugepages here; --in-memory would be tidier but EAL refuses it with --no-huge
            "--no-huge", "-m", Integer.toString(memoryMb),
            // no secondary processes and no telemetry socket, so the run leaves nothing in its runtime directory
            "--no-shconf", "--no-telemetry",
            // so two runs never share a runtime directory
            "--file-prefix", filePrefix));
        for (final String vdev : vdevs())
        {
            command.add("--vdev");
            command.add(vdev);
        }
        final String queuesPerPort = Integer.toString(queuesPerPort());
        command.addAll(List.of(
            "--",
            "--forward-mode=" + mode.label(),
            "--auto-start",
            "--stats-period", "1",
            "--nb-cores=1",
            // as many queues each way as each port opened; with no port (a vdev that failed to probe) this also
            // makes testpmd exit, where it would otherwise sit forwarding nothing
            "--rxq=" + queuesPerPort, "--txq=" + queuesPerPort,
            "--rxd=" + rxDescriptors, "--txd=" + txDescriptors,
            "--burst=" + burst,
            "--total-num-mbufs=" + mbufs,
            // each port sends back out of itself (macswap)
            "--port-topology=loop"));
        if (maxPacketBytes > 0)
        {
            command.add("--mbuf-size=" + jumboMbufBytes());
            // DPDK 22.11's AF_PACKET PMD reports a 1518-byte limit, so ethdev refuses a larger --max-pkt-len, yet
            // it receives and sends whatever its ring frames hold: the limit is left alone there
            if (Pmd.AF_PACKET != pmd)
            {
                command.add("--max-pkt-len=" + maxPacketBytes);
            }
        }

        return List.copyOf(command);
    }

    /**
     * busy_budget=0: preferred busy polling does nothing on veth; force_copy=1: veth has no zero-copy, and Sluice
     * runs in copy mode there too. The af_xdp PMD takes several queues of one port only from a device that reports
     * combined channels, which veth does not ("queue count 2 is larger than combined queue count 1"), so each queue
     * is a port of its own, one single-queue vdev each, as DPDK users do on such devices. AF_PACKET: one port with
     * a queue pair per queue (a fanout group), and qdisc_bypass so that it sends as directly as it can.
     */
    private List<String> vdevs()
    {
        final List<String> vdevs = new ArrayList<>();
        switch (pmd)
        {
            case AF_XDP ->
            {
                for (int i = 0; i < queueCount; i++)
                {
                    vdevs.add("net_af_xdp" + i + ",iface=" + iface + ",start_queue=" + (queue + i) +
                        ",queue_count=1,busy_budget=0,force_copy=1");
                }
            }
            case AF_PACKET -> vdevs.add("net_af_packet0,iface=" + iface + ",qpairs=" + queueCount +
                ",qdisc_bypass=1" + (maxPacketBytes > 0 ? ",blocksz=" + JUMBO_RING_FRAME_BYTES + ",framesz=" +
                JUMBO_RING_FRAME_BYTES : ""));
        }

        return vdevs;
    }

    private int queuesPerPort()
    {
        return Pmd.AF_XDP == pmd ? 1 : queueCount;
    }

    /**
     * @param command a command and its arguments.
     * @return the command as one line a shell would run, arguments a shell would split quoted.
     */
    public static String commandLine(final List<String> command)
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
}
