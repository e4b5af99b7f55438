package io.sluice.pipeline.rules;

import io.sluice.xsk.xdp.FlowRule;

/**
 * An inclusive range of TCP or UDP ports a {@link FilterRule} matches; {@link #ALL} when the port is not
 * constrained. The bounds are checked by {@link FilterRuleBuilder}, which names the rules-file key at fault.
 *
 * @param low  first port, inclusive.
 * @param high last port, inclusive.
 */
public record PortRange(int low, int high)
{
    /**
     * Every port, 0..65535: no constraint.
     */
    public static final PortRange ALL = new PortRange(0, FlowRule.MAX_PORT);

    /**
     * @param port a port number.
     * @return true if {@code port} is within the range.
     */
    public boolean contains(final int port)
    {
        return port >= low && port <= high;
    }

    /**
     * @return the range as the rules file spells it: {@code 443} or {@code 1024-65535}.
     */
    public String toString()
    {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
