package io.sluice.pipeline.rules;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;

import java.util.Locale;

/**
 * Builds a {@link FilterRule}; each method checks its argument and {@link #build()} checks that the
 * constraints can hold together. Errors are {@link IllegalArgumentException}s that name the rule and the
 * rules-file key at fault.
 */
public final class FilterRuleBuilder
{
    private static final int NEEDS_IP = FilterRule.MATCH_IP_VERSION | FilterRule.MATCH_PROTOCOL |
        FilterRule.MATCH_SRC_IPV4 | FilterRule.MATCH_SRC_IPV6 | FilterRule.MATCH_DST_IPV4 | FilterRule.MATCH_DST_IPV6 |
        FilterRule.MATCH_SRC_PORT | FilterRule.MATCH_DST_PORT | FilterRule.MATCH_TCP_FLAGS |
        FilterRule.MATCH_ICMP_TYPE | FilterRule.MATCH_ICMP_CODE | FilterRule.MATCH_FRAGMENT;

    // The package-private fields are what FilterRule's constructor copies; the private ones serve validation only.
    final String name;
    private final String label;
    int line;
    int vlan = FilterRule.ANY;
    int etherType = FilterRule.ANY;
    int ipVersion = FilterRule.ANY;
    int protocol = FilterRule.ANY;
    AddressMatch src = AddressMatch.ANY;
    private String srcText;
    AddressMatch dst = AddressMatch.ANY;
    private String dstText;
    PortRange srcPorts = PortRange.ALL;
    private boolean srcPortGiven;
    PortRange dstPorts = PortRange.ALL;
    private boolean dstPortGiven;
    int tcpFlagsSet;
    int tcpFlagsClear;
    private boolean tcpFlagsGiven;
    int icmpType = FilterRule.ANY;
    int icmpCode = FilterRule.ANY;
    int fragment = FilterRule.ANY;
    Action action;
    boolean swapIp;
    boolean swapPorts;
    private boolean swapGiven;
    String forwardInterface;

    FilterRuleBuilder(final String name)
    {
        if (null == name || !FilterRule.NAME_PATTERN.matcher(name).matches())
        {
            throw new RuleKeyException("name", "filter rule name '" + name + "' is not " + FilterRule.NAME_RULE);
        }
        this.name = name;
        this.label = "filter rule '" + name + "': ";
    }

    /**
     * @param line 1-based line of the rules file where the rule starts.
     * @return this.
     */
    public FilterRuleBuilder line(final int line)
    {
        this.line = line;
        return this;
    }

    /**
     * @param vlanId outer VLAN id 0..4095, or {@link FilterRule#VLAN_NONE} for untagged frames only.
     * @return this.
     */
    public FilterRuleBuilder vlan(final int vlanId)
    {
        if (FilterRule.VLAN_NONE != vlanId)
        {
            checkRange("vlan", vlanId, 0, FilterRule.MAX_VLAN_ID);
        }
        vlan = vlanId;
        return this;
    }

    /**
     * @param etherType EtherType after any VLAN tags, 0..0xffff.
     * @return this.
     */
    public FilterRuleBuilder etherType(final int etherType)
    {
        if (etherType < 0 || etherType > 0xFFFF)
        {
            throw new RuleKeyException("ether_type", label + "ether_type " + etherType + " is not within 0-0xffff");
        }
        this.etherType = etherType;
        return this;
    }

    /**
     * @param version 4 or 6.
     * @return this.
     */
    public FilterRuleBuilder ipVersion(final int version)
    {
        if (4 != version && 6 != version)
        {
            throw new RuleKeyException("ip", label + "ip " + version + " is not one of 4, 6");
        }
        ipVersion = version;
        return this;
    }

    /**
     * @param protocol IP protocol number 0..255 ({@link IpProtocols#UDP}, ...), or
     *                 {@link FlowRule#ANY_PROTOCOL} for no constraint.
     * @return this.
     */
    public FilterRuleBuilder protocol(final int protocol)
    {
        if (FlowRule.ANY_PROTOCOL == protocol)
        {
            this.protocol = FilterRule.ANY;
            return this;
        }
        checkRange("proto", protocol, 0, 255);
        this.protocol = protocol;
        return this;
    }

