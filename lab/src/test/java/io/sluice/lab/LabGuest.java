package io.sluice.lab;

import io.sluice.xsk.testing.NetNs;
import org.junit.jupiter.api.Assertions;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab guest as {@code lab/guest/stage2.sh} wires it, for the tests that run inside it: the device under test's
 * NICs {@code eth1} and {@code eth3} in the root namespace, the generator's {@code eth0} and {@code eth2} in
 * namespace {@code gen}, each pair on one QEMU hub, IPv6 off, so a wire carries only what a test sends.
 */
final class LabGuest
{
    static final String DUT_IF = "eth1";
    static final String DUT_IF2 = "eth3";
    static final String GEN_IF = "eth0";
    static final String GEN_IF2 = "eth2";
    static final String GEN_NS = "gen";
    static final String GEN_ADDR = "10.77.1.1";
    static final String DUT_ADDR = "10.77.1.2";
    static final String GEN_MAC = "52:54:00:5c:00:00";
    static final String DUT_MAC = "52:54:00:5c:00:01";
    static final String GEN_MAC2 = "52:54:00:5c:00:02";
    static final String DUT_MAC2 = "52:54:00:5c:00:03";
    /**
     * What {@code lab/guest/offer.py} sends: 60-byte IPv4/UDP frames.
     */
    static final int OFFERED_FRAME_BYTES = 60;


    private static final long AWAIT_TIMEOUT_NS = 60_000_000_000L;
    private static final long AWAIT_STALL_NS = 2_000_000_000L;
    private static final Pattern OFFERED = Pattern.compile(
        "offered (\\d+) frames from gen:(\\S+) to \\S+ in \\S+ s \\(\\S+ tx_packets \\+(\\d+),");

    private LabGuest()
    {
    }

    /**
     * Fail unless running in the lab's guest: these tests assert what only its drivers do.
     *
     * @return the driver under test, {@code virtio_net} or {@code igb}.
     */
    static String require()
    {
        final String driver = System.getenv("SLUICE_LAB_DRIVER");
        Assertions.assertTrue("1".equals(System.getenv("SLUICE_LAB")) && null != driver,
            "runs only inside ./sluice lab's guest (./sluice lab --scenario tests)");

        return driver;
    }

    /**
     * Offer UDP frames from the generator's {@code eth0} to the DUT's {@code eth1} with the kernel's AF_PACKET
     * socket, paced, each refused send retried: every frame counted was handed to the generator's driver, which its
     * {@code tx_packets} confirms.
     *
     * @param frames  how many.
     * @param ratePps how fast.
     * @return frames the generator's NIC sent.
     */
    static long offer(final int frames, final int ratePps)
    {
        return offer(frames, ratePps, 1);
    }

    /**
     * {@link #offer(int, int)} over several flows, for a NIC's RSS to spread across its queues.
     *
     * @param frames  how many.
     * @param ratePps how fast.
     * @param flows   flows f below it, source port {@link #flowPort}(f), one frame each in turn.
     * @return frames the generator's NIC sent.
     */
    static long offer(final int frames, final int ratePps, final int flows)
    {
        return offer(frames, ratePps, flows, OFFERED_FRAME_BYTES);
    }

    /**
     * {@link #offer(int, int, int)} with frames of the given sizes in turn, the UDP payload's byte k being
     * {@code k & 0xff}; a size over 1514 needs a larger MTU at both ends.
     *
     * @param frames  how many.
     * @param ratePps how fast.
     * @param flows   flows f below it, source port {@link #flowPort}(f), one frame each in turn.
     * @param sizes   frame sizes in bytes, Ethernet header included, one frame each in turn.
     * @return frames the generator's NIC sent.
     */
    static long offer(final int frames, final int ratePps, final int flows, final int... sizes)
    {
        final StringBuilder sizeList = new StringBuilder();
        for (final int size : sizes)
        {
            sizeList.append(sizeList.isEmpty() ? "" : ",").append(size);
        }
        final String script = Path.of(System.getenv("SLUICE_HOME"), "lab", "guest", "offer.py").toString();
        final String out = NetNs.run("ip", "netns", "exec", GEN_NS, "/usr/bin/python3", script, GEN_IF, DUT_MAC,
            GEN_ADDR, DUT_ADDR, Integer.toString(frames), Integer.toString(ratePps), Integer.toString(flows), sizeList.toString());
        final Matcher matcher = OFFERED.matcher(out);
        Assertions.assertTrue(matcher.find(), "offer.py printed: " + out);
        final long sent = Long.parseLong(matcher.group(1));
        Assertions.assertEquals(frames, sent, out);
        Assertions.assertEquals(sent, Long.parseLong(matcher.group(3)), "the generator NIC's tx_packets: " + out);

        return sent;
    }

    /**
     * @param flow a flow {@link #offer(int, int, int)} sends.
     * @return its UDP source port, as {@code offer.py}'s {@code flow_port} has it: 40000 for flow 0, the others
     * spread by a multiplier whose carries mix the bits. Ports 40000 + f differ in their low bits only, and RSS's
     * Toeplitz hash, linear in the bits, puts them in a small subspace, which a boot's random key kept off one of
     * igb's five queues in one CI run (64 flows, none on queue 4).
     */
    static int flowPort(final int flow)
    {
        return 40_000 + (flow * 7919) % 25_000;
    }

    /**
     * @param namespace the generator's ({@link #GEN_NS}), or null for the DUT's (this one).
     * @param iface     a NIC there.
     * @param name      a file of its {@code statistics/} directory, e.g. {@code rx_packets}.
     * @return the kernel's count.
     */
    static long statistic(final String namespace, final String iface, final String name)
    {
        final String file = "/sys/class/net/" + iface + "/statistics/" + name;
        final String text = null == namespace ? NetNs.run("cat", file) : NetNs.run("ip", "netns", "exec", namespace,
            "cat", file);

        return Long.parseLong(text.strip());
    }

    /**
     * @param namespace the generator's ({@link #GEN_NS}), or null for the DUT's (this one).
     * @param iface     a NIC there.
     * @return its driver's non-zero {@code ethtool -S} counters, for a failure's message.
     */
    static String nicStatistics(final String namespace, final String iface)
    {
        final String text = null == namespace ? NetNs.run("ethtool", "-S", iface) :
            NetNs.run("ip", "netns", "exec", namespace, "ethtool", "-S", iface);
        final StringBuilder out = new StringBuilder(iface).append(':');
        for (final String line : text.split("\n"))
        {
            final String[] parts = line.strip().split(":\\s*");
            if (2 == parts.length && !"0".equals(parts[1]))
            {
                out.append(' ').append(parts[0]).append('=').append(parts[1]);
            }
        }

        return out.toString();
    }

    /**
     * Wait until a count reaches what is expected, or, once it has moved, stops moving for two seconds, or 60 s
     * passed: a count that falls short is returned for the caller's assertion to show.
     *
     * @param count    read repeatedly.
     * @param expected the value wanted.
     * @return its last value.
     */
    static long await(final LongSupplier count, final long expected)
    {
        final long first = count.getAsLong();
        final long deadlineNs = System.nanoTime() + AWAIT_TIMEOUT_NS;
        long last = first;
        long lastChangeNs = System.nanoTime();
        while (last < expected && System.nanoTime() < deadlineNs &&
            (last == first || System.nanoTime() - lastChangeNs < AWAIT_STALL_NS))
        {
            LockSupport.parkNanos(20_000_000L);
            final long now = count.getAsLong();
            if (now != last)
            {
                last = now;
                lastChangeNs = System.nanoTime();
            }
        }

        return last;
    }
}
