package io.sluice.perf;

import io.sluice.perf.TestpmdConfig.ForwardMode;
import io.sluice.perf.TestpmdOutput.FinalStats;
import io.sluice.perf.TestpmdOutput.ForwardStats;
import io.sluice.perf.TestpmdOutput.PortStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The testpmd output parser, on output captured from dpdk-testpmd 22.11 (Debian 12) with net_af_xdp on a veth in a
 * namespace, escape sequences kept:
 * <ul>
 *     <li>testpmd-rxonly-veth.txt: rxonly, a C AF_PACKET sendmmsg loop sending 3,403,584 frames for 3 s;</li>
 *     <li>testpmd-rxonly-overrun.txt: the same sender overrunning the RX ring, so RX-missed counts;</li>
 *     <li>testpmd-macswap-veth.txt: macswap, 1,000 frames sent back;</li>
 *     <li>the others: the ways startup failed here.</li>
 * </ul>
 */
class TestpmdOutputTest
{
    @Test
    void shouldParseEveryStatsPeriodBlockOfARealRun() throws IOException
    {
        final List<PortStats> samples = TestpmdOutput.parsePortStats(resource("testpmd-rxonly-veth.txt"));

        assertEquals(List.of(0L, 0L, 0L, 997_515L, 1_127_362L, 1_096_968L, 178_466L),
            samples.stream().map(PortStats::rxPps).toList());
        assertEquals(List.of(0L, 0L, 0L, 1_000_365L, 2_127_896L, 3_225_070L, 3_403_584L),
            samples.stream().map(PortStats::rxPackets).toList());
        final PortStats last = samples.getLast();
        assertEquals(0, last.port());
        assertEquals(204_215_040L, last.rxBytes());
        assertEquals(85_664_056L, last.rxBps());
        assertEquals(0, last.rxMissed());
        assertEquals(0, last.txPackets());
        assertEquals(0, last.txPps());
    }

    @Test
    void shouldParseTheForwardStatisticsPrintedOnStop() throws IOException
    {
        final List<ForwardStats> ports = TestpmdOutput.parseForwardStats(resource("testpmd-rxonly-veth.txt"));

        assertEquals(List.of(new ForwardStats(0, 3_403_584L, 0, 3_403_584L, 0, 0, 0)), ports);
        assertEquals(3_403_584L, new FinalStats(ports, 0, false).rxPackets());
    }

    @Test
    void shouldCountFramesTheKernelCouldNotQueueAsMissedAndDropped() throws IOException
    {
        final String text = resource("testpmd-rxonly-overrun.txt");
        final PortStats last = TestpmdOutput.parsePortStats(text).getLast();
        final FinalStats stats = new FinalStats(TestpmdOutput.parseForwardStats(text), 0, false);

        assertEquals(3_430_628L, last.rxPackets());
        assertEquals(1_171_484L, last.rxMissed());
        assertEquals(3_430_628L, stats.rxPackets());
        assertEquals(1_171_484L, stats.rxDropped());
        assertEquals(4_602_112L, stats.ports().getFirst().rxTotal());
    }

    @Test
    void shouldParseTransmitCountersOfMacswap() throws IOException
    {
        final String text = resource("testpmd-macswap-veth.txt");
        final PortStats last = TestpmdOutput.parsePortStats(text).getLast();
        final FinalStats stats = new FinalStats(TestpmdOutput.parseForwardStats(text), 0, false);

        assertEquals(1_000, last.txPackets());
        assertEquals(60_000, last.txBytes());
        assertEquals(998, last.txPps());
        assertEquals(1_000, stats.rxPackets());
        assertEquals(1_000, stats.txPackets());
    }

    @Test
    void shouldRemoveTheClearScreenBeforeEachBlock() throws IOException
    {
        final String text = resource("testpmd-rxonly-veth.txt");

        assertTrue(text.contains("\u001B[2J\u001B[1;1H"), "the capture keeps testpmd's escape sequences");
        assertFalse(TestpmdOutput.stripAnsi(text).contains("\u001B"));
        assertEquals("\nPort statistics ====", TestpmdOutput.stripAnsi("\u001B[2J\u001B[1;1H\nPort statistics ===="));
    }