    /**
     * @param prefix IPv4 or IPv6 prefix ({@code 10.0.0.0/8}, {@code fd00::/8}; a bare address is a host prefix),
     *               or {@code any}. {@code ::/0} is every IPv6 address and {@code 0.0.0.0/0} every IPv4 one.
     * @return this.
     */
    public FilterRuleBuilder source(final String prefix)
    {
        final Prefix parsed = parsePrefix("src", prefix);
        srcText = prefix.strip();
        src = AddressMatch.of(parsed);
        return this;
    }

    /**
     * @param prefix as for {@link #source(String)}.
     * @return this.
     */
    public FilterRuleBuilder destination(final String prefix)
    {
        final Prefix parsed = parsePrefix("dst", prefix);
        dstText = prefix.strip();
        dst = AddressMatch.of(parsed);
        return this;
    }

    /**
     * @param low  first source port, inclusive.
     * @param high last source port, inclusive.
     * @return this.
     */
    public FilterRuleBuilder srcPorts(final int low, final int high)
    {
        checkPorts("src_port", low, high);
        srcPorts = new PortRange(low, high);
        srcPortGiven = true;
        return this;
    }

    /**
     * @param low  first destination port, inclusive.
     * @param high last destination port, inclusive.
     * @return this.
     */
    public FilterRuleBuilder dstPorts(final int low, final int high)
    {
        checkPorts("dst_port", low, high);
        dstPorts = new PortRange(low, high);
        dstPortGiven = true;
        return this;
    }

    /**
     * @param set   flags that must be set, bits of the TCP flags byte.
     * @param clear flags that must be clear.
     * @return this.
     */
    public FilterRuleBuilder tcpFlags(final int set, final int clear)
    {
        if (0 != ((set | clear) & ~0xFF))
        {
            throw new RuleKeyException("tcp_flags", label + "tcp_flags must be bits of one byte");
        }
        if (0 != (set & clear))
        {
            throw new RuleKeyException("tcp_flags", label + "tcp_flags '" + Names.tcpFlagsText(set & clear, 0) +
                "' cannot be both set and clear");
        }
        tcpFlagsSet = set;
        tcpFlagsClear = clear;
        tcpFlagsGiven = true;
        return this;
    }

    /**
     * @param flags comma-separated flag names that must be set, or clear when prefixed by {@code !}, as in
     *              {@code "syn,!ack"}; names are fin, syn, rst, psh, ack, urg, ece, cwr.
     * @return this.
     */
    public FilterRuleBuilder tcpFlags(final String flags)
    {
        int set = 0;
        int clear = 0;
        for (final String item : flags.split(",", -1))
        {
            final String token = item.strip().toLowerCase(Locale.ROOT);
            final boolean negated = token.startsWith("!");
            final String flagName = negated ? token.substring(1).strip() : token;
            final int bit = Names.tcpFlag(flagName);
            if (0 == bit)
            {
                throw new RuleKeyException("tcp_flags", label + "tcp flag '" + item.strip() + "' is not one of " +
                    String.join(", ", Names.TCP_FLAGS) + " (prefix '!' for must be clear)");
            }
            if (0 != ((set | clear) & bit))
            {
                throw new RuleKeyException("tcp_flags", label + "tcp flag " + flagName + " is named twice");
            }
            if (negated)
            {
                clear |= bit;
            }
            else
            {
                set |= bit;
            }
        }

        return tcpFlags(set, clear);
    }

    /**
     * @param type ICMP or ICMPv6 type 0..255.
     * @return this.
     */
    public FilterRuleBuilder icmpType(final int type)
    {
        checkRange("icmp_type", type, 0, 255);
        icmpType = type;
        return this;
    }

    /**
     * @param code ICMP or ICMPv6 code 0..255.
     * @return this.
     */
    public FilterRuleBuilder icmpCode(final int code)
    {
        checkRange("icmp_code", code, 0, 255);
        icmpCode = code;
        return this;
    }

