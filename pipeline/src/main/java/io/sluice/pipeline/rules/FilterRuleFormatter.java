package io.sluice.pipeline.rules;

/**
 * Writes a {@link FilterRule} back in the rules file's keys, as a one-line YAML flow mapping, so a rule in a log, a
 * counter report or {@code ./sluice rules show} reads as it would be written. Only the keys the rule constrains
 * appear, a value YAML would misread is quoted, and reading the text with {@link RulesFile} gives an equal rule.
 */
public final class FilterRuleFormatter
{
    private FilterRuleFormatter()
    {
    }

    /**
     * @param rule to write.
     * @return the rule as {@code {name: ..., <key>: <value>, ..., action: ...}}.
     */
    public static String flowMapping(final FilterRule rule)
    {
        final StringBuilder text = new StringBuilder("{name: ").append(RulesFormatter.scalar(rule.name()));
        if (rule.constrains(FilterRule.MATCH_VLAN))
        {
            final int vlan = rule.vlan();
            text.append(", vlan: ").append(FilterRule.VLAN_NONE == vlan ? "none" : Integer.toString(vlan));
        }
        if (rule.constrains(FilterRule.MATCH_ETHER_TYPE))
        {
            text.append(", ether_type: ").append(Names.etherTypeName(rule.etherType()));
        }
        if (rule.constrains(FilterRule.MATCH_IP_VERSION))
        {
            text.append(", ip: ").append(rule.ipVersion());
        }
        if (rule.constrains(FilterRule.MATCH_PROTOCOL))
        {
            text.append(", proto: ").append(Names.protocolName(rule.protocol()));
        }
        if (!rule.srcAddress().isAny())
        {
            text.append(", src: ").append(RulesFormatter.scalar(rule.srcAddress().toString()));
        }
        if (!rule.dstAddress().isAny())
        {
            text.append(", dst: ").append(RulesFormatter.scalar(rule.dstAddress().toString()));
        }
        if (rule.constrains(FilterRule.MATCH_SRC_PORT))
        {
            text.append(", src_port: ").append(rule.srcPorts());
        }
        if (rule.constrains(FilterRule.MATCH_DST_PORT))
        {
            text.append(", dst_port: ").append(rule.dstPorts());
        }
        if (rule.constrains(FilterRule.MATCH_TCP_FLAGS))
        {
            text.append(", tcp_flags: '").append(Names.tcpFlagsText(rule.tcpFlagsSet(), rule.tcpFlagsClear()))
                .append('\'');
        }
        if (rule.constrains(FilterRule.MATCH_ICMP_TYPE))
        {
            text.append(", icmp_type: ").append(rule.icmpType());
        }
        if (rule.constrains(FilterRule.MATCH_ICMP_CODE))
        {
            text.append(", icmp_code: ").append(rule.icmpCode());
        }
        if (rule.constrains(FilterRule.MATCH_FRAGMENT))
        {
            text.append(", fragment: ").append(1 == rule.fragment());
        }
        text.append(", action: ").append(rule.action().label());
        final boolean swapIp = rule.swapIp();
        final boolean swapPorts = rule.swapPorts();
        if (swapIp || swapPorts)
        {
            text.append(", swap: [").append(swapIp ? "ip" : "").append(swapIp && swapPorts ? ", " : "")
                .append(swapPorts ? "ports" : "").append(']');
        }
        if (null != rule.forwardInterface())
        {
            text.append(", to: ").append(RulesFormatter.scalar(rule.forwardInterface()));
        }

        return text.append('}').toString();
    }
}
