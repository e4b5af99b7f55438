package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.IfXdp;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.sluice.xsk.xdp.FlowRule.Action.DROP;
import static io.sluice.xsk.xdp.FlowRule.Action.PASS;
import static io.sluice.xsk.xdp.FlowRule.Action.STEER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every parse and classification case of the XDP program, run in the kernel with BPF_PROG_TEST_RUN. Each case
 * checks the verdict and that exactly one outcome counter and at most one rule counter moved, by exactly that
 * frame's packet and bytes.
 */
class SteeringProgramTestRunTest
{
    static final int STEER_V4_UDP = 1;
    static final int STEER_V6_TCP = 2;
    static final int DROP_SRC_NET = 3;
    static final int PASS_DNS = 4;
    static final int DROP_DST_NET = 6;
    static final int STEER_V4_TCP = 7;
    static final int STEER_V6_UDP = 8;
    static final int NONE = -1;

    private static SteeringProgram program;
    private static int xskFd = -1;

    @BeforeAll
    static void loadProgram()
    {
        Privileged.require("BPF_PROG_TEST_RUN of the XDP program");
        program = SteeringProgram.open().load();
        final SteeringTables tables = program.tables();
        tables.add(FlowRule.of(STEER_V4_UDP, STEER).withPriority(10).withProtocol(IpProtocols.UDP)
            .withDestination("10.0.0.2/32").withDstPort(4789));
        tables.add(FlowRule.of(STEER_V6_TCP, STEER).withPriority(10).withProtocol(IpProtocols.TCP)
            .withDestination("fd00::2/128").withDstPorts(80, 89));
        tables.add(FlowRule.of(DROP_SRC_NET, DROP).withPriority(20).withSource("192.0.2.0/24"));
        tables.add(FlowRule.of(PASS_DNS, PASS).withPriority(15).withProtocol(IpProtocols.UDP).withDstPort(53));
        tables.add(FlowRule.of(DROP_DST_NET, DROP).withPriority(30).withDestination("10.0.0.0/8"));
        tables.add(FlowRule.of(STEER_V4_TCP, STEER).withPriority(10).withProtocol(IpProtocols.TCP)
            .withDestination("10.0.0.5").withDstPort(443));
        tables.add(FlowRule.of(STEER_V6_UDP, STEER).withPriority(10).withProtocol(IpProtocols.UDP)
            .withDestination("fd00::5").withDstPort(5353));
        program.blocklist().blockSource(Prefix.parse("198.51.100.0/24"));
        program.blocklist().blockSource(Prefix.parse("2001:db8:bad::/48"));

        try (Arena arena = Arena.ofConfined())
        {
            xskFd = LibC.socket(arena.allocate(Ffi.CALL_STATE_LAYOUT), IfXdp.AF_XDP, LibC.SOCK_RAW, 0);
            assertTrue(xskFd >= 0, "socket(AF_XDP)");
        }
        program.registerSocket(0, xskFd);
    }