    /**
     * @param fragmentsOnly true to match IP fragments only (first or later), false for non-fragments only.
     * @return this.
     */
    public FilterRuleBuilder fragment(final boolean fragmentsOnly)
    {
        fragment = fragmentsOnly ? 1 : 0;
        return this;
    }

    /**
     * @param action what to do with a matching frame.
     * @return this.
     */
    public FilterRuleBuilder action(final Action action)
    {
        this.action = action;
        return this;
    }

    /**
     * For {@link Action#REFLECT}: MACs are always swapped; this adds IPs and ports.
     *
     * @param ip    also swap source and destination addresses.
     * @param ports also swap source and destination ports.
     * @return this.
     */
    public FilterRuleBuilder swap(final boolean ip, final boolean ports)
    {
        swapIp = ip;
        swapPorts = ports;
        swapGiven = true;
        return this;
    }

    /**
     * For {@link Action#FORWARD}: the egress interface.
     *
     * @param interfaceName a Linux interface name.
     * @return this.
     */
    public FilterRuleBuilder forwardTo(final String interfaceName)
    {
        if (!isInterfaceName(interfaceName))
        {
            throw new RuleKeyException("to", label + "to '" + interfaceName + "' is not an interface name (1-" +
                FilterRule.MAX_INTERFACE_NAME_LENGTH + " characters, no '/', ':' or white space)");
        }
        forwardInterface = interfaceName;
        return this;
    }

    /**
     * @return the rule.
     * @throws IllegalArgumentException if the constraints can never all hold, or the action lacks what it needs.
     */
    public FilterRule build()
    {
        checkAction();

        final boolean tcpOrUdpOrAny =
            FilterRule.ANY == protocol || IpProtocols.TCP == protocol || IpProtocols.UDP == protocol;
        if (srcPortGiven && !tcpOrUdpOrAny)
        {
            throw new RuleKeyException("src_port", label + "src_port needs proto tcp or udp, not " +
                Names.protocolName(protocol));
        }
        if (dstPortGiven && !tcpOrUdpOrAny)
        {
            throw new RuleKeyException("dst_port", label + "dst_port needs proto tcp or udp, not " +
                Names.protocolName(protocol));
        }
        if (tcpFlagsGiven && FilterRule.ANY != protocol && IpProtocols.TCP != protocol)
        {
            throw new RuleKeyException("tcp_flags", label + "tcp_flags needs proto tcp, not " +
                Names.protocolName(protocol));
        }
        final boolean icmpGiven = FilterRule.ANY != icmpType || FilterRule.ANY != icmpCode;
        final String icmpKey = FilterRule.ANY != icmpType ? "icmp_type" : "icmp_code";
        if (icmpGiven && FilterRule.ANY != protocol && IpProtocols.ICMP != protocol && IpProtocols.ICMPV6 != protocol)
        {
            throw new RuleKeyException(icmpKey, label + icmpKey + " needs proto icmp or icmpv6, not " +
                Names.protocolName(protocol));
        }
        if (icmpGiven && (srcPortGiven || dstPortGiven || tcpFlagsGiven))
        {
            final String other = srcPortGiven ? "src_port" : dstPortGiven ? "dst_port" : "tcp_flags";
            throw new RuleKeyException(icmpKey, label + icmpKey + " and " + other +
                " can never both hold: a frame carries ICMP or TCP/UDP, not both");
        }

        if (0 != src.family() && 0 != dst.family() && src.family() != dst.family())
        {
            throw new RuleKeyException("dst", label + "dst " + dstText + " is IPv" + dst.family() + " but src " +
                srcText + " is IPv" + src.family());
        }
        if (FilterRule.ANY != ipVersion && 0 != src.family() && src.family() != ipVersion)
        {
            throw new RuleKeyException("src", label + "src " + srcText + " is IPv" + src.family() + " but ip is " +
                ipVersion);
        }
        if (FilterRule.ANY != ipVersion && 0 != dst.family() && dst.family() != ipVersion)
        {
            throw new RuleKeyException("dst", label + "dst " + dstText + " is IPv" + dst.family() + " but ip is " +
                ipVersion);
        }

        int fields = 0;
        fields |= FilterRule.ANY != vlan ? FilterRule.MATCH_VLAN : 0;
        fields |= FilterRule.ANY != etherType ? FilterRule.MATCH_ETHER_TYPE : 0;
        fields |= FilterRule.ANY != ipVersion ? FilterRule.MATCH_IP_VERSION : 0;
        fields |= FilterRule.ANY != protocol ? FilterRule.MATCH_PROTOCOL : 0;
        fields |= 4 == src.family() ? FilterRule.MATCH_SRC_IPV4 : 6 == src.family() ? FilterRule.MATCH_SRC_IPV6 : 0;
        fields |= 4 == dst.family() ? FilterRule.MATCH_DST_IPV4 : 6 == dst.family() ? FilterRule.MATCH_DST_IPV6 : 0;
        fields |= srcPortGiven ? FilterRule.MATCH_SRC_PORT : 0;
        fields |= dstPortGiven ? FilterRule.MATCH_DST_PORT : 0;
        fields |= tcpFlagsGiven ? FilterRule.MATCH_TCP_FLAGS : 0;
        fields |= FilterRule.ANY != icmpType ? FilterRule.MATCH_ICMP_TYPE : 0;
        fields |= FilterRule.ANY != icmpCode ? FilterRule.MATCH_ICMP_CODE : 0;
        fields |= FilterRule.ANY != fragment ? FilterRule.MATCH_FRAGMENT : 0;

        checkEtherType(fields);

        return new FilterRule(this, fields);
    }

