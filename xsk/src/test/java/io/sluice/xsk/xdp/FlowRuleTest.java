package io.sluice.xsk.xdp;

import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static io.sluice.xsk.xdp.FlowRule.Action.DROP;
import static io.sluice.xsk.xdp.FlowRule.Action.PASS;
import static io.sluice.xsk.xdp.FlowRule.Action.STEER;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowRuleTest
{
    @Test
    void shouldOpenEveryConstraintByDefault()
    {
        final FlowRule rule = FlowRule.of(3, STEER);

        assertEquals(3, rule.id());
        assertEquals(0, rule.priority());
        assertEquals(FlowRule.ANY_PROTOCOL, rule.protocol());
        assertSame(Prefix.ANY, rule.source());
        assertSame(Prefix.ANY, rule.destination());
        assertEquals(0, rule.dstPortLow());
        assertEquals(FlowRule.MAX_PORT, rule.dstPortHigh());
        assertEquals(STEER, rule.action());
        assertFalse(rule.hasPortConstraint());
    }

    @Test
    void shouldNarrowWithTheWithMethods()
    {
        final FlowRule rule = FlowRule.of(4, DROP).withPriority(7).withProtocol(IpProtocols.TCP)
            .withSource("192.0.2.0/24").withDestination("10.0.0.2").withDstPorts(80, 89);

        assertEquals(new FlowRule(4, 7, IpProtocols.TCP, Prefix.parse("192.0.2.0/24"),
            Prefix.parse("10.0.0.2/32"), 80, 89, DROP), rule);
        assertEquals(443, rule.withDstPort(443).dstPortLow());
        assertEquals(443, rule.withDstPort(443).dstPortHigh());
    }

    @Test
    void shouldTellWhetherTheRuleConstrainsPorts()
    {
        assertFalse(FlowRule.of(1, PASS).hasPortConstraint());
        assertFalse(FlowRule.of(1, PASS).withProtocol(IpProtocols.UDP).withDstPorts(0, 65535).hasPortConstraint());
        assertTrue(FlowRule.of(1, PASS).withDstPort(53).hasPortConstraint());
        assertTrue(FlowRule.of(1, PASS).withDstPorts(0, 65534).hasPortConstraint());
        assertTrue(FlowRule.of(1, PASS).withDstPorts(1, 65535).hasPortConstraint());
        assertTrue(FlowRule.of(1, PASS).withDstPort(0).hasPortConstraint());
        assertTrue(FlowRule.of(1, PASS).withDstPort(65535).hasPortConstraint());
    }

    @Test
    void shouldRejectNegativePriority()
    {
        assertRejected(() -> FlowRule.of(11, PASS).withPriority(-1), "rule 11", "priority", "-1");
        assertDoesNotThrow(() -> FlowRule.of(11, PASS).withPriority(0));
    }

    @Test
    void shouldRejectProtocolOutOfRange()
    {
        assertRejected(() -> FlowRule.of(12, PASS).withProtocol(256), "rule 12", "protocol", "256");
        assertRejected(() -> FlowRule.of(12, PASS).withProtocol(-2), "rule 12", "protocol", "-2");
        assertDoesNotThrow(() -> FlowRule.of(12, PASS).withProtocol(0));
        assertDoesNotThrow(() -> FlowRule.of(12, PASS).withProtocol(255));
        assertDoesNotThrow(() -> FlowRule.of(12, PASS).withProtocol(FlowRule.ANY_PROTOCOL));
    }

    @Test
    void shouldRejectReversedPortRange()
    {
        assertRejected(() -> FlowRule.of(13, PASS).withProtocol(IpProtocols.UDP).withDstPorts(2000, 1000),
            "rule 13", "port range", "2000-1000");
    }

    @Test
    void shouldRejectPortsBeyond65535()
    {
        assertRejected(() -> FlowRule.of(14, PASS).withProtocol(IpProtocols.TCP).withDstPorts(1000, 65536),
            "rule 14", "port range", "65536");
        assertRejected(() -> FlowRule.of(14, PASS).withDstPort(70000), "rule 14", "port range", "70000");
        assertRejected(() -> FlowRule.of(14, PASS).withDstPorts(-1, 10), "rule 14", "port range", "-1");
    }

    @Test
    void shouldRejectPortRangeWithPortlessProtocol()
    {
        assertRejected(() -> FlowRule.of(15, DROP).withProtocol(IpProtocols.ICMP).withDstPort(80),
            "rule 15", "port range", "1");
        assertRejected(() -> FlowRule.of(15, DROP).withDstPort(80).withProtocol(IpProtocols.ICMPV6),
            "rule 15", "port range", "58");
        assertDoesNotThrow(() -> FlowRule.of(15, DROP).withProtocol(IpProtocols.ICMP));
        assertDoesNotThrow(() -> FlowRule.of(15, DROP).withProtocol(IpProtocols.UDP).withDstPort(80));
        assertDoesNotThrow(() -> FlowRule.of(15, DROP).withProtocol(IpProtocols.TCP).withDstPort(80));
        assertDoesNotThrow(() -> FlowRule.of(15, DROP).withDstPort(80));
    }

    @Test
    void shouldRejectMixedAddressFamilies()
    {
        assertRejected(() -> FlowRule.of(16, STEER).withSource("192.0.2.0/24").withDestination("fd00::/64"),
            "rule 16", "192.0.2.0/24", "fd00", "famil");
        assertRejected(() -> FlowRule.of(16, STEER).withSource("fd00::/64").withDestination("192.0.2.0/24"),
            "rule 16", "192.0.2.0/24", "fd00", "famil");
        assertDoesNotThrow(() -> FlowRule.of(16, STEER).withSource("192.0.2.0/24").withDestination("10.0.0.0/8"));
        assertDoesNotThrow(() -> FlowRule.of(16, STEER).withSource("fd00::/64").withDestination("fd01::/64"));
        assertDoesNotThrow(() -> FlowRule.of(16, STEER).withSource("fd00::/64").withDestination("any"));
        assertDoesNotThrow(() -> FlowRule.of(16, STEER).withSource("any").withDestination("10.0.0.0/8"));
    }

    @Test
    void shouldRejectMissingParts()
    {
        assertRejected(() -> new FlowRule(17, 0, FlowRule.ANY_PROTOCOL, null, Prefix.ANY, 0, 65535, PASS),
            "rule 17", "source");
        assertRejected(() -> new FlowRule(17, 0, FlowRule.ANY_PROTOCOL, Prefix.ANY, null, 0, 65535, PASS),
            "rule 17", "destination");
        assertRejected(() -> new FlowRule(17, 0, FlowRule.ANY_PROTOCOL, Prefix.ANY, Prefix.ANY, 0, 65535, null),
            "rule 17", "action");
    }

    @Test
    void shouldMapActionsToTheProgramsCodes()
    {
        assertEquals(0, PASS.code());
        assertEquals(1, DROP.code());
        assertEquals(2, STEER.code());
    }

    private static void assertRejected(final Executable build, final String... fragments)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, build);
        for (final String fragment : fragments)
        {
            assertTrue(ex.getMessage().contains(fragment), "'" + fragment + "' missing from: " + ex.getMessage());
        }
    }
}
