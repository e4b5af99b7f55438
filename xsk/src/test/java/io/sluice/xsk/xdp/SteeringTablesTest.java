package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.sluice.xsk.xdp.FlowRule.Action.DROP;
import static io.sluice.xsk.xdp.FlowRule.Action.PASS;
import static io.sluice.xsk.xdp.FlowRule.Action.STEER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Run-time changes to the rule classifier and the source blocklist, each checked in the kernel with
 * BPF_PROG_TEST_RUN: verdicts, outcome counters and rule counters, all exactly.
 */
class SteeringTablesTest
{
    private static final int MAX_RULES = 64;

    private SteeringProgram program;
    private SteeringTables tables;
    private SourceBlocklist blocklist;

    @BeforeEach
    void loadProgram()
    {
        Privileged.require("BPF_PROG_TEST_RUN of the XDP program");
        program = SteeringProgram.open().load();
        tables = program.tables();
        blocklist = program.blocklist();
    }

    @AfterEach
    void closeProgram()
    {
        if (null != program)
        {
            program.close();
        }
    }

    @Test
    void shouldApplyAnAddedRuleWithoutReloading()
    {
        final byte[] frame = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();

        assertOutcome(frame, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertEquals(Stat.ZERO, tables.ruleStat(1));

        tables.add(FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDestination("10.0.0.2")
            .withDstPort(4789));

        assertOutcome(frame, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertEquals(new Stat(1, frame.length), tables.ruleStat(1));
    }

    @Test
    void shouldStopMatchingARemovedRule()
    {
        final byte[] frame = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        tables.add(FlowRule.of(1, DROP).withDestination("10.0.0.0/8"));
        tables.add(FlowRule.of(2, PASS).withSource("192.0.2.0/24"));
        assertOutcome(frame, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);

        assertTrue(tables.remove(1));

        assertOutcome(frame, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertEquals(List.of(FlowRule.of(2, PASS).withSource("192.0.2.0/24")), tables.list());
        assertEquals(Stat.ZERO, tables.ruleStat(1));
        assertFalse(tables.remove(1));
        assertFalse(tables.remove(99));
        assertEquals(1, tables.list().size());
    }

    @Test
    void shouldReplaceARuleWithTheSameId()
    {
        final byte[] frame = v6("fd00::9", "fd00::2").tcp(1000, 80).build();
        final FlowRule drop = FlowRule.of(7, DROP).withProtocol(IpProtocols.TCP).withDestination("fd00::2")
            .withDstPort(80);
        tables.add(drop);
        assertOutcome(frame, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);

        final FlowRule pass = new FlowRule(7, drop.priority(), drop.protocol(), drop.source(), drop.destination(),
            drop.dstPortLow(), drop.dstPortHigh(), PASS);
        tables.add(pass);

        assertOutcome(frame, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertEquals(List.of(pass), tables.list());
        assertEquals(2, tables.ruleStat(7).packets(), "a replaced rule keeps its counters");
        assertEquals(2L * frame.length, tables.ruleStat(7).bytes());
    }

    @Test
    void shouldListRulesInPrecedenceOrder()
    {
        final FlowRule a = FlowRule.of(5, PASS).withPriority(10).withProtocol(IpProtocols.UDP);
        final FlowRule b = FlowRule.of(3, DROP).withPriority(10).withProtocol(IpProtocols.UDP);
        final FlowRule c = FlowRule.of(9, PASS).withPriority(1).withProtocol(IpProtocols.UDP).withDstPort(53);
        final FlowRule d = FlowRule.of(1, STEER).withPriority(20);
        final FlowRule e = FlowRule.of(2, DROP).withPriority(10).withDestination("fd00::/64");
        tables.add(a);
        tables.add(b);
        tables.add(c);
        tables.add(d);
        tables.add(e);

        assertEquals(List.of(c, e, b, a, d), tables.list());

        // the kernel agrees: the first listed rule that matches decides
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 53).build(), LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertEquals(1, tables.ruleStat(9).packets());
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 54).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertEquals(1, tables.ruleStat(3).packets());
        assertOutcome(v6("fd00::9", "fd00::2").udp(1000, 54).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertEquals(1, tables.ruleStat(2).packets());
        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1000, 54).build(), LinuxBpf.XDP_PASS,
            XdpCounter.PASS_NO_SOCKET);
        assertEquals(1, tables.ruleStat(1).packets());
        assertEquals(Stat.ZERO, tables.ruleStat(5));
    }

    @Test
    void shouldKeepCountersOfRulesThatSurviveReplaceAll()
    {
        final FlowRule kept = FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDstPort(1111);
        final FlowRule dropped = FlowRule.of(2, DROP).withProtocol(IpProtocols.UDP).withDstPort(2222);
        final FlowRule added = FlowRule.of(3, DROP).withProtocol(IpProtocols.UDP).withDstPort(3333);
        final byte[] toKept = v4("10.9.9.9", "10.0.0.2").udp(1000, 1111).build();
        final byte[] toDropped = v4("10.9.9.9", "10.0.0.2").udp(1000, 2222).build();
        final byte[] toAdded = v4("10.9.9.9", "10.0.0.2").udp(1000, 3333).payload(17).build();
        tables.replaceAll(List.of(kept, dropped));
        assertOutcome(toKept, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(toKept, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(toDropped, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);

        tables.replaceAll(List.of(added, kept));

        assertEquals(new Stat(2, 2L * toKept.length), tables.ruleStat(1));
        assertEquals(Stat.ZERO, tables.ruleStat(2));
        assertEquals(Stat.ZERO, tables.ruleStat(3));
        assertOutcome(toKept, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(toDropped, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertOutcome(toAdded, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertEquals(new Stat(3, 3L * toKept.length), tables.ruleStat(1));
        assertEquals(new Stat(1, toAdded.length), tables.ruleStat(3));
    }

    @Test
    void shouldZeroCountersOfANewRuleThatReusesARemovedRulesSlot()
    {
        final byte[] toA = v4("10.9.9.9", "10.0.0.2").udp(1000, 1111).build();
        final byte[] toB = v4("10.9.9.9", "10.0.0.2").udp(1000, 2222).payload(10).build();
        tables.add(FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDstPort(1111));
        for (int i = 0; i < 3; i++)
        {
            assertOutcome(toA, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        }
        assertEquals(new Stat(3, 3L * toA.length), tables.ruleStat(1));

        assertTrue(tables.remove(1));
        tables.add(FlowRule.of(2, DROP).withProtocol(IpProtocols.UDP).withDstPort(2222));

        assertEquals(Stat.ZERO, tables.ruleStat(1));
        assertEquals(Stat.ZERO, tables.ruleStat(2));
        assertOutcome(toA, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertEquals(Stat.ZERO, tables.ruleStat(2));
        assertOutcome(toB, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertEquals(new Stat(1, toB.length), tables.ruleStat(2));

        tables.add(FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDstPort(1111));
        assertEquals(Stat.ZERO, tables.ruleStat(1), "a re-added rule starts from zero");
        assertEquals(new Stat(1, toB.length), tables.ruleStat(2));
    }

    @Test
    void shouldRejectTheSixtyFifthRule()
    {
        for (int id = 0; id < MAX_RULES; id++)
        {
            tables.add(FlowRule.of(id, DROP).withPriority(id % 5).withProtocol(IpProtocols.UDP)
                .withDstPort(10_000 + id));
        }
        final List<FlowRule> full = tables.list();
        assertEquals(MAX_RULES, full.size());

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> tables.add(FlowRule.of(MAX_RULES, PASS).withProtocol(IpProtocols.UDP).withDstPort(20_000)));
        assertTrue(ex.getMessage().contains("64"), ex.getMessage());

        assertEquals(full, tables.list());
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 10_037).build(), LinuxBpf.XDP_DROP,
            XdpCounter.DROP_RULE);
        assertEquals(1, tables.ruleStat(37).packets());
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 10_063).build(), LinuxBpf.XDP_DROP,
            XdpCounter.DROP_RULE);
        assertEquals(1, tables.ruleStat(63).packets());
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 20_000).build(), LinuxBpf.XDP_PASS,
            XdpCounter.PASS_NO_MATCH);
        assertEquals(Stat.ZERO, tables.ruleStat(MAX_RULES));

        // replacing one of the 64 is still allowed
        tables.add(FlowRule.of(37, PASS).withProtocol(IpProtocols.UDP).withDstPort(10_037));
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1000, 10_037).build(), LinuxBpf.XDP_PASS,
            XdpCounter.PASS_RULE);
        assertEquals(MAX_RULES, tables.list().size());

        final List<FlowRule> tooMany = new ArrayList<>(full);
        tooMany.add(FlowRule.of(100, PASS));
        assertThrows(IllegalArgumentException.class, () -> tables.replaceAll(tooMany));
        assertEquals(MAX_RULES, tables.list().size());
    }