    private void checkAction()
    {
        if (null == action)
        {
            throw new RuleKeyException("action", label + "action is missing; give one of drop, count, reflect, " +
                "forward, mirror");
        }
        if (Action.FORWARD == action && null == forwardInterface)
        {
            throw new RuleKeyException("action", label + "action forward needs to: the egress interface");
        }
        if (Action.FORWARD != action && null != forwardInterface)
        {
            throw new RuleKeyException("to", label + "to is only for action forward, not " + action.label());
        }
        if (Action.REFLECT != action && swapGiven)
        {
            throw new RuleKeyException("swap", label + "swap is only for action reflect, not " + action.label());
        }
    }

    private void checkEtherType(final int fields)
    {
        if (FilterRule.ANY == etherType)
        {
            return;
        }
        final int family = FilterRule.ANY != ipVersion ? ipVersion : Math.max(src.family(), dst.family());
        final boolean ipEtherType = EtherTypes.IPV4 == etherType || EtherTypes.IPV6 == etherType;
        if (0 != (fields & NEEDS_IP) && !ipEtherType)
        {
            throw new RuleKeyException("ether_type", label + "ether_type " + Names.etherTypeName(etherType) +
                " never carries IP, which the rule's other keys need");
        }
        if ((4 == family && EtherTypes.IPV4 != etherType) ||
            (6 == family && EtherTypes.IPV6 != etherType))
        {
            throw new RuleKeyException("ether_type", label + "ether_type " + Names.etherTypeName(etherType) +
                " never carries IPv" + family + ", which the rule's other keys need");
        }
    }

    private void checkRange(final String key, final int value, final int min, final int max)
    {
        if (value < min || value > max)
        {
            throw new RuleKeyException(key, label + key + " " + value + " is not within " + min + "-" + max);
        }
    }

    private void checkPorts(final String key, final int low, final int high)
    {
        final String text = new PortRange(low, high).toString();
        if (low < 0 || high > FlowRule.MAX_PORT)
        {
            throw new RuleKeyException(key, label + key + " " + text + " is not within 0-65535");
        }
        if (low > high)
        {
            throw new RuleKeyException(key, label + key + " " + text +
                " is backwards: the first port must not exceed the last");
        }
    }

    private Prefix parsePrefix(final String key, final String text)
    {
        try
        {
            return Prefix.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new RuleKeyException(key, label + key + ": " + ex.getMessage());
        }
    }

    private static boolean isInterfaceName(final String name)
    {
        if (null == name || name.isEmpty() || name.length() > FilterRule.MAX_INTERFACE_NAME_LENGTH ||
            ".".equals(name) || "..".equals(name))
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if ('/' == c || ':' == c || Character.isWhitespace(c) || Character.isISOControl(c) || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
