package io.sluice.xsk.xdp;

import io.sluice.xsk.frame.IpProtocols;

/**
 * A steering rule. A packet matches when every constraint holds: protocol, source prefix, destination prefix and
 * destination port range.
 * <p>
 * <b>Precedence:</b> among the rules a packet matches, the one with the lowest {@code priority} decides; equal
 * priorities are broken by the lower {@code id}. There is no implicit ordering by specificity, so what decides is
 * always visible in the rule list.
 * <p>
 * <b>Packets without readable ports</b> (IPv4 non-first fragments, IPv6 with extension headers) match on
 * addresses only: port constraints are treated as met, and for IPv6 extension headers protocol constraints too.
 * Packets of protocols without ports (ICMP, ESP, ...) match only rules without a port constraint.
 *
 * @param id           unique id, reported with the rule's counters.
 * @param priority     lower wins; 0 is the highest precedence.
 * @param protocol     IP protocol number 0..255, or {@link #ANY_PROTOCOL}.
 * @param source       source prefix, or {@link Prefix#ANY}.
 * @param destination  destination prefix, or {@link Prefix#ANY}.
 * @param dstPortLow   first destination port, inclusive.
 * @param dstPortHigh  last destination port, inclusive; 0..65535 means no port constraint.
 * @param action       what to do with a matching packet.
 */
public record FlowRule(
    int id,
    int priority,
    int protocol,
    Prefix source,
    Prefix destination,
    int dstPortLow,
    int dstPortHigh,
    Action action)
{
    public static final int ANY_PROTOCOL = -1;
    public static final int MAX_PORT = 65535;

    /**
     * What the XDP program does with a packet that a rule decides.
     */
    public enum Action
    {
        /**
         * Let the kernel have it ({@code XDP_PASS}).
         */
        PASS(0),
        /**
         * Drop it in XDP ({@code XDP_DROP}).
         */
        DROP(1),
        /**
         * Redirect it to the AF_XDP socket of its receive queue; with no socket there it passes.
         */
        STEER(2);

        private final int code;

        Action(final int code)
        {
            this.code = code;
        }

        /**
         * @return the value of {@code enum sluice_action} in {@code sluice_xdp.h}.
         */
        public int code()
        {
            return code;
        }
    }

    /**
     * @throws IllegalArgumentException naming the rule and the problem.
     */
    public FlowRule
    {
        if (priority < 0)
        {
            throw new IllegalArgumentException("rule " + id + ": priority must be >= 0, was " + priority);
        }
        if (protocol != ANY_PROTOCOL && (protocol < 0 || protocol > 255))
        {
            throw new IllegalArgumentException("rule " + id + ": protocol must be 0..255 or any, was " + protocol);
        }
        if (null == source || null == destination || null == action)
        {
            throw new IllegalArgumentException("rule " + id + ": source, destination and action are required");
        }
        if (dstPortLow < 0 || dstPortHigh > MAX_PORT || dstPortLow > dstPortHigh)
        {
            throw new IllegalArgumentException(
                "rule " + id + ": port range " + dstPortLow + "-" + dstPortHigh + " is not within 0-65535");
        }
        final boolean hasPorts = dstPortLow != 0 || dstPortHigh != MAX_PORT;
        if (hasPorts && protocol != ANY_PROTOCOL && protocol != IpProtocols.TCP && protocol != IpProtocols.UDP)
        {
            throw new IllegalArgumentException(
                "rule " + id + ": a port range needs protocol tcp, udp or any, not " + protocol);
        }
        if ((source.isIpv4() && destination.isIpv6()) || (source.isIpv6() && destination.isIpv4()))
        {
            throw new IllegalArgumentException(
                "rule " + id + ": source " + source + " and destination " + destination + " mix address families");
        }
    }

    /**
     * A rule with every constraint open, to narrow with the {@code with*} methods.
     *
     * @param id     rule id.
     * @param action action.
     * @return the rule.
     */
    public static FlowRule of(final int id, final Action action)
    {
        return new FlowRule(id, 0, ANY_PROTOCOL, Prefix.ANY, Prefix.ANY, 0, MAX_PORT, action);
    }

    public FlowRule withPriority(final int priority)
    {
        return new FlowRule(id, priority, protocol, source, destination, dstPortLow, dstPortHigh, action);
    }

    public FlowRule withProtocol(final int protocol)
    {
        return new FlowRule(id, priority, protocol, source, destination, dstPortLow, dstPortHigh, action);
    }

    public FlowRule withSource(final String prefix)
    {
        return new FlowRule(id, priority, protocol, Prefix.parse(prefix), destination, dstPortLow, dstPortHigh,
            action);
    }

    public FlowRule withDestination(final String prefix)
    {
        return new FlowRule(id, priority, protocol, source, Prefix.parse(prefix), dstPortLow, dstPortHigh, action);
    }

    public FlowRule withDstPorts(final int low, final int high)
    {
        return new FlowRule(id, priority, protocol, source, destination, low, high, action);
    }

    public FlowRule withDstPort(final int port)
    {
        return withDstPorts(port, port);
    }

    /**
     * @return true if the rule constrains the destination port.
     */
    public boolean hasPortConstraint()
    {
        return dstPortLow != 0 || dstPortHigh != MAX_PORT;
    }
}
