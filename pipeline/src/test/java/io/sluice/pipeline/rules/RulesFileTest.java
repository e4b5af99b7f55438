package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SteeringDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class RulesFileTest
{
    static final String EXAMPLE = """
        # Which packets the XDP program hands to Sluice; the rest go to the kernel.
        steer:
          - name: demo-flow          # optional; default "steer-N"
            proto: udp               # udp, tcp, icmp, icmpv6, or 0..255; default any
            src: 10.99.0.0/24        # IPv4 or IPv6 prefix; default any
            dst: 10.99.0.2/32
            dst_port: 9000           # one port or a range "9000-9009"; needs proto tcp/udp/any
            priority: 0              # optional; lower wins; default = position in the list
            action: steer            # steer | pass | drop
        steer_all: false             # true: every packet goes to user space unparsed (benchmarks)

        # What Sluice does with what it receives: first match wins.
        filter:
          - name: reflect-demo
            proto: udp
            dst_port: 9000
            action: reflect          # drop | count | reflect | forward | mirror
            swap: [ip, ports]        # reflect only: MACs are always swapped; also swap IPs and/or ports
          - name: to-b
            dst: 10.1.0.0/16
            action: forward
            to: veth-b               # forward only: the egress interface
        default: drop                # action when no filter rule matches (drop | count | reflect; default drop)
        """;

    @Test
    void shouldLoadTheDocumentedExample()
    {
        final Rules rules = RulesFile.parse("rules.yaml", EXAMPLE);

        assertEquals("rules.yaml", rules.source());
        assertFalse(rules.steerAll());
        assertEquals(
            List.of(new FlowRule(0, 0, IpProtocols.UDP, Prefix.parse("10.99.0.0/24"), Prefix.parse("10.99.0.2/32"),
                9000, 9000, FlowRule.Action.STEER)),
            rules.steering());
        assertEquals("demo-flow", rules.steeringName(0));

        final RuleSet filter = rules.filter();
        assertEquals(2, filter.size());
        assertEquals(Action.DROP, filter.defaultAction());
        assertEquals(List.of("veth-b"), filter.forwardInterfaces());

        final FilterRule reflect = filter.rule(0);
        assertEquals("reflect-demo", reflect.name());
        assertEquals(14, reflect.line());
        assertEquals(FilterRule.MATCH_PROTOCOL | FilterRule.MATCH_DST_PORT, reflect.fields());
        assertEquals(IpProtocols.UDP, reflect.protocol());
        assertEquals(9000, reflect.dstPorts().low());
        assertEquals(9000, reflect.dstPorts().high());
        assertEquals(Action.REFLECT, reflect.action());
        assertTrue(reflect.swapIp());
        assertTrue(reflect.swapPorts());
        assertNull(reflect.forwardInterface());
        assertEquals(FrameEvent.ABSENT, reflect.forwardIndex());

        final FilterRule toB = filter.rule(1);
        assertEquals("to-b", toB.name());
        assertEquals(19, toB.line());
        assertEquals(FilterRule.MATCH_DST_IPV4, toB.fields());
        assertEquals(4, toB.dstAddress().family());
        assertEquals(16, toB.dstAddress().prefixBits());
        assertEquals(0x0A010000, toB.dstAddress().ipv4());
        assertEquals(Action.FORWARD, toB.action());
        assertEquals("veth-b", toB.forwardInterface());
        assertEquals(0, toB.forwardIndex());
        assertEquals("{name: to-b, dst: 10.1.0.0/16, action: forward, to: veth-b}", toB.toString());
    }

    @Test
    void shouldLoadFromAPathAndNameItInMessages(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("rules.yaml");
        Files.writeString(file, EXAMPLE);
        assertEquals(file.toString(), RulesFile.load(file).source());

        Files.writeString(file, "filter:\n  - action: drp\n");
        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.load(file));
        assertEquals(file + ":2: filter rule 'filter-0': action 'drp' is not one of drop, count, reflect, forward, " +
            "mirror", ex.getMessage());
        assertEquals(file.toString(), ex.source());
        assertEquals(2, ex.line());
    }

    @Test
    void shouldReportAMissingFile(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("missing.yaml");

        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.load(missing));

        assertEquals(missing + ": cannot read: no such file", ex.getMessage());
        assertEquals(0, ex.line());
    }

    @Test
    void shouldReportADirectory(@TempDir final Path dir)
    {
        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.load(dir));

        assertTrue(ex.getMessage().startsWith(dir + ": cannot read: "), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"));
    }

    @Test
    void shouldApplyDefaults()
    {
        final Rules rules = RulesFile.parse("rules.yaml", """
            steer:
              - proto: tcp
              - dst: fd00::/8
                action: pass
            filter:
              - action: count
            """);

        assertEquals(List.of("steer-0", "steer-1"), rules.steeringNames());
        assertEquals(FlowRule.of(0, FlowRule.Action.STEER).withProtocol(IpProtocols.TCP), rules.steering().get(0));
        assertEquals(FlowRule.of(1, FlowRule.Action.PASS).withPriority(1).withDestination("fd00::/8"),
            rules.steering().get(1));
        assertFalse(rules.steerAll());
        assertEquals("filter-0", rules.filter().rule(0).name());
        assertEquals(0, rules.filter().rule(0).fields());
        assertEquals(Action.DROP, rules.filter().defaultAction());
    }

    @Test
    void shouldAcceptAMappingWithNoRules()
    {
        final Rules rules = RulesFile.parse("rules.yaml", "steer:\nfilter: []\nsteer_all: true\ndefault: reflect\n");

        assertTrue(rules.steering().isEmpty());
        assertTrue(rules.steerAll());
        assertEquals(0, rules.filter().size());
        assertEquals(Action.REFLECT, rules.filter().defaultAction());
    }

    @Test
    void shouldReadEveryFilterKey()
    {
        final RuleSet filter = RulesFile.parse("rules.yaml", """
            filter:
              - name: all-l4
                vlan: 100
                ether_type: ipv6
                ip: 6
                proto: tcp
                src: 2001:db8::/32
                dst: 2001:db8:0:80::/57
                src_port: 1024-65535
                dst_port: 443
                tcp_flags: "syn,!ack"
                fragment: false
                action: drop
              - name: icmp
                vlan: none
                ether_type: 0x0800
                proto: 1
                icmp_type: 8
                icmp_code: 0
                fragment: true
                action: count
              - name: lldp
                ether_type: 0x88cc
                action: reflect
                swap: ports
              - name: flags-list
                tcp_flags: [fin, "!syn"]
                action: count
            default: count
            """).filter();

        final FilterRule l4 = filter.rule(0);
        assertEquals(100, l4.vlan());
        assertEquals(0x86DD, l4.etherType());
        assertEquals(6, l4.ipVersion());
        assertEquals(IpProtocols.TCP, l4.protocol());
        assertEquals(6, l4.srcAddress().family());
        assertEquals(32, l4.srcAddress().prefixBits());
        assertEquals(0x20010db800000000L, l4.srcAddress().ipv6Hi());
        assertEquals(0L, l4.srcAddress().ipv6Lo());
        assertEquals(57, l4.dstAddress().prefixBits());
        assertEquals(0x20010db800000080L, l4.dstAddress().ipv6Hi());
        assertEquals(1024, l4.srcPorts().low());
        assertEquals(65535, l4.srcPorts().high());
        assertEquals(443, l4.dstPorts().low());
        assertEquals(0x02, l4.tcpFlagsSet());
        assertEquals(0x10, l4.tcpFlagsClear());
        assertEquals(0, l4.fragment());
        assertEquals("{name: all-l4, vlan: 100, ether_type: ipv6, ip: 6, proto: tcp, src: 2001:db8::/32, " +
            "dst: 2001:db8:0:80::/57, src_port: 1024-65535, dst_port: 443, tcp_flags: 'syn,!ack', " +
            "fragment: false, action: drop}", l4.toString());

        final FilterRule icmp = filter.rule(1);
        assertEquals(FilterRule.VLAN_NONE, icmp.vlan());
        assertEquals(0x0800, icmp.etherType());
        assertEquals(IpProtocols.ICMP, icmp.protocol());
        assertEquals(8, icmp.icmpType());
        assertEquals(0, icmp.icmpCode());
        assertEquals(1, icmp.fragment());
        assertEquals(FilterRule.ANY, icmp.ipVersion());
        assertEquals(0, icmp.srcAddress().family());

        final FilterRule lldp = filter.rule(2);
        assertEquals(0x88CC, lldp.etherType());
        assertFalse(lldp.swapIp());
        assertTrue(lldp.swapPorts());

        assertEquals(0x01, filter.rule(3).tcpFlagsSet());
        assertEquals(0x02, filter.rule(3).tcpFlagsClear());
        assertEquals(Action.COUNT, filter.defaultAction());
    }

    @Test
    void shouldIndexDistinctForwardInterfaces()
    {
        final RuleSet filter = RulesFile.parse("rules.yaml", """
            filter:
              - {name: a, proto: udp, action: forward, to: veth-b}
              - {name: b, proto: tcp, action: forward, to: veth-c}
              - {name: c, action: forward, to: veth-b}
            """).filter();

        assertEquals(List.of("veth-b", "veth-c"), filter.forwardInterfaces());
        assertEquals(0, filter.rule(0).forwardIndex());
        assertEquals(1, filter.rule(1).forwardIndex());
        assertEquals(0, filter.rule(2).forwardIndex());
        assertEquals(2, filter.indexOf("c"));
    }

    @Test
    void shouldAcceptTheSteeringRuleLimitAndNoMore()
    {
        final StringBuilder yaml = new StringBuilder("steer:\n");
        for (int i = 0; i < SteeringDescriptor.MAX_RULES; i++)
        {
            yaml.append("  - dst_port: ").append(1000 + i).append('\n');
        }
        assertEquals(SteeringDescriptor.MAX_RULES, RulesFile.parse("rules.yaml", yaml.toString()).steering().size());

        yaml.append("  - dst_port: 1\n");
        final RulesFileException ex = assertThrows(
            RulesFileException.class, () -> RulesFile.parse("rules.yaml", yaml.toString()));
        assertEquals("rules.yaml:" + (SteeringDescriptor.MAX_RULES + 2) + ": steer holds at most " +
            SteeringDescriptor.MAX_RULES + " rules, the XDP program's limit", ex.getMessage());
    }

    static Stream<Arguments> invalidFiles()
    {
        return Stream.of(
            arguments("empty file", "", "rules.yaml:1: the file is empty; expected a mapping with keys steer, " +
                "steer_all, filter, default, blocking"),
            arguments("only comments", "# nothing yet\n\n", "rules.yaml:1: the file is empty; expected a mapping " +
                "with keys steer, steer_all, filter, default, blocking"),
            arguments("top level a list", "# rules\n- name: a\n", "rules.yaml:2: the top level must be a mapping " +
                "with keys steer, steer_all, filter, default, blocking, not a list"),
            arguments("top level a scalar", "drop\n", "rules.yaml:1: the top level must be a mapping with keys " +
                "steer, steer_all, filter, default, blocking, not 'drop'"),
            arguments("unknown top-level key", "steer: []\nfilters: []\n", "rules.yaml:2: unknown key 'filters'; " +
                "allowed keys are steer, steer_all, filter, default, blocking"),
            arguments("duplicate top-level key", "default: drop\nsteer: []\ndefault: count\n",
                "rules.yaml:3: key default appears twice (first at line 1)"),
            arguments("unknown filter key", """
                filter:
                  - name: to-b
                    dts: 10.1.0.0/16
                    action: drop
                """, "rules.yaml:3: filter rule 'to-b': unknown key 'dts'; allowed keys are name, vlan, " +
                "ether_type, ip, proto, src, dst, src_port, dst_port, tcp_flags, icmp_type, icmp_code, fragment, " +
                "action, swap, to, block_if"),
            arguments("unknown steer key", "steer:\n  - src_port: 53\n", "rules.yaml:2: steer rule 'steer-0': " +
                "unknown key 'src_port'; allowed keys are name, proto, src, dst, dst_port, priority, action"),
            arguments("duplicate rule key", """
                filter:
                  - name: a
                    dst: 10.0.0.0/8
                    action: drop
                    dst: 10.1.0.0/16
                """, "rules.yaml:5: filter rule 'a': key dst appears twice (first at line 3)"),
            arguments("port out of range", """
                filter:
                  - name: reflect-demo
                    proto: udp
                    action: reflect
                  - name: to-b
                    dst_port: 70000
                    action: drop
                """, "rules.yaml:6: filter rule 'to-b': dst_port 70000 is not within 0-65535"),
            arguments("port range out of range", "filter:\n  - {name: a, src_port: 9000-70000, action: drop}\n",
                "rules.yaml:2: filter rule 'a': src_port 9000-70000 is not within 0-65535"),
            arguments("negative port", "filter:\n  - {name: a, src_port: -1, action: drop}\n",
                "rules.yaml:2: filter rule 'a': src_port -1 is not within 0-65535"),
            arguments("backwards port range", "steer:\n  - name: s\n    dst_port: 9009-9000\n",
                "rules.yaml:3: steer rule 's': dst_port 9009-9000 is backwards: the first port must not exceed " +
                "the last"),
            arguments("port not a number", "filter:\n  - {name: a, dst_port: http, action: drop}\n",
                "rules.yaml:2: filter rule 'a': dst_port 'http' is not a port or a range such as 9000-9009"),
            arguments("port a list", "filter:\n  - name: a\n    dst_port: [80, 443]\n    action: drop\n",
                "rules.yaml:3: filter rule 'a': dst_port must be a port or a range such as 9000-9009, not a list"),
            arguments("port without value", "filter:\n  - name: a\n    dst_port:\n    action: drop\n",
                "rules.yaml:3: filter rule 'a': dst_port has no value; expected a port or a range such as " +
                "9000-9009"),
            arguments("port with icmp", "filter:\n  - name: a\n    proto: icmp\n    dst_port: 80\n    action: drop\n",
                "rules.yaml:4: filter rule 'a': dst_port needs proto tcp or udp, not icmp"),
            arguments("steer port with icmp", "steer:\n  - name: s\n    proto: icmp\n    dst_port: 80\n",
                "rules.yaml:4: steer rule 's': dst_port needs proto tcp, udp or any, not icmp"),
            arguments("bad prefix length", "filter:\n  - name: to-b\n    dst: 10.1.0.0/33\n    action: drop\n",
                "rules.yaml:3: filter rule 'to-b': dst: prefix length of '10.1.0.0/33' must be 0..32"),
            arguments("bad address", "steer:\n  - src: 10.1.0.300/24\n",
                "rules.yaml:2: steer rule 'steer-0': src: not an IPv4 or IPv6 address: '10.1.0.300'"),
            arguments("steering ::/0", "steer:\n  - name: v6\n    dst: ::/0\n",
                "rules.yaml:3: steer rule 'v6': dst ::/0 would match IPv4 too in the XDP program; leave dst out " +
                "to match any address"),
            arguments("family mismatch src dst", """
                filter:
                  - name: mixed
                    src: 10.0.0.0/8
                    dst: fd00::/8
                    action: drop
                """, "rules.yaml:4: filter rule 'mixed': dst fd00::/8 is IPv6 but src 10.0.0.0/8 is IPv4"),
            arguments("family mismatch with ip", "filter:\n  - name: m\n    ip: 4\n    src: ::/0\n    action: drop\n",
                "rules.yaml:4: filter rule 'm': src ::/0 is IPv6 but ip is 4"),
            arguments("steering family mismatch", "steer:\n  - name: m\n    src: 10.0.0.0/8\n    dst: fd00::1\n",
                "rules.yaml:4: steer rule 'm': dst fd00::1/128 is IPv6 but src 10.0.0.0/8 is IPv4"),
            arguments("ether_type disagrees with family", """
                filter:
                  - name: e
                    ether_type: ipv4
                    dst: fd00::/8
                    action: drop
                """, "rules.yaml:3: filter rule 'e': ether_type ipv4 never carries IPv6, which the rule's other " +
                "keys need"),
            arguments("ip not 4 or 6", "filter:\n  - {name: a, ip: 5, action: drop}\n",
                "rules.yaml:2: filter rule 'a': ip '5' is not one of 4, 6"),
            arguments("forward without to", "filter:\n  - name: to-b\n    dst: 10.1.0.0/16\n    action: forward\n",
                "rules.yaml:4: filter rule 'to-b': action forward needs to: the egress interface"),
            arguments("to on drop", "filter:\n  - name: a\n    action: drop\n    to: veth-b\n",
                "rules.yaml:4: filter rule 'a': to is only for action forward, not drop"),
            arguments("swap on forward", "filter:\n  - name: a\n    action: forward\n    to: veth-b\n    swap: [ip]\n",
                "rules.yaml:5: filter rule 'a': swap is only for action reflect, not forward"),
            arguments("unknown swap", "filter:\n  - name: a\n    action: reflect\n    swap:\n      - ip\n      - mac\n",
                "rules.yaml:6: filter rule 'a': swap 'mac' is not one of ip, ports (MACs are always swapped)"),
            arguments("bad interface name", "filter:\n  - {name: a, action: forward, to: a-very-long-ifname}\n",
                "rules.yaml:2: filter rule 'a': to 'a-very-long-ifname' is not an interface name (1-15 characters, " +
                "no '/', ':' or white space)"),
            arguments("missing action", "filter:\n  - name: a\n    proto: udp\n",
                "rules.yaml:2: filter rule 'a': action is missing; give one of drop, count, reflect, forward, " +
                "mirror"),
            arguments("action typo", "filter:\n  - name: a\n    action: reflct\n",
                "rules.yaml:3: filter rule 'a': action 'reflct' is not one of drop, count, reflect, forward, mirror"),
            arguments("steer action typo", "steer:\n  - action: redirect\n",
                "rules.yaml:2: steer rule 'steer-0': action 'redirect' is not one of steer, pass, drop"),
            arguments("default forward", "default: forward\n",
                "rules.yaml:1: default 'forward' is not one of drop, count, reflect"),
            arguments("unknown proto", "steer:\n  - proto: sctp\n",
                "rules.yaml:2: steer rule 'steer-0': proto 'sctp' is not one of udp, tcp, icmp, icmpv6, any, " +
                "or a number 0..255"),
            arguments("proto out of range", "filter:\n  - {name: a, proto: 256, action: drop}\n",
                "rules.yaml:2: filter rule 'a': proto 256 is not within 0-255"),
            arguments("unknown tcp flag", "filter:\n  - name: a\n    tcp_flags: syn,!akc\n    action: drop\n",
                "rules.yaml:3: filter rule 'a': tcp flag '!akc' is not one of fin, syn, rst, psh, ack, urg, ece, " +
                "cwr (prefix '!' for must be clear)"),
            arguments("tcp flag set and clear", "filter:\n  - {name: a, tcp_flags: 'syn,!syn', action: drop}\n",
                "rules.yaml:2: filter rule 'a': tcp flag syn is named twice"),
            arguments("tcp flag read as a tag", "filter:\n  - name: a\n    tcp_flags: !ack\n    action: drop\n",
                "rules.yaml:3: filter rule 'a': tcp_flags: YAML reads '!ack' as a tag; put the value in quotes"),
            arguments("tcp flags with udp", "filter:\n  - {name: a, proto: udp, tcp_flags: syn, action: drop}\n",
                "rules.yaml:2: filter rule 'a': tcp_flags needs proto tcp, not udp"),
            arguments("icmp type with tcp", "filter:\n  - name: a\n    proto: tcp\n    icmp_type: 8\n    action: drop\n",
                "rules.yaml:4: filter rule 'a': icmp_type needs proto icmp or icmpv6, not tcp"),
            arguments("icmp code out of range", "filter:\n  - {name: a, icmp_code: 300, action: drop}\n",
                "rules.yaml:2: filter rule 'a': icmp_code 300 is not within 0-255"),
            arguments("vlan out of range", "filter:\n  - {name: a, vlan: 4096, action: drop}\n",
                "rules.yaml:2: filter rule 'a': vlan 4096 is not within 0-4095"),
            arguments("vlan not a number", "filter:\n  - {name: a, vlan: untagged, action: drop}\n",
                "rules.yaml:2: filter rule 'a': vlan 'untagged' is not a VLAN id 0..4095 or none"),
            arguments("unknown ether_type", "filter:\n  - {name: a, ether_type: ipx, action: drop}\n",
                "rules.yaml:2: filter rule 'a': ether_type 'ipx' is not one of ipv4, ipv6, arp, or a number like " +
                "0x88cc"),
            arguments("fragment not boolean", "filter:\n  - {name: a, fragment: yes, action: drop}\n",
                "rules.yaml:2: filter rule 'a': fragment 'yes' is not one of true, false"),
            arguments("steer_all not boolean", "steer_all: 1\n", "rules.yaml:1: steer_all '1' is not one of true, false"),
            arguments("priority negative", "steer:\n  - priority: -3\n",
                "rules.yaml:2: steer rule 'steer-0': priority -3 is not within 0-2147483647"),
            arguments("filter not a list", "filter:\n  action: drop\n",
                "rules.yaml:2: filter must be a list of rules, not a mapping"),
            arguments("rule not a mapping", "filter:\n  - drop\n",
                "rules.yaml:2: filter rule 'filter-0' must be a mapping of keys, not 'drop'"),
            arguments("name not a scalar", "filter:\n  - name: [a]\n    action: drop\n",
                "rules.yaml:2: filter rule 'filter-0': name must be a rule name, not a list"),
            arguments("name with a space", "filter:\n  - name: to b\n    action: drop\n",
                "rules.yaml:2: filter rule name 'to b' is not 1-64 letters, digits, '_', '.', ':' or '-', " +
                "starting with a letter or digit"),
            arguments("duplicate filter names", """
                filter:
                  - name: a
                    action: drop
                  - name: a
                    action: count
                """, "rules.yaml:4: filter rule 'a': name 'a' is already used by the filter rule at line 2"),
            arguments("name used by steering", """
                steer:
                  - name: demo
                filter:
                  - name: demo
                    action: count
                """, "rules.yaml:4: filter rule 'demo': name 'demo' is already used by the steer rule at line 2"),
            arguments("name taken by a default name", "steer:\n  - proto: udp\n  - name: steer-0\n",
                "rules.yaml:3: steer rule 'steer-0': name 'steer-0' is already used by the steer rule at line 2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void shouldRejectAnInvalidFileWithOneLineNamingFileAndLine(
        final String description, final String yaml, final String expected)
    {
        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.parse("rules.yaml", yaml));

        assertEquals(expected, ex.getMessage());
        assertEquals("rules.yaml", ex.source());
        assertTrue(ex.getMessage().startsWith("rules.yaml:" + ex.line() + ": "));
    }

    static Stream<Arguments> yamlSyntaxErrors()
    {
        return Stream.of(
            arguments("unclosed flow sequence", "filter:\n  - name: a\n    swap: [ip, ports\n    action: reflect\n", 4),
            arguments("tab indentation", "filter:\n  - name: a\n\taction: drop\n", 3),
            arguments("bad indentation", "filter:\n  - name: a\n     action: drop\n", 3),
            arguments("unclosed quote", "default: drop\nfilter:\n  - name: 'a\n", 4),
            arguments("two documents", "default: drop\n---\ndefault: count\n", 2),
            arguments("undefined alias", "default: drop\nfilter: *rules\n", 2),
            arguments("control character", "default: drop\nsteer_all: \u0007\n", 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("yamlSyntaxErrors")
    void shouldReportYamlSyntaxErrorsAtTheirLine(final String description, final String yaml, final int line)
    {
        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.parse("rules.yaml", yaml));

        assertTrue(ex.getMessage().startsWith("rules.yaml:" + line + ": YAML: "), ex.getMessage());
        assertEquals(line, ex.line());
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
    }

    @Test
    void shouldReportTheYamlProblemAndItsContext()
    {
        final RulesFileException ex = assertThrows(RulesFileException.class,
            () -> RulesFile.parse("rules.yaml", "filter:\n  - name: a\n     action: drop\n"));

        assertEquals("rules.yaml:3: YAML: mapping values are not allowed here", ex.getMessage());
    }
}
