package io.sluice.xsk.xdp;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The XDP program's blocks, run in the kernel with BPF_PROG_TEST_RUN: each block's own drop counter, expiry
 * enforced by the program itself, the allowlist over every block, and the final counts of a removed block.
 */
class BlocklistTestRunTest
{
    private static final int CAPACITY = 4;

    private SteeringProgram program;
    private SourceBlocklist blocklist;

    @BeforeEach
    void load()
    {
        Privileged.require("BPF_PROG_TEST_RUN of the XDP program");
        program = SteeringProgram.open(1, CAPACITY).load();
        blocklist = program.blocklist();
    }

    @AfterEach
    void close()
    {
        if (null != program)
        {
            program.close();
        }
    }

    @Test
    void shouldCountEveryDropToTheBlockThatMatched()
    {
        final SourceBlocklist.Block net = blocklist.block(Prefix.parse("198.51.100.0/24"), 0);
        final SourceBlocklist.Block host = blocklist.block(Prefix.parse("2001:db8::7/128"), 0);
        final byte[] fromNet = udp("198.51.100.9");
        final byte[] fromHost = Frames.ethernet().ipv6("2001:db8::7", "fd00::1").udp(1, 2).build();

        assertEquals(LinuxBpf.XDP_DROP, program.testRun(fromNet, 5).verdict());
        assertEquals(LinuxBpf.XDP_DROP, program.testRun(fromHost, 3).verdict());
        assertEquals(LinuxBpf.XDP_PASS, program.testRun(udp("198.51.101.9")), "outside the prefix");

        assertEquals(new Stat(5, 5L * fromNet.length), blocklist.blockStat(net));
        assertEquals(new Stat(3, 3L * fromHost.length), blocklist.blockStat(host));
        assertEquals(new Stat(8, 5L * fromNet.length + 3L * fromHost.length),
            program.counter(XdpCounter.DROP_BLOCKLIST));
        assertNotEquals(net.slot(), host.slot());
    }

    @Test
    void shouldStopDroppingAtTheExpiryWithoutUserSpace() throws Exception
    {
        final long now = System.nanoTime();
        blocklist.block(Prefix.parse("198.51.100.0/24"), now + 300_000_000L);
        blocklist.block(Prefix.parse("203.0.113.0/24"), now - 1);

        assertEquals(LinuxBpf.XDP_DROP, program.testRun(udp("198.51.100.9")));
        assertEquals(LinuxBpf.XDP_PASS, program.testRun(udp("203.0.113.9")), "expired before the run");
        assertEquals(1, program.counter(XdpCounter.BLOCK_STALE).packets());

        Thread.sleep(Math.max(0, (now + 300_000_000L - System.nanoTime()) / 1_000_000L + 1));
        assertEquals(LinuxBpf.XDP_PASS, program.testRun(udp("198.51.100.9")), "expired since: the program's clock");
        assertEquals(2, program.counter(XdpCounter.BLOCK_STALE).packets());
        assertEquals(1, program.counter(XdpCounter.DROP_BLOCKLIST).packets());
        assertEquals(2, program.counter(XdpCounter.PASS_NO_MATCH).packets(), "on to the rules: none");
        assertEquals(2, blocklist.blocks().size(), "the entries stay until user space removes them");
    }

    @Test
    void shouldNeverDropAnAllowlistedSourceWhateverBlockCoversIt()
    {
        blocklist.allowSource(Prefix.parse("10.1.2.3/32"));
        blocklist.allowSource(Prefix.parse("fd00:ab::/32"));
        blocklist.block(Prefix.parse("10.1.0.0/16"), 0);
        blocklist.block(Prefix.parse("fd00::/16"), 0);

        assertEquals(LinuxBpf.XDP_PASS, program.testRun(udp("10.1.2.3")));
        assertEquals(LinuxBpf.XDP_DROP, program.testRun(udp("10.1.2.4")));
        assertEquals(LinuxBpf.XDP_PASS,
            program.testRun(Frames.ethernet().ipv6("fd00:ab::1", "fd01::1").udp(1, 2).build()));
        assertEquals(LinuxBpf.XDP_DROP,
            program.testRun(Frames.ethernet().ipv6("fd00:ac::1", "fd01::1").udp(1, 2).build()));
        assertEquals(2, program.counter(XdpCounter.BLOCK_EXEMPT).packets());
        assertEquals(2, program.counter(XdpCounter.DROP_BLOCKLIST).packets());
        assertEquals(List.of(Prefix.parse("10.1.2.3/32"), Prefix.parse("fd00:ab::/32")), blocklist.allowedSources());
    }

    @Test
    void shouldKeepTheCountersOfRemovedBlocksAndReuseTheirSlots()
    {
        final Prefix first = Prefix.parse("198.51.100.0/24");
        final SourceBlocklist.Block block = blocklist.block(first, 0);
        program.testRun(udp("198.51.100.1"), 7);
        final long expiry = System.nanoTime() + 60_000_000_000L;
        assertEquals(new SourceBlocklist.Block(first, expiry, block.slot()), blocklist.block(first, expiry),
            "blocking again moves the expiry and keeps the slot");
        program.testRun(udp("198.51.100.1"), 2);

        final Map<Prefix, Stat> finals = blocklist.unblock(List.of(first, Prefix.parse("10.0.0.0/8")));
        assertEquals(Map.of(first, new Stat(9, 9L * udp("198.51.100.1").length)), finals);
        assertEquals(finals.get(first), blocklist.retiredBlockDrops());
        assertEquals(LinuxBpf.XDP_PASS, program.testRun(udp("198.51.100.1")));

        for (int i = 0; i < CAPACITY; i++)
        {
            final SourceBlocklist.Block again = blocklist.block(Prefix.parse("192.0.2." + i + "/32"), 0);
            assertEquals(Stat.ZERO, blocklist.blockStat(again), "a slot starts at zero");
        }
        final IllegalStateException full = assertThrows(IllegalStateException.class,
            () -> blocklist.block(Prefix.parse("192.0.2.99/32"), 0));
        assertEquals("blocklist add 192.0.2.99/32: the blocklist is full (4 prefixes); open the program with a " +
            "larger capacity", full.getMessage());
        assertTrue(blocklist.unblockSource(Prefix.parse("192.0.2.0/32")));
        blocklist.block(Prefix.parse("192.0.2.99/32"), 0);
        assertEquals(CAPACITY, blocklist.blockedSources().size());
        assertEquals(new Stat(9, 9L * udp("198.51.100.1").length), blocklist.retiredBlockDrops());
    }

    private static byte[] udp(final String source)
    {
        return Frames.ethernet().ipv4(source, "10.0.0.2").udp(1000, 2000).build();
    }
}
