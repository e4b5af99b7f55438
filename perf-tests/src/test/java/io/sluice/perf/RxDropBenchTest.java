package io.sluice.perf;

import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.NetNamespace;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice bench rxdrop} as a user runs it: inside a namespace with {@code ip netns exec}, on the already-built
 * project, fed by the generator; READY, STAT lines, and on SIGINT a TOTAL line with exactly what was sent, and
 * exit status 0.
 */
class RxDropBenchTest
{
    private static final Pattern TOTAL = Pattern.compile(
        "^TOTAL rx_packets=(\\d+) duration_s=[0-9.]+ rx_mpps_avg=[0-9.]+ rx_dropped=(\\d+) rx_invalid_descs=0 " +
        "tx_invalid_descs=0 rx_ring_full=(\\d+) rx_fill_ring_empty_descs=\\d+ tx_ring_empty_descs=0 " +
        "alloc_bytes_per_pkt=[0-9.]+ xdp_redirect=(\\d+) .*mode=copy$");

    @Test
    void shouldReceiveExactlyWhatWasSentAndReportItOnSigint() throws Exception
    {
        Privileged.require("./sluice bench rxdrop in a network namespace");
        final int frames = 200_000;
        try (TestHosts hosts = new TestHosts("rxt", "rbt0", "10.215.0.1/24", "rbt1", "10.215.0.2/24");
            SluiceProcess process = SluiceProcess.start(hosts.dutNs(), "bench", "rxdrop", "--iface", hosts.dutIf(),
                "--queue", "0", "--cpu", "1"))
        {
            assertTrue(process.await("READY", 120), () -> "no READY line: " + process.output());
            assertEquals(frames, send(hosts, "10.215.0.1", "10.215.0.2", frames, 200_000));
            final Matcher m = stopAndTotal(process, TOTAL);
            assertTrue(process.lines().stream().anyMatch((l) -> l.matches("^STAT t=\\d+ rx_mpps=[0-9.]+ .*")),
                process::output);
            assertAccounted(m, frames);
            assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
                "detached on exit");
        }
    }

    /**
     * A script's background job starts with SIGINT ignored, and a JVM leaves an ignored signal alone: the launcher
     * gives SIGINT its default back, or ./sluice perf (which stops each bench with it) waits and gives up.
     */
    @Test
    void shouldStopOnSigintWhenStartedWithItIgnored() throws Exception
    {
        Privileged.require("./sluice bench rxdrop in a network namespace");
        try (TestHosts hosts = new TestHosts("rxi", "rbi0", "10.215.2.1/24", "rbi1", "10.215.2.2/24");
            SluiceProcess process = SluiceProcess.startCommand(List.of("sh", "-c", "trap '' INT; exec ip netns " +
                "exec " + hosts.dutNs() + " " + SluiceProcess.sluiceHome().resolve("sluice") + " bench rxdrop " +
                "--iface " + hosts.dutIf())))
        {
            assertTrue(process.await("READY", 120), () -> "no READY line: " + process.output());

            process.signal("INT");

            assertEquals(0, process.waitFor(30), process::output);
            assertTrue(process.line("TOTAL").startsWith("TOTAL rx_packets=0 "), process::output);
        }
    }

    /**
     * At MTU 9000, with {@code --multi-buffer}: 8,996-byte frames, each a chain of three 4096-byte UMEM frames, are
     * counted once each, received or lost by the kernel, and the TOTAL line says multi-buffer.
     */
    @Test
    void shouldCountEveryJumboFrameOnceAsAWholePacketWithMultiBuffer() throws Exception
    {
        Privileged.require("./sluice bench rxdrop --multi-buffer in a network namespace");
        final int frames = 20_000;
        try (TestHosts hosts = new TestHosts("rxj", "rbj0", "10.215.1.1/24", "rbj1", "10.215.1.2/24"))
        {
            hosts.mtu(JUMBO_MTU);
            try (SluiceProcess process = SluiceProcess.start(hosts.dutNs(), "bench", "rxdrop", "--iface",
                hosts.dutIf(), "--queue", "0", "--cpu", "1", "--frame-size", "4096", "--multi-buffer"))
            {
                assertTrue(process.await("READY", 120), () -> "no READY line: " + process.output());
                assertTrue(process.line("READY").contains(" multi_buffer=true "), process::output);
                assertEquals(frames, sendJumbo(hosts, "10.215.1.1", "10.215.1.2", frames, JUMBO_FRAME_BYTES));
                assertAccounted(stopAndTotal(process, TOTAL), frames);
            }
        }
    }

    /**
     * Wait for a STAT line after the last frame, stop the bench with SIGINT as a user does, and read its TOTAL line.
     *
     * @param process a bench that printed READY.
     * @param total   what its TOTAL line must match.
     * @return the match.
     */
    static Matcher stopAndTotal(final SluiceProcess process, final Pattern total) throws InterruptedException
    {
        assertTrue(process.await("STAT t=", 10), () -> "no STAT line: " + process.output());
        Thread.sleep(1500);

        process.signal("INT");
        assertEquals(0, process.waitFor(30), process::output);
        final Matcher m = total.matcher(process.line("TOTAL"));
        assertTrue(m.matches(), process::output);

        return m;
    }

    private static void assertAccounted(final Matcher total, final long frames)
    {
        final long received = Long.parseLong(total.group(1));
        final long lost = Long.parseLong(total.group(2)) + Long.parseLong(total.group(3));
        assertEquals(frames, received + lost, "every frame received or counted by the kernel: " + total.group());
        assertEquals(frames, Long.parseLong(total.group(4)), "the XDP program steered every frame: " + total.group());
    }

    /**
     * The jumbo frame the tests send: MTU 9000's largest IPv4/UDP frame less 18, 8,996 bytes without FCS, as
     * {@code ./sluice perf --frame-size 9000} sends.
     */
    static final int JUMBO_FRAME_BYTES = 8_996;

    /**
     * The MTU both veth ends get for it.
     */
    static final int JUMBO_MTU = 9000;

    /**
     * Send jumbo UDP frames from the test host to the host under test with {@link XskSender}, as the perf
     * harness does: the live-frame generator takes one page at most.
     *
     * @return frames sent.
     */
    static long sendJumbo(
        final TestHosts hosts, final String genAddr, final String dutAddr, final long frames, final int frameBytes)
        throws Exception
    {
        final byte[] template = hosts.udpToDut(genAddr, dutAddr, 4000, 9, frameBytes - 42);

        return NetNamespace.call(hosts.genNs(), () ->
        {
            try (XskSender sender = new XskSender(hosts.genIf(), 0, template, 0))
            {
                return sender.send(frames, Duration.ofSeconds(60));
            }
        });
    }

    /**
     * Send UDP frames from the test host to the host under test, as the generator does.
     *
     * @return frames sent.
     */
    static long send(final TestHosts hosts, final String genAddr, final String dutAddr, final long frames,
        final long ratePps) throws Exception
    {
        final byte[] template = hosts.udpToDut(genAddr, dutAddr, 4000, 9, 22);

        return NetNamespace.call(hosts.genNs(), () ->
        {
            try (TrafficGenerator generator = TrafficGenerator.builder().egress(hosts.genIf())
                .template(template).cpu(0).open())
            {
                return generator.send(frames, ratePps);
            }
        });
    }
}
