package io.sluice.perf;

import io.sluice.perf.TestpmdOutput.FinalStats;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * testpmd rxonly on one end of a veth counts exactly the frames sent into the other end, and leaves nothing behind,
 * however it ends. When testpmd is not installed these fail with the install command: the project's installer
 * provides it.
 */
class TestpmdVethTest
{
    private static final int FRAMES = 10_000;
    private static final long RECEIVE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    /**
     * Sends exactly COUNT copies of one 60-byte UDP frame to DST_MAC from IFACE, through a raw AF_PACKET socket.
     * 32 frames, then 1 ms asleep: far below what testpmd drains, so its 2048-slot RX ring never fills.
     */
    private static final String SENDER = """
        import socket, struct, sys, time
        iface, dst, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), int(sys.argv[3])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        src = s.getsockname()[4]
        payload = b'sluice-testpmd' + bytes(4)
        udp = struct.pack('!HHHH', 40000, 9, 8 + len(payload), 0) + payload
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         socket.inet_aton('10.213.7.2'), socket.inet_aton('10.213.7.1'))
        words = struct.unpack('!10H', ip)
        checksum = sum(words)
        checksum = (checksum & 0xffff) + (checksum >> 16)
        checksum = ~(checksum + (checksum >> 16)) & 0xffff
        ip = ip[:10] + struct.pack('!H', checksum) + ip[12:]
        frame = (dst + src + b'\\x08\\x00' + ip + udp).ljust(60, b'\\0')
        sent = 0
        while sent < count:
            for _ in range(min(32, count - sent)):
                if s.send(frame) != len(frame):
                    sys.exit('short send')
                sent += 1
            time.sleep(0.001)
        print(sent)
        """;

    @Test
    void shouldCountEveryFrameSentIntoItsVethAndLeaveNothingBehind() throws Exception
    {
        Privileged.require("testpmd with net_af_xdp on a veth");
        try (NetNs rx = NetNs.create("tpmdrx"); NetNs tx = NetNs.create("tpmdtx"))
        {
            NetNs.veth(rx, "tpmd0", "10.213.7.1/24", tx, "tpmd1", "10.213.7.2/24");
            final String mac = rx.exec("cat", "/sys/class/net/tpmd0/address").strip();

            final long pid;
            final String runtimeDirectory;
            final FinalStats stats;
            try (Testpmd testpmd = Testpmd.start(TestpmdConfig.of(rx.name(), "tpmd0")))
            {
                pid = testpmd.pid();
                runtimeDirectory = testpmd.command().get(testpmd.command().indexOf("--file-prefix") + 1);
                assertTrue(rx.ip("link", "show", "dev", "tpmd0").contains("prog/xdp"),
                    "testpmd's XDP program is attached");

                assertEquals(Integer.toString(FRAMES),
                    tx.exec("python3", "-c", SENDER, "tpmd1", mac, Integer.toString(FRAMES)).strip());
                assertTrue(testpmd.awaitRxPackets(FRAMES, RECEIVE_TIMEOUT_NS),
                    "testpmd saw " + testpmd.rxPackets() + " of " + FRAMES + " frames:\n" + testpmd.output());

                stats = testpmd.stop();
                assertFalse(testpmd.samples().isEmpty());
                assertEquals(FRAMES, stats.rxPackets(), testpmd.output());
            }

            assertEquals(0, stats.rxDropped());
            assertEquals(0, stats.exitStatus());
            assertFalse(stats.killed());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "testpmd has exited");
            final String link = rx.ip("link", "show", "dev", "tpmd0");
            assertFalse(link.contains("xdp"), "XDP program detached: " + link);
            assertFalse(link.contains("PROMISC"), "promiscuous flag restored: " + link);
            assertFalse(Files.exists(Path.of(TestpmdHost.RUNTIME_DIR, runtimeDirectory)), "runtime directory removed");
        }
    }

    @Test
    void shouldSayTheQueueIsTakenWhenASecondTestpmdBindsIt()
    {
        Privileged.require("testpmd with net_af_xdp on a veth");
        try (NetNs rx = NetNs.create("tpmdrx"); NetNs tx = NetNs.create("tpmdtx"))
        {
            NetNs.veth(rx, "tpmd0", "10.213.7.1/24", tx, "tpmd1", "10.213.7.2/24");
            try (Testpmd first = Testpmd.start(TestpmdConfig.of(rx.name(), "tpmd0")))
            {
                final IllegalStateException ex = assertThrows(IllegalStateException.class,
                    () -> Testpmd.start(TestpmdConfig.of(rx.name(), "tpmd0")));

                assertTrue(ex.getMessage().contains("exited with status 1 before it was ready: the queue is taken"),
                    ex.getMessage());
                assertTrue(ex.getMessage().contains("Failed to create xsk socket"), ex.getMessage());
                assertTrue(ex.getMessage().contains("command: ip netns exec " + rx.name() + " dpdk-testpmd "),
                    ex.getMessage());
                assertEquals(0, first.stop().exitStatus(), first.output());
            }
        }
    }

    @Test
    void shouldDetachTheXdpProgramOfATestpmdItHadToKill() throws Exception
    {
        Privileged.require("testpmd with net_af_xdp on a veth");
        try (NetNs rx = NetNs.create("tpmdrx"); NetNs tx = NetNs.create("tpmdtx"))
        {
            NetNs.veth(rx, "tpmd0", "10.213.7.1/24", tx, "tpmd1", "10.213.7.2/24");
            try (Testpmd stuck = Testpmd.start(TestpmdConfig.of(rx.name(), "tpmd0")))
            {
                // stopped, it cannot act on SIGINT, so only SIGKILL ends it
                NetNs.run("kill", "-s", "STOP", Long.toString(stuck.pid()));

                final FinalStats stats = stuck.stop(TimeUnit.MILLISECONDS.toNanos(500));

                assertTrue(stats.killed());
                assertEquals(List.of(), stats.ports());
                assertFalse(ProcessHandle.of(stuck.pid()).map(ProcessHandle::isAlive).orElse(false));
                assertFalse(rx.ip("link", "show", "dev", "tpmd0").contains("xdp"));
            }

            try (Testpmd next = Testpmd.start(TestpmdConfig.of(rx.name(), "tpmd0")))
            {
                assertEquals(0, next.stop().exitStatus(), next.output());
            }
        }
    }
}