    @Test
    void shouldSwitchWholeRuleSetsAtomically() throws InterruptedException
    {
        // under set X the probe is dropped by rule 1; under set Y nothing matches it. Any mix of the two sets
        // (X's vectors with Y's actions) would pass it as PASS_RULE, or count it against rule 2.
        final List<FlowRule> setX = List.of(
            FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDestination("10.0.0.1").withDstPort(5000),
            FlowRule.of(3, DROP).withSource("192.0.2.0/24"));
        final List<FlowRule> setY = List.of(
            FlowRule.of(2, PASS).withProtocol(IpProtocols.TCP).withDestination("10.0.0.2").withDstPort(6000));
        final byte[] probe = v4("10.9.9.9", "10.0.0.1").udp(1000, 5000).build();
        final byte[] toY = v4("10.9.9.9", "10.0.0.2").tcp(1000, 6000).build();
        final byte[] fromX = v4("192.0.2.1", "10.0.0.2").tcp(1000, 6000).build();

        tables.replaceAll(setX);
        assertOutcome(probe, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(toY, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        for (int flip = 0; flip < 3; flip++)
        {
            tables.replaceAll(setY);
            assertEquals(setY, tables.list());
            assertOutcome(probe, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
            assertOutcome(toY, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
            assertOutcome(fromX, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE, "rule 3 of the old set is gone");

            tables.replaceAll(setX);
            assertEquals(setX, tables.list());
            assertOutcome(probe, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
            assertOutcome(toY, LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
            assertOutcome(fromX, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        }

        final Stat[] before = program.counters();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong runs = new AtomicLong();
        final AtomicReference<String> unexpected = new AtomicReference<>();
        final Thread runner = new Thread(() ->
        {
            while (running.get())
            {
                final int verdict = program.testRun(probe);
                if (LinuxBpf.XDP_DROP != verdict && LinuxBpf.XDP_PASS != verdict)
                {
                    unexpected.compareAndSet(null, "verdict " + verdict);
                }
                runs.incrementAndGet();
            }
        }, "test-run-probe");
        runner.start();
        try
        {
            for (int flip = 0; flip < 50; flip++)
            {
                tables.replaceAll(0 == (flip & 1) ? setY : setX);
            }
        }
        finally
        {
            running.set(false);
            runner.join();
        }
        final Stat[] after = program.counters();

        assertNull(unexpected.get());
        final long dropped = delta(before, after, XdpCounter.DROP_RULE);
        final long unmatched = delta(before, after, XdpCounter.PASS_NO_MATCH);
        assertEquals(0, delta(before, after, XdpCounter.PASS_RULE), "a probe saw half of a rule set");
        assertEquals(0, delta(before, after, XdpCounter.PASS_MALFORMED));
        assertEquals(runs.get(), dropped + unmatched);
        assertEquals(setX, tables.list());
        assertOutcome(probe, LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
    }

    @Test
    void shouldBlockAndUnblockSources()
    {
        final Prefix v4Net = Prefix.parse("198.51.100.0/24");
        final Prefix v6Net = Prefix.parse("2001:db8:bad::/48");
        final byte[] fromV4Net = v4("198.51.100.9", "10.0.0.2").udp(1000, 4789).build();
        final byte[] fromV6Net = v6("2001:db8:bad:1::1", "fd00::2").tcp(1000, 80).build();
        final byte[] nextToV4Net = v4("198.51.101.9", "10.0.0.2").udp(1000, 4789).build();
        final byte[] nextToV6Net = v6("2001:db8:bae::1", "fd00::2").tcp(1000, 80).build();
        tables.add(FlowRule.of(1, PASS));
        assertTrue(blocklist.blockedSources().isEmpty());

        blocklist.blockSource(v4Net);
        blocklist.blockSource(v6Net);

        assertOutcome(fromV4Net, LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST);
        assertOutcome(fromV6Net, LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST);
        assertOutcome(nextToV4Net, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertOutcome(nextToV6Net, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertEquals(2, tables.ruleStat(1).packets(), "the blocklist decides before any rule");
        assertEquals(Set.of(v4Net, v6Net), new HashSet<>(blocklist.blockedSources()));
        assertEquals(2, blocklist.blockedSources().size());

        assertFalse(blocklist.unblockSource(Prefix.parse("198.51.100.0/25")));
        assertFalse(blocklist.unblockSource(Prefix.parse("10.0.0.0/8")));
        assertOutcome(fromV4Net, LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST);

        assertTrue(blocklist.unblockSource(v4Net));
        assertOutcome(fromV4Net, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertOutcome(fromV6Net, LinuxBpf.XDP_DROP, XdpCounter.DROP_BLOCKLIST);
        assertEquals(List.of(v6Net), blocklist.blockedSources());

        assertTrue(blocklist.unblockSource(v6Net));
        assertOutcome(fromV6Net, LinuxBpf.XDP_PASS, XdpCounter.PASS_RULE);
        assertTrue(blocklist.blockedSources().isEmpty());
        assertFalse(blocklist.unblockSource(v6Net));
        assertFalse(blocklist.unblockSource(Prefix.parse("203.0.113.0/24")));
        assertEquals(4, tables.ruleStat(1).packets());
    }

    @Test
    void shouldMatchPortRangesAtTheirEdges()
    {
        tables.add(FlowRule.of(1, DROP).withProtocol(IpProtocols.UDP).withDstPorts(1000, 1999));
        tables.add(FlowRule.of(2, DROP).withProtocol(IpProtocols.TCP).withDstPorts(0, 0));
        tables.add(FlowRule.of(3, DROP).withProtocol(IpProtocols.TCP).withDstPorts(65535, 65535));

        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1, 999).build(), LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1, 1000).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").udp(1, 1500).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(v6("fd00::9", "fd00::2").udp(1, 1999).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(v6("fd00::9", "fd00::2").udp(1, 2000).build(), LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1, 1000).build(), LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertEquals(3, tables.ruleStat(1).packets());

        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1, 0).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1, 1).build(), LinuxBpf.XDP_PASS, XdpCounter.PASS_NO_MATCH);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1, 65535).build(), LinuxBpf.XDP_DROP, XdpCounter.DROP_RULE);
        assertOutcome(v4("10.9.9.9", "10.0.0.2").tcp(1, 65534).build(), LinuxBpf.XDP_PASS,
            XdpCounter.PASS_NO_MATCH);
        assertEquals(1, tables.ruleStat(2).packets());
        assertEquals(1, tables.ruleStat(3).packets());
    }

    @Test
    void shouldCountEveryOfferedFrameInExactlyOneOutcome()
    {
        tables.add(FlowRule.of(1, STEER).withPriority(10).withProtocol(IpProtocols.UDP)
            .withDestination("10.0.0.2").withDstPort(4789));
        tables.add(FlowRule.of(2, DROP).withPriority(20).withSource("192.0.2.0/24"));
        tables.add(FlowRule.of(3, PASS).withPriority(15).withProtocol(IpProtocols.UDP).withDstPort(53));
        tables.add(FlowRule.of(4, DROP).withPriority(30).withDestination("fd00::/64"));
        blocklist.blockSource(Prefix.parse("198.51.100.0/24"));

        final byte[] options = { 1, 1, 1, 1 };
        final byte[] full = v4("10.9.9.9", "10.0.0.2").udp(1000, 4789).build();
        final byte[] fullV6 = v6("fd00::9", "fd00::2").tcp(1000, 80).build();
        final byte[] badIhl = v4("10.9.9.9", "10.0.0.2").udp(1000, 53).build();
        badIhl[14] = 0x44;
        final List<byte[]> frames = List.of(
            full,
            fullV6,
            v4("10.9.9.9", "10.0.0.2").udp(1000, 53).payload(100).build(),
            v4("192.0.2.7", "10.0.0.2").tcp(1000, 22).build(),
            v4("192.0.2.7", "10.0.0.2").icmpEcho().build(),
            v4("172.16.0.1", "203.0.113.9").udp(1000, 9999).build(),
            v6("fd01::9", "fd01::99").udp(1000, 9999).payload(33).build(),
            v6("fd01::9", "fd00::99").icmpEcho().build(),
            v4("198.51.100.9", "10.0.0.2").udp(1000, 4789).build(),
            v4("198.51.100.200", "10.0.0.2").udp(1000, 53).payload(7).build(),
            Frames.ethernet().etherType(EtherTypes.ARP).build(),
            Frames.ethernet().etherType(0x88CC).payload(46).build(),
            v4("10.9.9.9", "10.0.0.2").vlan(EtherTypes.VLAN, 10).udp(1000, 4789).build(),
            v6("fd00::9", "fd00::2").vlan(EtherTypes.QINQ, 100).vlan(EtherTypes.VLAN, 10)
                .tcp(1000, 80).build(),
            v4("10.9.9.9", "10.0.0.2").vlan(EtherTypes.QINQ, 1).vlan(EtherTypes.VLAN, 2)
                .vlan(EtherTypes.VLAN, 3).udp(1000, 4789).build(),
            v4("10.9.9.9", "10.0.0.2").ipv4Options(options).udp(1000, 53).build(),
            v4("10.9.9.9", "10.0.0.2").fragment(1480, false).udp(1000, 4789).payload(64).build(),
            v6("fd00::9", "fd00::2").ipv6HopByHop().udp(1000, 5000).build(),
            v6("fd00::9", "fd00::2").fragment(1448, false).tcp(1000, 85).payload(64).build(),
            v4("10.9.9.9", "10.0.0.2").protocol(50).payload(20).build(),
            v6("::ffff:10.9.9.9", "::ffff:10.0.0.2").udp(1000, 4789).build(),
            badIhl,
            Frames.truncate(full, 14),
            Frames.truncate(full, 14 + 10),
            Frames.truncate(full, 14 + 20),
            Frames.truncate(full, 14 + 20 + 7),
            Frames.truncate(fullV6, 14 + 39),
            Frames.truncate(fullV6, 14 + 40 + 19),
            Frames.truncate(v4("198.51.100.9", "10.0.0.2").udp(1000, 4789).build(), 14 + 20 + 3),
            v6("2001:db8::1", "fd00::1").tcp(1000, 443).payload(1400).build());

        final Stat[] before = program.counters();
        final Stat[] rulesBefore = ruleStats(1, 2, 3, 4);
        long totalBytes = 0;
        final Set<Integer> verdicts = new HashSet<>();
        for (final byte[] frame : frames)
        {
            verdicts.add(program.testRun(frame));
            totalBytes += frame.length;
        }
        final Stat[] after = program.counters();
        final Stat[] rulesAfter = ruleStats(1, 2, 3, 4);

        long packets = 0;
        long bytes = 0;
        final Set<XdpCounter> seen = new HashSet<>();
        for (final XdpCounter counter : XdpCounter.values())
        {
            if (counter.isOutcome())
            {
                final long counted = delta(before, after, counter);
                packets += counted;
                bytes += after[counter.ordinal()].bytes() - before[counter.ordinal()].bytes();
                if (counted > 0)
                {
                    seen.add(counter);
                }
            }
        }
        assertEquals(frames.size(), packets);
        assertEquals(totalBytes, bytes);
        assertEquals(Set.of(LinuxBpf.XDP_PASS, LinuxBpf.XDP_DROP), verdicts);
        assertEquals(Set.of(XdpCounter.PASS_NO_MATCH, XdpCounter.PASS_RULE, XdpCounter.PASS_NO_SOCKET,
            XdpCounter.PASS_NOT_IP, XdpCounter.PASS_MALFORMED, XdpCounter.DROP_BLOCKLIST, XdpCounter.DROP_RULE),
            seen, "the batch covers every outcome reachable without a socket");

        long rulePackets = 0;
        for (int i = 0; i < rulesAfter.length; i++)
        {
            rulePackets += rulesAfter[i].packets() - rulesBefore[i].packets();
        }
        assertEquals(delta(before, after, XdpCounter.PASS_RULE) + delta(before, after, XdpCounter.PASS_NO_SOCKET) +
            delta(before, after, XdpCounter.DROP_RULE) + delta(before, after, XdpCounter.REDIRECT), rulePackets,
            "every rule decision is counted against exactly one rule");
    }

    private void assertOutcome(final byte[] frame, final int verdict, final XdpCounter outcome)
    {
        assertOutcome(frame, verdict, outcome, "");
    }

    private void assertOutcome(final byte[] frame, final int verdict, final XdpCounter outcome, final String why)
    {
        final Stat[] before = program.counters();

        assertEquals(verdict, program.testRun(frame), why + " verdict");

        final Stat[] after = program.counters();
        for (final XdpCounter counter : XdpCounter.values())
        {
            if (counter.isOutcome())
            {
                final long expected = counter == outcome ? 1 : 0;
                assertEquals(expected, delta(before, after, counter), why + " packets in " + counter);
                assertEquals(expected * frame.length,
                    after[counter.ordinal()].bytes() - before[counter.ordinal()].bytes(), why + " bytes in " + counter);
            }
        }
    }

    private Stat[] ruleStats(final int... ids)
    {
        final Stat[] stats = new Stat[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            stats[i] = tables.ruleStat(ids[i]);
        }

        return stats;
    }

    private static long delta(final Stat[] before, final Stat[] after, final XdpCounter counter)
    {
        return after[counter.ordinal()].packets() - before[counter.ordinal()].packets();
    }

    private static Frames v4(final String src, final String dst)
    {
        return Frames.ethernet().ipv4(src, dst);
    }

    private static Frames v6(final String src, final String dst)
    {
        return Frames.ethernet().ipv6(src, dst);
    }
}