    @Test
    void shouldLeaveOutABlockCutShort() throws IOException
    {
        final String text = resource("testpmd-rxonly-veth.txt");
        final int lastBlock = text.lastIndexOf("NIC statistics for port 0");
        final String cut = text.substring(0, text.indexOf("Rx-pps", lastBlock));

        assertEquals(6, TestpmdOutput.parsePortStats(cut).size());
        assertEquals(List.of(), TestpmdOutput.parseForwardStats(cut));
    }

    @Test
    void shouldParseOneEntryPerPortOfABlock()
    {
        final String block = """
            Port statistics ====================================
              ######################## NIC statistics for port 0  ########################
              RX-packets: 10         RX-missed: 1          RX-bytes:  600
              RX-errors: 0
              RX-nombuf:  0
              TX-packets: 0          TX-errors: 0          TX-bytes:  0

              Throughput (since last show)
              Rx-pps:            5          Rx-bps:         2400
              Tx-pps:            0          Tx-bps:            0
              ############################################################################

              ######################## NIC statistics for port 1  ########################
              RX-packets: 20         RX-missed: 0          RX-bytes:  1200
              RX-errors: 0
              RX-nombuf:  0
              TX-packets: 3          TX-errors: 0          TX-bytes:  180

              Throughput (since last show)
              Rx-pps:            7          Rx-bps:         3360
              Tx-pps:            1          Tx-bps:          480
              ############################################################################
            """;

        final List<PortStats> samples = TestpmdOutput.parsePortStats(block);

        assertEquals(List.of(
            new PortStats(0, 10, 1, 600, 0, 0, 0, 0, 0, 5, 2400, 0, 0),
            new PortStats(1, 20, 0, 1200, 0, 0, 3, 0, 180, 7, 3360, 1, 480)), samples);
    }

    @Test
    void shouldFindNoStatisticsWhenStartupFailed() throws IOException
    {
        for (final String name : List.of("testpmd-no-such-interface.txt", "testpmd-queue-busy.txt",
            "testpmd-unknown-driver.txt", "testpmd-not-installed.txt"))
        {
            final String text = resource(name);
            assertEquals(List.of(), TestpmdOutput.parsePortStats(text), name);
            assertEquals(List.of(), TestpmdOutput.parseForwardStats(text), name);
        }
    }

    @Test
    void shouldTellHowToInstallTestpmdWhenItIsMissing() throws IOException
    {
        final String hint = TestpmdOutput.diagnose(resource("testpmd-not-installed.txt"));

        assertTrue(hint.contains(TestpmdHost.INSTALL_HINT), hint);
        assertTrue(TestpmdHost.INSTALL_HINT.contains("dpdk-dev") &&
            TestpmdHost.INSTALL_HINT.contains("librte-net-af-xdp23"));
    }

    @Test
    void shouldTellWhichStartupFailureHappened() throws IOException
    {
        assertTrue(TestpmdOutput.diagnose(resource("testpmd-unknown-driver.txt"))
            .contains("net_af_xdp PMD is not installed"));
        assertTrue(TestpmdOutput.diagnose(resource("testpmd-no-such-interface.txt"))
            .contains("could not open the interface"));
        assertTrue(TestpmdOutput.diagnose(resource("testpmd-queue-busy.txt")).contains("the queue is taken"));
        assertEquals("see testpmd's output", TestpmdOutput.diagnose(resource("testpmd-rxonly-veth.txt")));
    }

