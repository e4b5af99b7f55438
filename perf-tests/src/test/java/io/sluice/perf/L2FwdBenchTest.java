package io.sluice.perf;

import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice bench l2fwd} as a user runs it, with the same contract as rxdrop: READY, STAT lines, and on SIGINT
 * a TOTAL line in which every frame sent was received and reflected or counted by the kernel, the accounting
 * balanced, and exit status 0; and every reflected frame arrives back at the sender.
 */
class L2FwdBenchTest
{
    private static final Pattern TOTAL = Pattern.compile(
        "^TOTAL rx_packets=(\\d+) tx_packets=(\\d+) duration_s=[0-9.]+ tx_mpps_avg=[0-9.]+ kernel_drops=(\\d+) " +
        "rx_ring_full=\\d+ fill_ring_empty=\\d+ tx_drops=(\\d+) rx_backpressure=\\d+ parse_errors=0 alloc_bytes_per_pkt=([0-9.]+) xdp_redirect=(\\d+) .*balanced=true .*");

    @Test
    void shouldReflectExactlyWhatWasSentAndReportItOnSigint() throws Exception
    {
        Privileged.require("./sluice bench l2fwd in a network namespace");
        final int frames = 100_000;
        try (TestHosts hosts = new TestHosts("l2t", "lbt0", "10.220.0.1/24", "lbt1", "10.220.0.2/24");
            SluiceProcess process = SluiceProcess.start(hosts.dutNs(), "bench", "l2fwd", "--iface", hosts.dutIf(),
                "--queue", "0", "--cpu", "1", "--idle", "backoff"))
        {
            // GRO gives the sender's veth end NAPI, without which veth drops what comes back
            TestHosts.run("ip", "netns", "exec", hosts.genNs(), "ethtool", "-K", hosts.genIf(), "gro", "on");
            assertTrue(process.await("READY", 120), () -> "no READY line: " + process.output());
            assertEquals(frames, RxDropBenchTest.send(hosts, "10.220.0.1", "10.220.0.2", frames, 50_000));
            final long reflected = reflected(RxDropBenchTest.stopAndTotal(process, TOTAL), frames);
            assertEquals(reflected, rxPackets(hosts.genNs(), hosts.genIf()), "every reflected frame came back");
        }
    }

    /**
     * At MTU 9000 with {@code --multi-buffer}: 8,996-byte frames through the full pipeline, each a chain of three
     * UMEM frames reflected whole from its own buffers; what came back is every reflected packet, at its full size.
     */
    @Test
    void shouldReflectEveryJumboFrameWholeWithMultiBuffer() throws Exception
    {
        Privileged.require("./sluice bench l2fwd --multi-buffer in a network namespace");
        final int frames = 20_000;
        try (TestHosts hosts = new TestHosts("l2j", "lbj0", "10.220.1.1/24", "lbj1", "10.220.1.2/24"))
        {
            hosts.mtu(RxDropBenchTest.JUMBO_MTU);
            TestHosts.run("ip", "netns", "exec", hosts.genNs(), "ethtool", "-K", hosts.genIf(), "gro", "on");
            try (SluiceProcess process = SluiceProcess.start(hosts.dutNs(), "bench", "l2fwd", "--iface",
                hosts.dutIf(), "--queue", "0", "--cpu", "1", "--idle", "backoff", "--frame-size", "4096",
                "--multi-buffer"))
            {
                assertTrue(process.await("READY", 120), () -> "no READY line: " + process.output());
                assertTrue(process.line("READY").endsWith(" multi_buffer=true"), process::output);
                final long bytesBefore = rxBytes(hosts.genNs(), hosts.genIf());
                final long packetsBefore = rxPackets(hosts.genNs(), hosts.genIf());
                assertEquals(frames, RxDropBenchTest.sendJumbo(hosts, "10.220.1.1", "10.220.1.2", frames,
                    RxDropBenchTest.JUMBO_FRAME_BYTES));
                final long reflected = reflected(RxDropBenchTest.stopAndTotal(process, TOTAL), frames);
                assertEquals(reflected, rxPackets(hosts.genNs(), hosts.genIf()) - packetsBefore,
                    "every reflected packet came back");
                assertEquals(reflected * RxDropBenchTest.JUMBO_FRAME_BYTES,
                    rxBytes(hosts.genNs(), hosts.genIf()) - bytesBefore, "each whole, as sent");
            }
        }
    }

    /**
     * @return what the TOTAL line says was reflected, once every frame is steered, received or counted by the
     * kernel, and reflected or counted as a TX drop.
     */
    private static long reflected(final Matcher total, final long frames)
    {
        final long received = Long.parseLong(total.group(1));
        final long reflected = Long.parseLong(total.group(2));
        assertEquals(frames, Long.parseLong(total.group(6)), "steered every frame: " + total.group());
        assertEquals(frames, received + Long.parseLong(total.group(3)), "received or counted by the kernel: " +
            total.group());
        assertEquals(received, reflected + Long.parseLong(total.group(4)), "reflected or counted as TX drops: " +
            total.group());

        return reflected;
    }

    /**
     * @return the interface's RX packet count, from {@code ip -s link}.
     */
    static long rxPackets(final String namespace, final String ifname)
    {
        return rxStatistic(namespace, ifname, 1);
    }

    static long rxBytes(final String namespace, final String ifname)
    {
        return rxStatistic(namespace, ifname, 0);
    }

    /**
     * @param column 0 for bytes, 1 for packets, in {@code ip -s link}'s RX line.
     */
    private static long rxStatistic(final String namespace, final String ifname, final int column)
    {
        final String[] lines = TestHosts.run("ip", "-n", namespace, "-s", "link", "show", ifname).split("\n");
        for (int i = 0; i < lines.length - 1; i++)
        {
            if (lines[i].strip().startsWith("RX:"))
            {
                return Long.parseLong(lines[i + 1].strip().split("\\s+")[column]);
            }
        }
        throw new IllegalStateException("no RX statistics for " + ifname);
    }
}
