package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.ChildProcess;
import io.sluice.xsk.util.NetNamespace;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The two test hosts a benchmark runs between: network namespaces named after the benchmark and this process,
 * joined by a veth pair, addressed and up, IPv6 off so nothing but the benchmark's own traffic crosses. Deleted on
 * close, and by a shutdown hook if the JVM exits first (SIGINT included).
 */
public final class TestHosts implements AutoCloseable
{
    private final String genNs;
    private final String dutNs;
    private final String genIf;
    private final String dutIf;
    private final List<String> created = new ArrayList<>();
    private final Thread cleanup = new Thread(this::deleteAll, "test-hosts-cleanup");

    /**
     * @param tag     short name of the benchmark, part of the namespace names.
     * @param genIf   interface on the generator's side.
     * @param genCidr its address, e.g. 10.214.0.1/24.
     * @param dutIf   interface on the side under test.
     * @param dutCidr its address.
     */
    public TestHosts(final String tag, final String genIf, final String genCidr, final String dutIf, final String dutCidr)
    {
        this(tag, genIf, genCidr, dutIf, dutCidr, 1);
    }

    /**
     * @param tag     short name of the benchmark, part of the namespace names.
     * @param genIf   interface on the generator's side.
     * @param genCidr its address, e.g. 10.214.0.1/24.
     * @param dutIf   interface on the side under test.
     * @param dutCidr its address.
     * @param queues  RX and TX queues on each end. veth puts a frame redirected by XDP on the peer's RX queue
     *                numbered as the sending CPU (modulo the count), and a frame sent by an AF_XDP socket on the
     *                queue numbered as the socket's.
     */
    public TestHosts(
        final String tag,
        final String genIf,
        final String genCidr,
        final String dutIf,
        final String dutCidr,
        final int queues)
    {
        final String prefix = "sluice-" + tag + "-" + ProcessHandle.current().pid();
        this.genNs = prefix + "-gen";
        this.dutNs = prefix + "-dut";
        this.genIf = genIf;
        this.dutIf = dutIf;
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            for (final String ns : List.of(genNs, dutNs))
            {
                run("ip", "netns", "add", ns);
                created.add(ns);
                run("ip", "-n", ns, "link", "set", "lo", "up");
                run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
            }
            final String count = Integer.toString(queues);
            run("ip", "-n", genNs, "link", "add", genIf, "numrxqueues", count, "numtxqueues", count, "type", "veth",
                "peer", "name", dutIf, "netns", dutNs, "numrxqueues", count, "numtxqueues", count);
            run("ip", "-n", genNs, "addr", "add", genCidr, "dev", genIf);
            run("ip", "-n", dutNs, "addr", "add", dutCidr, "dev", dutIf);
            run("ip", "-n", genNs, "link", "set", genIf, "up");
            run("ip", "-n", dutNs, "link", "set", dutIf, "up");
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    public String genNs()
    {
        return genNs;
    }

    public String dutNs()
    {
        return dutNs;
    }

    public String genIf()
    {
        return genIf;
    }

    public String dutIf()
    {
        return dutIf;
    }

    /**
     * A UDP frame from the generator's end to the DUT's, between the two ends' MAC addresses.
     *
     * @param genAddr      source address, the generator's end's.
     * @param dutAddr      destination address, the DUT's end's.
     * @param srcPort      source port.
     * @param dstPort      destination port.
     * @param payloadBytes payload length; 22 makes a 64-byte frame on the wire, FCS included.
     * @return the frame.
     */
    public byte[] udpToDut(
        final String genAddr, final String dutAddr, final int srcPort, final int dstPort, final int payloadBytes)
    {
        return Frames.ethernet().macs(mac(dutNs, dutIf), mac(genNs, genIf)).ipv4(genAddr, dutAddr)
            .udp(srcPort, dstPort).payload(new byte[payloadBytes]).build();
    }

    /**
     * Send frames from the generator's end with Sluice's generator, from CPU 0, paced, and close it.
     *
     * @param template        the frame, e.g. from {@link #udpToDut}.
     * @param sourceAddresses source addresses to cycle through, the template's first.
     * @param frames          how many.
     * @param ratePps         frames per second, 0 for as fast as possible.
     * @return frames sent.
     * @throws Exception if the generator cannot be opened in the generator's namespace.
     */
    public long send(final byte[] template, final int sourceAddresses, final long frames, final long ratePps)
        throws Exception
    {
        return NetNamespace.call(genNs, () ->
        {
            try (TrafficGenerator generator = TrafficGenerator.builder().egress(genIf).template(template)
                .sourceAddresses(sourceAddresses).cpu(0).open())
            {
                return generator.send(frames, ratePps);
            }
        });
    }

    /**
     * Give both ends an MTU: before any XDP program is attached for one over a page, since veth refuses it under a
     * program that does not take multi-buffer packets.
     *
     * @param mtu bytes, e.g. 9000.
     */
    public void mtu(final int mtu)
    {
        run("ip", "-n", genNs, "link", "set", "dev", genIf, "mtu", Integer.toString(mtu));
        run("ip", "-n", dutNs, "link", "set", "dev", dutIf, "mtu", Integer.toString(mtu));
    }

    /**
     * @param ns     namespace.
     * @param ifname interface in it.
     * @return its MAC address, as {@code ip link} prints it.
     */
    public static String mac(final String ns, final String ifname)
    {
        final String out = run("ip", "-n", ns, "link", "show", "dev", ifname);
        final int at = out.indexOf("link/ether ");
        return out.substring(at + 11, at + 28);
    }

    @Override
    public void close()
    {
        deleteAll();
        try
        {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        catch (final IllegalStateException ignore)
        {
            // shutting down: the hook runs and finds nothing left
        }
    }

    private synchronized void deleteAll()
    {
        for (final String ns : created)
        {
            try
            {
                run("ip", "netns", "del", ns);
            }
            catch (final RuntimeException ex)
            {
                System.err.println("warning: could not delete namespace " + ns + ": " + ex.getMessage());
            }
        }
        created.clear();
    }

    /**
     * Run a command, returning its output.
     *
     * @throws IllegalStateException with the output if it fails.
     */
    /**
     * Frames a veth end refused to hand to its peer after the generator counted them sent: XDP frames for which the
     * peer's ring had no room ({@code tx_queue_N_xdp_xmit_errors}; the live-frame generator cannot see them). The
     * tc generator's clones that veth drops ({@code tx_dropped}) are not among them: the clone fails, and the
     * generator counts it a failure, not sent.
     *
     * @param ns     the veth end's namespace.
     * @param ifname the veth end.
     * @return frames refused so far.
     */
    public static long vethRefused(final String ns, final String ifname)
    {
        long refused = 0;
        for (final String line : run("ip", "netns", "exec", ns, "ethtool", "-S", ifname).split("\n"))
        {
            final String stat = line.strip();
            if (stat.matches("tx_queue_[0-9]+_xdp_xmit_errors: [0-9]+"))
            {
                refused += Long.parseLong(stat.substring(stat.indexOf(':') + 1).strip());
            }
        }

        return refused;
    }

    public static String run(final String... command)
    {
        try
        {
            final ChildProcess.Result result = ChildProcess.builder(command).mergeStderr().run(ChildProcess.NO_TIMEOUT);
            if (0 != result.exitStatus())
            {
                throw new IllegalStateException(String.join(" ", command) + " exited " + result.exitStatus() + ": " +
                    result.stdout().strip());
            }

            return result.stdout();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + " interrupted", ex);
        }
    }
}