    @Test
    void shouldRefuseTotalsWhenTestpmdWasKilledBeforePrintingThem()
    {
        final FinalStats stats = new FinalStats(List.of(), 137, true);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, stats::rxPackets);
        assertTrue(ex.getMessage().contains("killed with SIGKILL"), ex.getMessage());
    }

    @Test
    void shouldPutModeQueueLcoresAndRingsOnTheCommandLine()
    {
        final TestpmdConfig config = TestpmdConfig.of("sluicet-bench-1-1", "veth0").withQueue(2)
            .withMode(ForwardMode.MACSWAP).withLcores(1, 0).withDescriptors(4096, 1024).withBurst(64);

        final String line = TestpmdConfig.commandLine(config.command("dpdk-testpmd", "sluice-testpmd-7-1"));

        assertEquals("ip netns exec sluicet-bench-1-1 dpdk-testpmd -l 1,0 --main-lcore 1 --no-pci --no-huge -m 256 " +
            "--no-shconf --no-telemetry --file-prefix sluice-testpmd-7-1 " +
            "--vdev net_af_xdp0,iface=veth0,start_queue=2,queue_count=1,busy_budget=0,force_copy=1 " +
            "-- --forward-mode=macswap --auto-start --stats-period 1 --nb-cores=1 --rxq=1 --txq=1 --rxd=4096 " +
            "--txd=1024 --burst=64 --total-num-mbufs=16384 --port-topology=loop", line);
    }

    @Test
    void shouldOpenAnAfXdpPortPerQueueAndAnAfPacketQueuePairPerQueue()
    {
        final TestpmdConfig config = TestpmdConfig.of("ns", "veth0").withMemory(49_152, 384).withQueues(1, 3);

        final String afXdp = TestpmdConfig.commandLine(config.command("dpdk-testpmd", "p"));
        final String afPacket = TestpmdConfig.commandLine(config.withPmd(TestpmdConfig.Pmd.AF_PACKET)
            .command("dpdk-testpmd", "p"));

        assertTrue(afXdp.contains("--vdev net_af_xdp0,iface=veth0,start_queue=1,queue_count=1,busy_budget=0," +
            "force_copy=1 --vdev net_af_xdp1,iface=veth0,start_queue=2,queue_count=1,busy_budget=0,force_copy=1 " +
            "--vdev net_af_xdp2,iface=veth0,start_queue=3,queue_count=1,busy_budget=0,force_copy=1 -- "), afXdp);
        assertTrue(afXdp.contains(" --nb-cores=1 --rxq=1 --txq=1 "), afXdp);
        assertTrue(afPacket.contains("--vdev net_af_packet0,iface=veth0,qpairs=3,qdisc_bypass=1 -- "), afPacket);
        assertTrue(afPacket.contains(" --nb-cores=1 --rxq=3 --txq=3 "), afPacket);
        assertThrows(IllegalArgumentException.class, () -> TestpmdConfig.of("ns", "veth0").withQueues(0, 0));
        assertThrows(IllegalArgumentException.class, () -> TestpmdConfig.of("ns", "veth0").withQueues(0, 3),
            "16,384 mbufs are too few for three queues' rings");
    }

    @Test
    void shouldRejectConfigurationsTestpmdWouldRefuse()
    {
        final TestpmdConfig config = TestpmdConfig.of("ns", "veth0");

        assertThrows(IllegalArgumentException.class, () -> config.withLcores(1, 1));
        assertThrows(IllegalArgumentException.class, () -> config.withDescriptors(1000, 2048));
        assertThrows(IllegalArgumentException.class, () -> config.withBurst(0));
        assertThrows(IllegalArgumentException.class, () -> config.withMemory(4096, 256));
        assertThrows(IllegalArgumentException.class, () -> TestpmdConfig.of("ns", "veth0,iface=eth0"));
    }

    @Test
    void shouldQuoteArgumentsAShellWouldSplit()
    {
        assertEquals("echo 'a b' 'it'\\''s' plain",
            TestpmdConfig.commandLine(List.of("echo", "a b", "it's", "plain")));
    }

    private static String resource(final String name) throws IOException
    {
        try (InputStream in = TestpmdOutputTest.class.getResourceAsStream(name))
        {
            if (null == in)
            {
                throw new IOException("no test resource " + name);
            }

            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