    @AfterAll
    static void close()
    {
        if (null != program)
        {
            program.close();
        }
        LibC.closeQuietly(xskFd);
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        final byte[] options = { 1, 1, 1, 1, 1, 1, 1, 1 }; // NOPs: read as ports they would be 257

        add(cases, "steered IPv4 UDP", v4("10.9.9.9", "10.0.0.2").udp(1000, 4789),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "steered IPv4 TCP", v4("10.9.9.9", "10.0.0.5").tcp(1000, 443),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_TCP);
        add(cases, "steered IPv6 UDP", v6("fd00::9", "fd00::5").udp(1000, 5353),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_UDP);
        add(cases, "IPv4 TCP to the steered port falls to the broader drop", v4("10.9.9.9", "10.0.0.2").tcp(1000, 4789),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE, DROP_DST_NET);
        add(cases, "steered IPv6 TCP, port in range", v6("fd00::9", "fd00::2").tcp(1000, 85),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_TCP);
        add(cases, "IPv6 TCP, port out of range", v6("fd00::9", "fd00::2").tcp(1000, 90),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH, NONE);
        add(cases, "IPv6 UDP to the TCP rule's address", v6("fd00::9", "fd00::2").udp(1000, 85),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH, NONE);
        add(cases, "lower priority value wins", v4("192.0.2.7", "10.0.0.2").udp(1000, 4789),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "pass rule outranks drop rules", v4("192.0.2.7", "10.0.0.2").udp(1000, 53),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE, PASS_DNS);
        add(cases, "source prefix drop", v4("192.0.2.7", "203.0.113.1").icmpEcho(),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE, DROP_SRC_NET);
        add(cases, "ICMP has no ports: port rules skip it", v4("10.9.9.9", "10.0.0.2").icmpEcho(),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE, DROP_DST_NET);
        add(cases, "unmatched IPv4", v4("172.16.0.1", "203.0.113.9").udp(1000, 9999),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH, NONE);
        add(cases, "unmatched IPv6", v6("fd00::9", "fd00::99").udp(1000, 9999),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH, NONE);
        add(cases, "IPv4-mapped IPv6 is invalid on the wire, never IPv4", v6("::ffff:10.9.9.9", "::ffff:10.0.0.2")
            .udp(1000, 4789), LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);
        add(cases, "IPv4-mapped IPv6 destination only", v6("fd00::9", "::ffff:10.0.0.2").udp(1000, 4789),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);
        add(cases, "blocklisted IPv4 source, before any rule", v4("198.51.100.9", "10.0.0.2").udp(1000, 4789),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST, NONE);
        add(cases, "blocklisted IPv6 source", v6("2001:db8:bad::1", "fd00::2").tcp(1000, 85),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST, NONE);
        add(cases, "blocklisted source, L4 cut short", Frames.truncate(
            v4("198.51.100.9", "10.0.0.2").udp(1000, 4789).build(), 14 + 20 + 3),
            LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST, NONE);
        add(cases, "802.1Q", v4("10.9.9.9", "10.0.0.2").vlan(0x8100, 10).udp(1000, 4789),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "QinQ 802.1ad + 802.1Q", v6("fd00::9", "fd00::2").vlan(0x88a8, 100).vlan(0x8100, 10).tcp(1000, 80),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_TCP);
        add(cases, "three tags are not parsed", v4("10.9.9.9", "10.0.0.2").vlan(0x88a8, 1).vlan(0x8100, 2)
            .vlan(0x8100, 3).udp(1000, 4789), LinuxBpf.XDP_PASS, XdpCounter.PASS_NOT_IP, NONE);
        add(cases, "IPv4 options are skipped by IHL", v4("10.9.9.9", "10.0.0.2").ipv4Options(options).udp(1000, 4789),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "IPv4 first fragment carries ports", v4("10.9.9.9", "10.0.0.2").fragment(0, true).udp(1000, 4789)
            .payload(64), LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "IPv4 non-first fragment follows on addresses", v4("10.9.9.9", "10.0.0.2").fragment(1480, false)
            .udp(1000, 4789).payload(64), LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V4_UDP);
        add(cases, "IPv4 non-first fragment of another protocol", v4("10.9.9.9", "10.0.0.2").fragment(1480, false)
            .tcp(1000, 4789).payload(64), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE, DROP_DST_NET);
        add(cases, "IPv4 non-first fragment, unmatched addresses", v4("10.9.9.9", "203.0.113.9")
            .fragment(1480, false).tcp(1000, 4789).payload(64), LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH, NONE);
        add(cases, "IPv6 hop-by-hop: addresses only", v6("fd00::9", "fd00::2").ipv6HopByHop().udp(1000, 5000),
            LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_TCP);
        add(cases, "IPv6 extension header: a rule of only protocol and port matches on its any-address",
            v6("fd00::9", "fd00::99").ipv6HopByHop().tcp(1000, 22), LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE, PASS_DNS);
        add(cases, "IPv6 first fragment header: addresses only", v6("fd00::9", "fd00::2").fragment(0, true)
            .tcp(1000, 85).payload(64), LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_TCP);
        add(cases, "IPv6 non-first fragment: addresses only", v6("fd00::9", "fd00::2").fragment(1448, false)
            .tcp(1000, 85).payload(64), LinuxBpf.XDP_REDIRECT, XdpCounter.REDIRECT, STEER_V6_TCP);
        add(cases, "ARP is not IP", Frames.ethernet().etherType(0x0806),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_NOT_IP, NONE);

        final byte[] badIhl = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        badIhl[14] = 0x44;
        add(cases, "IPv4 IHL below 5", badIhl, LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);
        final byte[] ihlPastEnd = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        ihlPastEnd[14] = 0x4F;
        add(cases, "IPv4 IHL beyond the frame", ihlPastEnd, LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);
        final byte[] wrongVersion = v6("fd00::9", "fd00::2").tcp(1000, 85).build();
        wrongVersion[14] = 0x40;
        add(cases, "IPv6 ethertype with version 4", wrongVersion, LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);

        truncations(cases, "QinQ IPv4 UDP", v4("10.9.9.9", "10.0.0.2").vlan(0x88a8, 100).vlan(0x8100, 10)
            .ipv4Options(options).udp(1000, 4789).build());
        truncations(cases, "IPv6 TCP", v6("fd00::9", "fd00::2").tcp(1000, 85).build());

        add(cases, "Ethernet header alone", Frames.truncate(v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build(), 14),
            LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);

        return cases.stream();
    }

