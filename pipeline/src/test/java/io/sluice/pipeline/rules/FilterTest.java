package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.frame.EtherTypes;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.sluice.pipeline.rules.ParsedFrames.firstFragment;
import static io.sluice.pipeline.rules.ParsedFrames.icmp;
import static io.sluice.pipeline.rules.ParsedFrames.ipOnly;
import static io.sluice.pipeline.rules.ParsedFrames.laterFragment;
import static io.sluice.pipeline.rules.ParsedFrames.nonIp;
import static io.sluice.pipeline.rules.ParsedFrames.tagged;
import static io.sluice.pipeline.rules.ParsedFrames.tcp;
import static io.sluice.pipeline.rules.ParsedFrames.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilterTest
{
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;
    private static final int ESP = 50;

    @Test
    void shouldTakeTheFirstMatchingRuleEvenIfALaterOneIsMoreSpecific()
    {
        final Filter filter = filter("""
            filter:
              - {name: any-udp, proto: udp, action: count}
              - {name: demo, proto: udp, src: 10.0.0.1/32, dst: 10.0.0.2/32, dst_port: 9000, action: reflect}
              - {name: any-tcp, proto: tcp, action: drop}
              - {name: tcp-22, proto: tcp, dst_port: 22, action: reflect}
            default: drop
            """);
        final FrameEvent demo = udp("10.0.0.1", 5000, "10.0.0.2", 9000);

        assertEquals(0, filter.match(demo));
        assertEquals(0, demo.rule);
        assertEquals(Action.COUNT.id(), demo.action);

        final FrameEvent ssh = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
        assertEquals(2, filter.match(ssh));
        assertEquals(Action.DROP.id(), ssh.action);
    }

    @Test
    void shouldCarryOnTheCountersOfRulesOfTheSameNameAndRetireTheOthers()
    {
        final CountersFile file = CountersFile.inMemory(64);
        final Filter old = new Filter(RulesFile.parse("old.yaml", """
            filter:
              - {name: gone, proto: tcp, action: count}
              - {name: kept, proto: udp, action: count}
            default: drop
            """).filter(), file, "agent=\"handler-0\"");
        final FrameEvent udp = udp("10.0.0.1", 5000, "10.0.0.2", 9000);
        final FrameEvent tcp = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
        final FrameEvent icmp = icmp("10.0.0.1", "10.0.0.2", 8, 0);
        old.match(udp);
        old.match(tcp);
        old.match(tcp);
        old.match(icmp);

        final Filter next = new Filter(RulesFile.parse("next.yaml", """
            filter:
              - {name: added, proto: icmp, action: count}
              - {name: kept, proto: udp, action: drop}
            default: drop
            """).filter(), file, "agent=\"handler-0\"", old);
        assertEquals(0, next.hits(0), "a new rule starts at zero");
        assertEquals(1, next.hits(1), "a rule of the same name carries on its counter, whatever its match");
        assertEquals(1, next.defaultHits(), "the default carries on");
        next.match(udp);
        next.match(icmp);
        assertEquals(2, old.hits(1), "one counter, written through either filter");
        assertEquals(1, next.hits(0));

        assertEquals(2, old.retire(next, file), "the frames of the rule that went");
        assertEquals(2, next.hits(1));
        assertEquals(1, next.defaultHits());
        assertEquals(List.of("sluice_rule_hits_total{agent=\"handler-0\",rule=\"kept\"}=2",
            "sluice_rule_hits_total{agent=\"handler-0\",rule=\"(default)\"}=1",
            "sluice_rule_hits_total{agent=\"handler-0\",rule=\"added\"}=1"),
            file.view().series().stream().map((series) -> series.name() + "=" + series.value()).toList(),
            "the removed rule's series is gone");
    }

    @Test
    void shouldApplyTheDefaultActionWhenNoRuleMatches()
    {
        final Filter filter = filter("""
            filter:
              - {name: udp, proto: udp, action: drop}
            default: reflect
            """);
        final FrameEvent event = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
        event.rule = 7;

        assertEquals(FrameEvent.ABSENT, filter.match(event));
        assertEquals(FrameEvent.ABSENT, event.rule);
        assertEquals(Action.REFLECT.id(), event.action);
        assertEquals(0, filter.hits(0));
        assertEquals(1, filter.defaultHits());
    }

    @Test
    void shouldApplyTheDefaultToEveryFrameWithNoRules()
    {
        final Filter filter = filter("default: count\n");

        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(2, filter.defaultHits());
        assertEquals(0, filter.ruleCount());
    }

    @Test
    void shouldMatchTheOuterVlanIdOrUntaggedFrames()
    {
        final Filter filter = filter("""
            filter:
              - {name: vlan-100, vlan: 100, action: count}
              - {name: untagged, vlan: none, action: reflect}
            """);

        assertEquals(0, filter.match(tagged(udp("10.0.0.1", 1, "10.0.0.2", 2), 100)));
        assertEquals(0, filter.match(tagged(nonIp(EtherTypes.ARP), 100)));
        assertEquals(FrameEvent.ABSENT, filter.match(tagged(udp("10.0.0.1", 1, "10.0.0.2", 2), 101)));
        assertEquals(FrameEvent.ABSENT, filter.match(tagged(udp("10.0.0.1", 1, "10.0.0.2", 2), 0)));
        assertEquals(1, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(1, filter.match(nonIp(EtherTypes.LLDP)));
    }

    @Test
    void shouldMatchTheEtherType()
    {
        final Filter filter = filter("""
            filter:
              - {name: arp, ether_type: arp, action: count}
              - {name: lldp, ether_type: 0x88cc, action: drop}
              - {name: v6, ether_type: ipv6, action: reflect}
            """);

        assertEquals(0, filter.match(nonIp(EtherTypes.ARP)));
        assertEquals(0, filter.match(tagged(nonIp(EtherTypes.ARP), 5)));
        assertEquals(1, filter.match(nonIp(EtherTypes.LLDP)));
        assertEquals(2, filter.match(udp("fd00::1", 1, "fd00::2", 2)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
    }

    @Test
    void shouldMatchTheIpVersion()
    {
        final Filter filter = filter("""
            filter:
              - {name: v4, ip: 4, action: count}
              - {name: v6, ip: 6, action: drop}
            """);

        assertEquals(0, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(1, filter.match(icmp("fd00::1", "fd00::2", 128, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
    }

    @Test
    void shouldMatchTheProtocol()
    {
        final Filter filter = filter("""
            filter:
              - {name: esp, proto: 50, action: count}
              - {name: icmpv6, proto: icmpv6, action: drop}
              - {name: tcp, proto: tcp, action: reflect}
            """);

        assertEquals(0, filter.match(ipOnly("10.0.0.1", "10.0.0.2", ESP)));
        assertEquals(1, filter.match(icmp("fd00::1", "fd00::2", 128, 0)));
        assertEquals(2, filter.match(tcp("fd00::1", 1, "fd00::2", 2, SYN)));
        assertEquals(FrameEvent.ABSENT, filter.match(icmp("10.0.0.1", "10.0.0.2", 8, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
    }

    @Test
    void shouldMatchIpv4Prefixes()
    {
        final Filter filter = filter("""
            filter:
              - {name: host, src: 10.0.0.1, action: count}
              - {name: slash-23, dst: 192.168.2.0/23, action: drop}
              - {name: slash-8, src: 10.0.0.0/8, dst: 172.16.0.0/12, action: reflect}
              - {name: all-v4, dst: 0.0.0.0/0, action: count}
            """);

        assertEquals(0, filter.match(udp("10.0.0.1", 1, "8.8.8.8", 53)));
        assertEquals(1, filter.match(udp("10.0.0.2", 1, "192.168.3.255", 53)));
        assertEquals(1, filter.match(udp("10.0.0.2", 1, "192.168.2.0", 53)));
        assertEquals(2, filter.match(udp("10.0.0.2", 1, "172.31.255.1", 53)));
        assertEquals(3, filter.match(udp("10.0.0.2", 1, "172.32.0.1", 53)));
        assertEquals(3, filter.match(udp("11.0.0.1", 1, "192.168.4.1", 53)));
        assertEquals(3, filter.match(udp("255.255.255.255", 1, "0.0.0.0", 53)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("::", 1, "::", 53)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
    }

    @Test
    void shouldMatchIpv6PrefixesOfAnyLength()
    {
        final Filter filter = filter("""
            filter:
              - {name: host, dst: 2001:db8::1/128, action: count}
              - {name: slash-57, dst: 2001:db8:0:80::/57, action: drop}
              - {name: slash-64, dst: 2001:db8:1:2::/64, action: reflect}
              - {name: slash-100, src: 2001:db8::a:b:c000:0/100, action: count}
              - {name: all-v6, dst: "::/0", action: drop}
            """);

        assertEquals(0, filter.match(udp("fd00::1", 1, "2001:db8::1", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8::2", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8::1:0:0:1", 2)));

        assertEquals(1, filter.match(udp("fd00::1", 1, "2001:db8:0:80::", 2)));
        assertEquals(1, filter.match(udp("fd00::1", 1, "2001:db8:0:ff:ffff:ffff:ffff:ffff", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8:0:7f:ffff:ffff:ffff:ffff", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8:0:100::", 2)));

        assertEquals(2, filter.match(udp("fd00::1", 1, "2001:db8:1:2:ffff:ffff:ffff:ffff", 2)));
        assertEquals(2, filter.match(udp("fd00::1", 1, "2001:db8:1:2::", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8:1:3::", 2)));
        assertEquals(4, filter.match(udp("fd00::1", 1, "2001:db8:1:1:ffff:ffff:ffff:ffff", 2)));

        assertEquals(3, filter.match(udp("2001:db8::a:b:c000:0", 1, "fe80::1", 2)));
        assertEquals(3, filter.match(udp("2001:db8::a:b:cfff:ffff", 1, "fe80::1", 2)));
        assertEquals(4, filter.match(udp("2001:db8::a:b:d000:0", 1, "fe80::1", 2)));
        assertEquals(4, filter.match(udp("2001:db8::a:b:bfff:ffff", 1, "fe80::1", 2)));

        assertEquals(4, filter.match(udp("::", 1, "::", 2)));
        assertEquals(4, filter.match(icmp("fe80::1", "ff02::1", 135, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.LLDP)));
    }

    @Test
    void shouldMatchPortsAndPortRanges()
    {
        final Filter filter = filter("""
            filter:
              - {name: dns, dst_port: 53, action: count}
              - {name: ephemeral-to-web, proto: tcp, src_port: 32768-60999, dst_port: 80-443, action: drop}
              - {name: from-zero, src_port: 0, action: reflect}
            """);

        assertEquals(0, filter.match(udp("10.0.0.1", 5353, "10.0.0.2", 53)));
        assertEquals(0, filter.match(tcp("fd00::1", 5353, "fd00::2", 53, SYN)));
        assertEquals(1, filter.match(tcp("10.0.0.1", 32768, "10.0.0.2", 80, SYN)));
        assertEquals(1, filter.match(tcp("10.0.0.1", 60999, "10.0.0.2", 443, SYN)));
        assertEquals(FrameEvent.ABSENT, filter.match(tcp("10.0.0.1", 32767, "10.0.0.2", 80, SYN)));
        assertEquals(FrameEvent.ABSENT, filter.match(tcp("10.0.0.1", 61000, "10.0.0.2", 80, SYN)));
        assertEquals(FrameEvent.ABSENT, filter.match(tcp("10.0.0.1", 40000, "10.0.0.2", 444, SYN)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 40000, "10.0.0.2", 80)));
        assertEquals(2, filter.match(udp("10.0.0.1", 0, "10.0.0.2", 9)));
    }

    @Test
    void shouldNeverMatchAPortConstraintOnAFrameWithoutPorts()
    {
        final Filter filter = filter("""
            filter:
              - {name: all-src-ports, src_port: 0-65535, action: count}
              - {name: all-dst-ports, dst_port: 0-65535, action: count}
            """);

        assertEquals(FrameEvent.ABSENT, filter.match(laterFragment(udp("10.0.0.1", 1, "10.0.0.2", 2))));
        assertEquals(FrameEvent.ABSENT, filter.match(icmp("10.0.0.1", "10.0.0.2", 8, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(ipOnly("fd00::1", "fd00::2", ESP)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
        assertEquals(0, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
    }

    @Test
    void shouldMatchTcpFlagsThatMustBeSetAndClear()
    {
        final Filter filter = filter("""
            filter:
              - {name: syn-only, tcp_flags: "syn,!ack", action: drop}
              - {name: rst, proto: tcp, tcp_flags: rst, action: count}
              - {name: no-flags, tcp_flags: "!fin,!syn,!rst,!psh,!ack,!urg,!ece,!cwr", action: reflect}
            """);

        assertEquals(0, filter.match(tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN)));
        assertEquals(0, filter.match(tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN | FIN)));
        assertEquals(FrameEvent.ABSENT, filter.match(tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN | ACK)));
        assertEquals(1, filter.match(tcp("10.0.0.1", 1, "10.0.0.2", 2, RST | ACK)));
        assertEquals(2, filter.match(tcp("10.0.0.1", 1, "10.0.0.2", 2, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(FrameEvent.ABSENT, filter.match(laterFragment(tcp("10.0.0.1", 1, "10.0.0.2", 2, 0))));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
    }

    @Test
    void shouldMatchIcmpTypeAndCode()
    {
        final Filter filter = filter("""
            filter:
              - {name: echo, proto: icmp, icmp_type: 8, icmp_code: 0, action: reflect}
              - {name: unreachable, icmp_type: 3, action: count}
              - {name: code-4, icmp_code: 4, action: drop}
            """);

        assertEquals(0, filter.match(icmp("10.0.0.1", "10.0.0.2", 8, 0)));
        assertEquals(2, filter.match(icmp("10.0.0.1", "10.0.0.2", 8, 4)));
        assertEquals(FrameEvent.ABSENT, filter.match(icmp("fd00::1", "fd00::2", 8, 1)));
        assertEquals(1, filter.match(icmp("10.0.0.1", "10.0.0.2", 3, 4)));
        assertEquals(1, filter.match(icmp("fd00::1", "fd00::2", 3, 0)));
        assertEquals(FrameEvent.ABSENT, filter.match(udp("10.0.0.1", 3, "10.0.0.2", 4)));
        assertEquals(FrameEvent.ABSENT, filter.match(laterFragment(icmp("10.0.0.1", "10.0.0.2", 3, 4))));
    }

    @Test
    void shouldMatchFragmentsOrNonFragments()
    {
        final Filter filter = filter("""
            filter:
              - {name: fragments, fragment: true, action: drop}
              - {name: whole, fragment: false, action: count}
            """);

        assertEquals(0, filter.match(firstFragment(udp("10.0.0.1", 1, "10.0.0.2", 2))));
        assertEquals(0, filter.match(laterFragment(udp("fd00::1", 1, "fd00::2", 2))));
        assertEquals(1, filter.match(udp("10.0.0.1", 1, "10.0.0.2", 2)));
        assertEquals(FrameEvent.ABSENT, filter.match(nonIp(EtherTypes.ARP)));
    }

    @Test
    void shouldNeverMatchANonIpFrameOnAnIpConstraint()
    {
        final Filter filter = filter("""
            filter:
              - {name: src, src: 0.0.0.0/0, action: drop}
              - {name: dst6, dst: "::/0", action: drop}
              - {name: proto, proto: 0, action: drop}
              - {name: port, dst_port: 0-65535, action: drop}
              - {name: flags, tcp_flags: "!syn", action: drop}
              - {name: icmp, icmp_code: 0, action: drop}
              - {name: whole, fragment: false, action: drop}
              - {name: catch-all, action: count}
            """);

        final FrameEvent arp = nonIp(EtherTypes.ARP);

        assertEquals(7, filter.match(arp));
        assertEquals(Action.COUNT.id(), arp.action);
    }

    @Test
    void shouldGiveForwardRulesTheIndexOfTheirInterface()
    {
        final Filter filter = filter("""
            filter:
              - {name: a, proto: udp, action: forward, to: veth-b}
              - {name: b, action: forward, to: veth-c}
            """);

        final FrameEvent event = tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN);
        assertEquals(1, filter.match(event));
        assertEquals(Action.FORWARD.id(), event.action);
        assertEquals(1, filter.forwardIndex(event.rule));
        assertEquals("veth-c", filter.ruleSet().forwardInterfaces().get(filter.forwardIndex(event.rule)));
    }

    @Test
    void shouldCountEveryRuleAndTheDefaultExactly() throws Exception
    {
        final Filter filter = filter("""
            filter:
              - {name: dns, proto: udp, dst_port: 53, action: count}
              - {name: web, proto: tcp, dst_port: 80-443, action: drop}
              - {name: v6, dst: fd00::/8, action: reflect, swap: [ip, ports]}
              - {name: ping, icmp_type: 8, action: reflect, swap: [ip]}
            default: drop
            """);
        final FrameEvent[] kinds = {
            udp("10.0.0.1", 5000, "10.0.0.53", 53),
            tcp("10.0.0.1", 5000, "10.0.0.80", 443, SYN),
            udp("fd00::1", 5000, "fd00::2", 9),
            icmp("10.0.0.1", "10.0.0.2", 8, 0),
            nonIp(EtherTypes.ARP),
        };
        final int[] expected = { 3100, 2500, 1900, 1300, 1200 };
        final List<Integer> order = new ArrayList<>();
        for (int kind = 0; kind < kinds.length; kind++)
        {
            for (int i = 0; i < expected[kind]; i++)
            {
                order.add(kind);
            }
        }
        Collections.shuffle(order, new Random(42));
        assertEquals(10_000, order.size());

        final Thread handler = new Thread(() ->
        {
            for (final int kind : order)
            {
                filter.match(kinds[kind]);
            }
        }, "handler");
        handler.start();
        handler.join();

        for (int rule = 0; rule < 4; rule++)
        {
            assertEquals(expected[rule], filter.hits(rule), filter.ruleSet().rule(rule).name());
        }
        assertEquals(expected[4], filter.defaultHits());
        assertThrows(IndexOutOfBoundsException.class, () -> filter.hits(4));
    }

    @Test
    void shouldKeepTheCountsOfEachFilterApart()
    {
        final RuleSet ruleSet = RulesFile.parse("test.yaml", "filter:\n  - {name: udp, proto: udp, action: count}\n")
            .filter();
        final Filter first = new Filter(ruleSet);
        final Filter second = new Filter(ruleSet);

        first.match(udp("10.0.0.1", 1, "10.0.0.2", 2));
        first.match(udp("10.0.0.1", 1, "10.0.0.2", 2));
        second.match(udp("10.0.0.1", 1, "10.0.0.2", 2));
        second.match(nonIp(EtherTypes.ARP));

        assertEquals(2, first.hits(0));
        assertEquals(0, first.defaultHits());
        assertEquals(1, second.hits(0));
        assertEquals(1, second.defaultHits());
    }

    @Test
    void shouldMatchWithoutAllocating()
    {
        final Filter filter = filter("""
            filter:
              - {name: vlan, vlan: 7, ether_type: ipv4, action: drop}
              - {name: syn, proto: tcp, tcp_flags: "syn,!ack", src_port: 1024-65535, action: drop}
              - {name: v6, src: 2001:db8::/57, dst: fd00::/8, dst_port: 9000, action: reflect, swap: [ip, ports]}
              - {name: echo, ip: 4, proto: icmp, icmp_type: 8, icmp_code: 0, action: reflect}
              - {name: frag, fragment: true, action: count}
              - {name: to-b, dst: 10.1.0.0/16, action: forward, to: veth-b}
            default: drop
            """);
        final FrameEvent[] events = {
            tagged(udp("10.0.0.1", 1, "10.0.0.2", 2), 7),
            tcp("10.0.0.1", 40000, "10.0.0.2", 80, SYN),
            udp("2001:db8::1", 1, "fd00::2", 9000),
            icmp("10.0.0.1", "10.0.0.2", 8, 0),
            firstFragment(udp("10.0.0.1", 1, "10.0.0.2", 2)),
            udp("10.0.0.1", 1, "10.1.2.3", 2),
            nonIp(EtherTypes.ARP),
            udp("fd00::1", 1, "fd00::2", 2),
        };
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final long probeBefore = threads.getCurrentThreadAllocatedBytes();
        allocationProbe = new long[1024];
        assertTrue(threads.getCurrentThreadAllocatedBytes() - probeBefore >= 8 * 1024, "allocation is measured");

        final int matches = 1_000_000;
        // Per pass of the 8 events: rules 0..5 once each, the default twice (-1 each).
        final long checksumPerRun = (matches / events.length) * (0 + 1 + 2 + 3 + 4 + 5 - 1 - 1);
        int runs = 1;
        long checksum = matchAll(filter, events, matches);
        long allocatedBytes = -1;
        for (int attempt = 0; attempt < 5 && 0 != allocatedBytes; attempt++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            checksum += matchAll(filter, events, matches);
            allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
            runs++;
        }

        assertEquals(0, allocatedBytes);
        assertEquals(runs * checksumPerRun, checksum);
        long total = filter.defaultHits();
        for (int rule = 0; rule < filter.ruleCount(); rule++)
        {
            assertEquals(filter.hits(0), filter.hits(rule), filter.ruleSet().rule(rule).name());
            total += filter.hits(rule);
        }
        assertEquals(2 * filter.hits(0), filter.defaultHits());
        assertEquals(total, filter.hits(0) * 8);
    }

    @SuppressWarnings("unused")
    private static long[] allocationProbe;

    private static long matchAll(final Filter filter, final FrameEvent[] events, final int matches)
    {
        long checksum = 0;
        int next = 0;
        for (int i = 0; i < matches; i++)
        {
            checksum += filter.match(events[next]);
            next = next + 1 == events.length ? 0 : next + 1;
        }

        return checksum;
    }

    private static Filter filter(final String yaml)
    {
        return new Filter(RulesFile.parse("test.yaml", yaml).filter());
    }
}
