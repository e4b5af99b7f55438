package io.sluice.pipeline.rules;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RulesFormatterTest
{
    private static final String EDGES = """
        steer:
          - {name: v6-any-port, proto: tcp, src: "::1/128", dst: "fd00::/8", dst_port: 1000-2000, priority: 7}
          - {name: drop-icmp, proto: icmp, action: drop}
          - {proto: 47, action: pass}
        steer_all: true
        filter:
          - {name: "true", vlan: none, ether_type: 0x88cc, action: count}
          - {name: syn, ip: 6, proto: tcp, src: "::/0", tcp_flags: "syn,!ack", fragment: false, action: drop,
             block_if: {pps: 200, window_ms: 50, syn_ratio: 3, prefix6: 64, ttl_s: 5}}
          - {name: ping, proto: icmpv6, icmp_type: 128, icmp_code: 0, action: reflect, swap: [ip]}
          - {name: out, src: 192.0.2.0/24, src_port: 53, action: forward, to: "veth#1"}
          - {name: dump, vlan: 4095, action: mirror, block_if: {pps: 10}}
        default: count
        blocking: {ttl_s: 30, max_blocks: 16, track: 1024, allow: ["::1/128", 10.0.0.0/8]}
        """;

    @Test
    void shouldWriteTheDocumentedExampleSoThatItReadsBackEqual()
    {
        final Rules rules = RulesFile.parse("rules.yaml", RulesFileTest.EXAMPLE);
        final String text = RulesFormatter.format(rules);

        assertEquals("""
            steer:
              - {name: demo-flow, proto: udp, src: 10.99.0.0/24, dst: 10.99.0.2/32, dst_port: 9000, action: steer}
            steer_all: false
            filter:
              - {name: reflect-demo, proto: udp, dst_port: 9000, action: reflect, swap: [ip, ports]}
              - {name: to-b, dst: 10.1.0.0/16, action: forward, to: veth-b}
            default: drop
            blocking: {ttl_s: 60, max_blocks: 1024, track: 65536, allow: []}
            """, text);
        assertSameRules(rules, RulesFile.parse("shown.yaml", text));
    }

    @Test
    void shouldQuoteWhatYamlWouldMisreadAndKeepEveryKeySoItReadsBackEqual()
    {
        final Rules rules = RulesFile.parse("edges.yaml", EDGES);
        final String text = RulesFormatter.format(rules);

        assertSameRules(rules, RulesFile.parse("shown.yaml", text));
        assertEquals(text, RulesFormatter.format(RulesFile.parse("shown.yaml", text)), "a fixed point");
        assertEquals("  - {name: v6-any-port, proto: tcp, src: '::1/128', dst: fd00::/8, dst_port: 1000-2000, " +
            "priority: 7, action: steer}", text.lines().toList().get(1));
        assertEquals("  - {name: 'true', vlan: none, ether_type: 0x88cc, action: count}",
            text.lines().toList().get(6));
    }

    @Test
    void shouldEndEachRuleLineWithItsCommentAndStillReadBackEqual()
    {
        final Rules rules = RulesFile.parse("edges.yaml", EDGES);
        final String text = RulesFormatter.format(rules, (id) -> "steered " + (100 + id),
            (index) -> -1 == index ? "default took 9" : 0 == index % 2 ? "hits " + index : null);
        final List<String> lines = text.lines().toList();

        assertEquals("  - {name: drop-icmp, proto: icmp, action: drop}  # steered 101", lines.get(2));
        assertEquals("  - {name: 'true', vlan: none, ether_type: 0x88cc, action: count}  # hits 0", lines.get(6));
        assertEquals("  - {name: syn, ip: 6, proto: tcp, src: '::/0', tcp_flags: 'syn,!ack', fragment: false, " +
            "action: drop, block_if: {pps: 200, window_ms: 50, syn_ratio: 3, prefix6: 64, ttl_s: 5}}", lines.get(7));
        assertEquals("  - {name: ping, proto: icmpv6, icmp_type: 128, icmp_code: 0, action: reflect, swap: [ip]}" +
            "  # hits 2", lines.get(8));
        assertEquals("default: count  # default took 9", lines.get(11));
        assertSameRules(rules, RulesFile.parse("shown.yaml", text));
    }

    static void assertSameRules(final Rules expected, final Rules actual)
    {
        assertEquals(expected.steering(), actual.steering());
        assertEquals(expected.steeringNames(), actual.steeringNames());
        assertEquals(expected.steerAll(), actual.steerAll());
        assertEquals(expected.filter().rules().stream().map(FilterRule::toString).toList(),
            actual.filter().rules().stream().map(FilterRule::toString).toList());
        assertEquals(expected.filter().defaultAction(), actual.filter().defaultAction());
        assertEquals(expected.triggers(), actual.triggers());
        assertEquals(expected.blocking(), actual.blocking());
    }
}