    /**
     * Cut a frame at and just inside every header boundary: Ethernet, each VLAN tag, L3, L4.
     */
    private static void truncations(final List<Arguments> cases, final String name, final byte[] frame)
    {
        final List<Integer> cuts = new ArrayList<>();
        final int l3 = Frames.l3Offset(frame);
        final int l4 = Frames.l4Offset(frame);
        for (int offset = 14; offset <= l3; offset += 4)
        {
            cuts.add(offset);
            cuts.add(offset + 2);
        }
        cuts.add(l3 + 10);
        cuts.add(l4 - 1);
        cuts.add(l4);
        cuts.add(l4 + 7);
        for (final int cut : cuts)
        {
            if (cut < frame.length)
            {
                add(cases, name + " cut at " + cut + " of " + frame.length, Frames.truncate(frame, cut),
                    LinuxBpf.XDP_PASS, XdpCounter.PASS_MALFORMED, NONE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldReturnVerdictAndCountExactlyOnce(
        final String name, final byte[] frame, final int verdict, final XdpCounter outcome, final int ruleId)
    {
        final Stat[] before = program.counters();
        final Stat[] rulesBefore = ruleStats();

        assertEquals(verdict, program.testRun(frame), name + ": verdict");

        final Stat[] after = program.counters();
        final Stat[] rulesAfter = ruleStats();
        for (final XdpCounter counter : XdpCounter.values())
        {
            if (counter.isOutcome())
            {
                final long expected = counter == outcome ? 1 : 0;
                assertEquals(expected, after[counter.ordinal()].packets() - before[counter.ordinal()].packets(),
                    name + ": packets in " + counter);
                assertEquals(expected * frame.length,
                    after[counter.ordinal()].bytes() - before[counter.ordinal()].bytes(), name + ": bytes in " + counter);
            }
        }
        final int[] ids = ruleIds();
        for (int i = 0; i < ids.length; i++)
        {
            final long expected = ids[i] == ruleId ? 1 : 0;
            assertEquals(expected, rulesAfter[i].packets() - rulesBefore[i].packets(), name + ": rule " + ids[i]);
            assertEquals(expected * frame.length, rulesAfter[i].bytes() - rulesBefore[i].bytes(),
                name + ": rule bytes " + ids[i]);
        }
    }

    /**
     * A runt never reaches an XDP program: the kernel refuses test input under ETH_HLEN, and so do
     * bpf_xdp_adjust_head and bpf_xdp_adjust_tail. The program still bounds-checks the Ethernet header (the
     * verifier rejects it otherwise); this pins down that runts are refused whole, with nothing counted.
     */
    @Test
    void shouldRefuseRuntFramesWithoutCountingThem()
    {
        final byte[] frame = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        final Stat[] before = program.counters();
        for (int length = 0; length < 14; length++)
        {
            final byte[] runt = Frames.truncate(frame, length);
            final NativeException ex = assertThrows(NativeException.class, () -> program.testRun(runt));
            assertEquals(Errno.EINVAL, ex.errno(), ex.getMessage());
            assertTrue(ex.getMessage().contains(length + "-byte frame"), ex.getMessage());
        }
        final Stat[] after = program.counters();
        for (final XdpCounter counter : XdpCounter.values())
        {
            assertEquals(before[counter.ordinal()], after[counter.ordinal()], counter.name());
        }
    }

    @Test
    void shouldCountVlanAndAddressOnlyObservationsBesideTheOutcome()
    {
        final Stat vlanBefore = program.counter(XdpCounter.VLAN_TAGGED);
        final Stat l4Before = program.counter(XdpCounter.L4_UNKNOWN);

        program.testRun(v4("10.9.9.9", "10.0.0.2").vlan(0x88a8, 100).vlan(0x8100, 10).udp(1000, 4789).build());
        program.testRun(v4("10.9.9.9", "10.0.0.2").fragment(1480, false).udp(1000, 4789).payload(8).build());
        program.testRun(v6("fd00::9", "fd00::2").ipv6HopByHop().udp(1000, 5000).build());

        assertEquals(1, program.counter(XdpCounter.VLAN_TAGGED).packets() - vlanBefore.packets());
        assertEquals(2, program.counter(XdpCounter.L4_UNKNOWN).packets() - l4Before.packets());
    }

    @Test
    void shouldPassSteeredTrafficWhenTheQueueHasNoSocket()
    {
        program.unregisterSocket(0);
        try
        {
            final Stat before = program.counter(XdpCounter.PASS_NO_SOCKET);
            final Stat ruleBefore = program.tables().ruleStat(STEER_V4_UDP);

            assertEquals(LinuxBpf.XDP_PASS, program.testRun(v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build()));

            assertEquals(1, program.counter(XdpCounter.PASS_NO_SOCKET).packets() - before.packets());
            assertEquals(1, program.tables().ruleStat(STEER_V4_UDP).packets() - ruleBefore.packets());
        }
        finally
        {
            program.registerSocket(0, xskFd);
        }
    }

    @Test
    void shouldStampASteeredFrameWithTheGenerationOfTheRulesThatSteeredIt()
    {
        final byte[] steered = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        final byte[] passed = v4("10.9.9.9", "10.0.0.2").udp(1000, 4790).build(); // not steered
        final int before = program.tables().generation();
        final List<FlowRule> rules = program.tables().list();

        assertArrayEquals(steered, program.testRunOutput(steered), "no stamp until asked for");
        program.tables().stamp(true);
        try
        {
            assertStamped(steered, passed, before, rules);
        }
        finally
        {
            program.tables().stamp(false);
        }
    }

    @Test
    void shouldPutTheStampInFrontOnlyWhereTheKernelRefusesTheMetadataProgram()
    {
        final int result;
        try (Arena arena = Arena.ofConfined())
        {
            final java.lang.foreign.MemorySegment object =
                io.sluice.xsk.ffi.BpfObject.open(arena, StampPlacement.METADATA.objectResource());
            try
            {
                result = io.sluice.xsk.ffi.LibBpf.bpf_object__load(object);
            }
            finally
            {
                io.sluice.xsk.ffi.LibBpf.bpf_object__close(object);
            }
        }

        if (StampPlacement.FRONT == program.stampPlacement())
        {
            assertEquals(-Errno.EINVAL, result, "the verifier refuses bpf_xdp_adjust_meta here");
            assertEquals(8, program.stampPlacement().frontBytes());
        }
        else
        {
            assertEquals(0, result, "the kernel takes the metadata program");
            assertEquals(0, program.stampPlacement().frontBytes());
        }
    }

    private void assertStamped(final byte[] steered, final byte[] passed, final int before, final List<FlowRule> rules)
    {
        final byte[] first = program.testRunOutput(steered);
        assertEquals(steered.length + 8, first.length, "8 bytes of stamp before the frame");
        assertEquals(before, readInt(first, 0), "the generation live");
        assertEquals(SteeringDescriptor.META_MAGIC, readInt(first, 4));
        assertArrayEquals(steered, java.util.Arrays.copyOfRange(first, 8, first.length), "the frame unchanged");
        assertArrayEquals(passed, program.testRunOutput(passed), "a frame not steered has no metadata");

        final int next = program.tables().replaceAll(rules, false, (id) -> id);
        assertEquals(before + 1, next, "each new rule set is the next generation");
        assertEquals(next, program.tables().generation());
        assertEquals(next, readInt(program.testRunOutput(steered), 0));
        assertEquals(rules, program.tables().list());
        program.tables().steerAll(true);
        try
        {
            final byte[] all = program.testRunOutput(passed);
            assertEquals(next, readInt(all, 0), "steer-all stamps too");
            assertEquals(SteeringDescriptor.META_MAGIC, readInt(all, 4));
        }
        finally
        {
            program.tables().steerAll(false);
        }
    }

    private static int readInt(final byte[] bytes, final int offset)
    {
        return java.nio.ByteBuffer.wrap(bytes, offset, 4).order(java.nio.ByteOrder.nativeOrder()).getInt();
    }

    @Test
    void shouldSteerEveryFrameUnparsedInSteerAllMode()
    {
        final Stat redirectBefore = program.counter(XdpCounter.REDIRECT);
        final Stat noSocketBefore = program.counter(XdpCounter.PASS_NO_SOCKET);
        final Stat notIpBefore = program.counter(XdpCounter.PASS_NOT_IP);
        final Stat blockedBefore = program.counter(XdpCounter.DROP_BLOCKLIST);
        program.tables().steerAll(true);
        try
        {
            assertEquals(LinuxBpf.XDP_REDIRECT, program.testRun(Frames.ethernet().etherType(EtherTypes.ARP)
                .payload(new byte[Frames.ARP_PAYLOAD_LENGTH]).build()), "not IP, still steered");
            assertEquals(LinuxBpf.XDP_REDIRECT, program.testRun(v4("198.51.100.7", "10.0.0.2").udp(1, 2).build()),
                "blocklisted source, still steered: nothing is parsed");
            program.unregisterSocket(0);
            assertEquals(LinuxBpf.XDP_PASS, program.testRun(v4("10.9.9.9", "10.0.0.2").udp(1, 2).build()));

            assertEquals(2, program.counter(XdpCounter.REDIRECT).packets() - redirectBefore.packets());
            assertEquals(1, program.counter(XdpCounter.PASS_NO_SOCKET).packets() - noSocketBefore.packets());
            assertEquals(notIpBefore, program.counter(XdpCounter.PASS_NOT_IP));
            assertEquals(blockedBefore, program.counter(XdpCounter.DROP_BLOCKLIST));
        }
        finally
        {
            program.tables().steerAll(false);
            program.registerSocket(0, xskFd);
        }
        assertEquals(LinuxBpf.XDP_DROP, program.testRun(v4("198.51.100.7", "10.0.0.2").udp(1, 2).build()),
            "rules and blocklist apply again");
    }

    private static Stat[] ruleStats()
    {
        final int[] ids = ruleIds();
        final Stat[] stats = new Stat[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            stats[i] = program.tables().ruleStat(ids[i]);
        }

        return stats;
    }

    private static int[] ruleIds()
    {
        return new int[] { STEER_V4_UDP, STEER_V6_TCP, DROP_SRC_NET, PASS_DNS, DROP_DST_NET, STEER_V4_TCP, STEER_V6_UDP };
    }

    private static Frames v4(final String src, final String dst)
    {
        return Frames.ethernet().ipv4(src, dst);
    }

    private static Frames v6(final String src, final String dst)
    {
        return Frames.ethernet().ipv6(src, dst);
    }

    private static void add(
        final List<Arguments> cases, final String name, final Frames frame, final int verdict,
        final XdpCounter outcome, final int ruleId)
    {
        add(cases, name, frame.build(), verdict, outcome, ruleId);
    }

    private static void add(
        final List<Arguments> cases, final String name, final byte[] frame, final int verdict,
        final XdpCounter outcome, final int ruleId)
    {
        cases.add(Arguments.of(name, frame, verdict, outcome, ruleId));
    }
}
