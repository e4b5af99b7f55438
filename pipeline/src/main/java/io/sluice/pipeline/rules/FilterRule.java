package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One user-space filter rule: a conjunction of match constraints on a parsed {@link FrameEvent} and the
 * {@link Action} taken when they all hold. Immutable; built with {@link #builder(String)} or read from a rules file
 * by {@link RulesFile}.
 * <p>
 * Which fields a rule constrains is the bit set {@link #fields()} of the {@code MATCH_*} bits; an unconstrained
 * single-valued field reads {@link #ANY}, an unconstrained port range reads 0..65535 and an unconstrained prefix has
 * family 0. Frames that are not IP never meet an IP constraint (version, protocol, address, port, TCP flags, ICMP,
 * fragment), and frames without a field ({@link FrameEvent#ABSENT}) never meet a constraint on it.
 */
public final class FilterRule
{
    /**
     * Value of a single-valued field the rule does not constrain.
     */
    public static final int ANY = Integer.MIN_VALUE;
    /**
     * {@link #vlan()} of a rule that matches untagged frames only.
     */
    public static final int VLAN_NONE = FrameEvent.ABSENT;
    /**
     * Largest VLAN id.
     */
    public static final int MAX_VLAN_ID = 4095;
    /**
     * Longest Linux interface name: {@code IFNAMSIZ} (16) less the terminating NUL.
     */
    public static final int MAX_INTERFACE_NAME_LENGTH = 15;

    public static final int MATCH_VLAN = 1;
    public static final int MATCH_ETHER_TYPE = 1 << 1;
    public static final int MATCH_IP_VERSION = 1 << 2;
    public static final int MATCH_PROTOCOL = 1 << 3;
    public static final int MATCH_SRC_IPV4 = 1 << 4;
    public static final int MATCH_SRC_IPV6 = 1 << 5;
    public static final int MATCH_DST_IPV4 = 1 << 6;
    public static final int MATCH_DST_IPV6 = 1 << 7;
    public static final int MATCH_SRC_PORT = 1 << 8;
    public static final int MATCH_DST_PORT = 1 << 9;
    public static final int MATCH_TCP_FLAGS = 1 << 10;
    public static final int MATCH_ICMP_TYPE = 1 << 11;
    public static final int MATCH_ICMP_CODE = 1 << 12;
    public static final int MATCH_FRAGMENT = 1 << 13;

    /**
     * Rule names: short, and safe to print in counter reports and to use as a command-line argument.
     */
    static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
    static final String NAME_RULE = "1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit";

    private static final int PORTS = MATCH_SRC_PORT | MATCH_DST_PORT;
    private static final int ICMP = MATCH_ICMP_TYPE | MATCH_ICMP_CODE;
    private static final int NEEDS_IP = MATCH_IP_VERSION | MATCH_PROTOCOL | MATCH_SRC_IPV4 | MATCH_SRC_IPV6 |
        MATCH_DST_IPV4 | MATCH_DST_IPV6 | PORTS | MATCH_TCP_FLAGS | ICMP | MATCH_FRAGMENT;

    private final String name;
    private final int line;
    private final int fields;
    private final int vlan;
    private final int etherType;
    private final int ipVersion;
    private final int protocol;
    private final int srcFamily;
    private final int srcPrefixBits;
    private final int srcIpv4;
    private final long srcIpv6Hi;
    private final long srcIpv6Lo;
    private final int dstFamily;
    private final int dstPrefixBits;
    private final int dstIpv4;
    private final long dstIpv6Hi;
    private final long dstIpv6Lo;
    private final int srcPortLow;
    private final int srcPortHigh;
    private final int dstPortLow;
    private final int dstPortHigh;
    private final int tcpFlagsSet;
    private final int tcpFlagsClear;
    private final int icmpType;
    private final int icmpCode;
    private final int fragment;
    private final Action action;
    private final boolean swapIp;
    private final boolean swapPorts;
    private final String forwardInterface;
    private final int forwardIndex;

    private FilterRule(final Builder builder, final int fields)
    {
        name = builder.name;
        line = builder.line;
        this.fields = fields;
        vlan = builder.vlan;
        etherType = builder.etherType;
        ipVersion = builder.ipVersion;
        protocol = builder.protocol;
        srcFamily = builder.srcFamily;
        srcPrefixBits = builder.srcPrefixBits;
        srcIpv4 = builder.srcIpv4;
        srcIpv6Hi = builder.srcIpv6Hi;
        srcIpv6Lo = builder.srcIpv6Lo;
        dstFamily = builder.dstFamily;
        dstPrefixBits = builder.dstPrefixBits;
        dstIpv4 = builder.dstIpv4;
        dstIpv6Hi = builder.dstIpv6Hi;
        dstIpv6Lo = builder.dstIpv6Lo;
        srcPortLow = builder.srcPortLow;
        srcPortHigh = builder.srcPortHigh;
        dstPortLow = builder.dstPortLow;
        dstPortHigh = builder.dstPortHigh;
        tcpFlagsSet = builder.tcpFlagsSet;
        tcpFlagsClear = builder.tcpFlagsClear;
        icmpType = builder.icmpType;
        icmpCode = builder.icmpCode;
        fragment = builder.fragment;
        action = builder.action;
        swapIp = builder.swapIp;
        swapPorts = builder.swapPorts;
        forwardInterface = builder.forwardInterface;
        forwardIndex = FrameEvent.ABSENT;
    }

    private FilterRule(final FilterRule rule, final int forwardIndex)
    {
        name = rule.name;
        line = rule.line;
        fields = rule.fields;
        vlan = rule.vlan;
        etherType = rule.etherType;
        ipVersion = rule.ipVersion;
        protocol = rule.protocol;
        srcFamily = rule.srcFamily;
        srcPrefixBits = rule.srcPrefixBits;
        srcIpv4 = rule.srcIpv4;
        srcIpv6Hi = rule.srcIpv6Hi;
        srcIpv6Lo = rule.srcIpv6Lo;
        dstFamily = rule.dstFamily;
        dstPrefixBits = rule.dstPrefixBits;
        dstIpv4 = rule.dstIpv4;
        dstIpv6Hi = rule.dstIpv6Hi;
        dstIpv6Lo = rule.dstIpv6Lo;
        srcPortLow = rule.srcPortLow;
        srcPortHigh = rule.srcPortHigh;
        dstPortLow = rule.dstPortLow;
        dstPortHigh = rule.dstPortHigh;
        tcpFlagsSet = rule.tcpFlagsSet;
        tcpFlagsClear = rule.tcpFlagsClear;
        icmpType = rule.icmpType;
        icmpCode = rule.icmpCode;
        fragment = rule.fragment;
        action = rule.action;
        swapIp = rule.swapIp;
        swapPorts = rule.swapPorts;
        forwardInterface = rule.forwardInterface;
        this.forwardIndex = forwardIndex;
    }

    /**
     * Start a rule that matches every frame; narrow it with the builder's methods.
     *
     * @param name the rule's name, unique within its rule set.
     * @return the builder.
     * @throws IllegalArgumentException if the name is not {@value #NAME_RULE}.
     */
    public static Builder builder(final String name)
    {
        return new Builder(name);
    }

    /**
     * @return the rule's name.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return the 1-based line of the rules file where the rule starts, or 0 if it was not read from a file.
     */
    public int line()
    {
        return line;
    }

    /**
     * @return the {@code MATCH_*} bits of the fields this rule constrains.
     */
    public int fields()
    {
        return fields;
    }

    /**
     * @param field a {@code MATCH_*} bit.
     * @return true if the rule constrains that field.
     */
    public boolean constrains(final int field)
    {
        return 0 != (fields & field);
    }

    /**
     * @return outer VLAN id 0..4095, {@link #VLAN_NONE} for untagged frames only, or {@link #ANY}.
     */
    public int vlan()
    {
        return vlan;
    }

    /**
     * @return EtherType after any VLAN tags, or {@link #ANY}.
     */
    public int etherType()
    {
        return etherType;
    }

    /**
     * @return IP version 4 or 6, or {@link #ANY}.
     */
    public int ipVersion()
    {
        return ipVersion;
    }

    /**
     * @return IP protocol number 0..255, or {@link #ANY}.
     */
    public int protocol()
    {
        return protocol;
    }

    /**
     * @return 4 or 6 for the family of the source prefix, 0 when the source is not constrained.
     */
    public int srcFamily()
    {
        return srcFamily;
    }

    /**
     * @return source prefix length within its family (0..32 or 0..128).
     */
    public int srcPrefixBits()
    {
        return srcPrefixBits;
    }

    /**
     * @return IPv4 source prefix, host order (as {@link FrameEvent#srcIpv4}), host bits clear.
     */
    public int srcIpv4()
    {
        return srcIpv4;
    }

    /**
     * @return IPv6 source prefix, first 8 bytes as a big-endian long (as {@link FrameEvent#srcIpv6Hi}).
     */
    public long srcIpv6Hi()
    {
        return srcIpv6Hi;
    }

    /**
     * @return IPv6 source prefix, last 8 bytes as a big-endian long.
     */
    public long srcIpv6Lo()
    {
        return srcIpv6Lo;
    }

    /**
     * @return 4 or 6 for the family of the destination prefix, 0 when the destination is not constrained.
     */
    public int dstFamily()
    {
        return dstFamily;
    }

    /**
     * @return destination prefix length within its family.
     */
    public int dstPrefixBits()
    {
        return dstPrefixBits;
    }

    /**
     * @return IPv4 destination prefix, host order, host bits clear.
     */
    public int dstIpv4()
    {
        return dstIpv4;
    }

    /**
     * @return IPv6 destination prefix, first 8 bytes.
     */
    public long dstIpv6Hi()
    {
        return dstIpv6Hi;
    }

    /**
     * @return IPv6 destination prefix, last 8 bytes.
     */
    public long dstIpv6Lo()
    {
        return dstIpv6Lo;
    }

    /**
     * @return first source port, inclusive.
     */
    public int srcPortLow()
    {
        return srcPortLow;
    }

    /**
     * @return last source port, inclusive.
     */
    public int srcPortHigh()
    {
        return srcPortHigh;
    }

    /**
     * @return first destination port, inclusive.
     */
    public int dstPortLow()
    {
        return dstPortLow;
    }

    /**
     * @return last destination port, inclusive.
     */
    public int dstPortHigh()
    {
        return dstPortHigh;
    }

    /**
     * @return TCP flags that must be set (FIN 0x01 .. CWR 0x80).
     */
    public int tcpFlagsSet()
    {
        return tcpFlagsSet;
    }

    /**
     * @return TCP flags that must be clear.
     */
    public int tcpFlagsClear()
    {
        return tcpFlagsClear;
    }

    /**
     * @return ICMP or ICMPv6 type 0..255, or {@link #ANY}.
     */
    public int icmpType()
    {
        return icmpType;
    }

    /**
     * @return ICMP or ICMPv6 code 0..255, or {@link #ANY}.
     */
    public int icmpCode()
    {
        return icmpCode;
    }

    /**
     * @return 1 to match fragments only, 0 to match non-fragments only, or {@link #ANY}.
     */
    public int fragment()
    {
        return fragment;
    }

    /**
     * @return what to do with a matching frame.
     */
    public Action action()
    {
        return action;
    }

    /**
     * @return for {@link Action#REFLECT}: also swap source and destination IP addresses.
     */
    public boolean swapIp()
    {
        return swapIp;
    }

    /**
     * @return for {@link Action#REFLECT}: also swap source and destination ports.
     */
    public boolean swapPorts()
    {
        return swapPorts;
    }

    /**
     * @return for {@link Action#FORWARD}: the egress interface's name; null for other actions.
     */
    public String forwardInterface()
    {
        return forwardInterface;
    }

    /**
     * @return for {@link Action#FORWARD} in a {@link RuleSet}: the index of {@link #forwardInterface()} in
     * {@link RuleSet#forwardInterfaces()}; otherwise {@link FrameEvent#ABSENT}.
     */
    public int forwardIndex()
    {
        return forwardIndex;
    }

    FilterRule withForwardIndex(final int forwardIndex)
    {
        return forwardIndex == this.forwardIndex ? this : new FilterRule(this, forwardIndex);
    }

    /**
     * Mask of the network bits of an IPv4 prefix, host order.
     *
     * @param bits prefix length 0..32.
     * @return the mask.
     */
    public static int ipv4Mask(final int bits)
    {
        return 0 == bits ? 0 : -1 << (32 - bits);
    }

    /**
     * Mask of the network bits of an IPv6 prefix within its first 8 bytes.
     *
     * @param bits prefix length 0..128.
     * @return the mask over the big-endian first half.
     */
    public static long ipv6MaskHi(final int bits)
    {
        return bits >= 64 ? -1L : 0 == bits ? 0L : -1L << (64 - bits);
    }

    /**
     * Mask of the network bits of an IPv6 prefix within its last 8 bytes.
     *
     * @param bits prefix length 0..128.
     * @return the mask over the big-endian second half.
     */
    public static long ipv6MaskLo(final int bits)
    {
        return bits <= 64 ? 0L : -1L << (128 - bits);
    }

    /**
     * @return the rule as a one-line YAML flow mapping in the rules file's keys.
     */
    public String toString()
    {
        final StringBuilder text = new StringBuilder("{name: ").append(name);
        if (constrains(MATCH_VLAN))
        {
            text.append(", vlan: ").append(VLAN_NONE == vlan ? "none" : Integer.toString(vlan));
        }
        if (constrains(MATCH_ETHER_TYPE))
        {
            text.append(", ether_type: ").append(Names.etherTypeName(etherType));
        }
        if (constrains(MATCH_IP_VERSION))
        {
            text.append(", ip: ").append(ipVersion);
        }
        if (constrains(MATCH_PROTOCOL))
        {
            text.append(", proto: ").append(Names.protocolName(protocol));
        }
        if (0 != srcFamily)
        {
            text.append(", src: ").append(4 == srcFamily ?
                Names.ipv4Text(srcIpv4, srcPrefixBits) : Names.ipv6Text(srcIpv6Hi, srcIpv6Lo, srcPrefixBits));
        }
        if (0 != dstFamily)
        {
            text.append(", dst: ").append(4 == dstFamily ?
                Names.ipv4Text(dstIpv4, dstPrefixBits) : Names.ipv6Text(dstIpv6Hi, dstIpv6Lo, dstPrefixBits));
        }
        if (constrains(MATCH_SRC_PORT))
        {
            text.append(", src_port: ").append(portsText(srcPortLow, srcPortHigh));
        }
        if (constrains(MATCH_DST_PORT))
        {
            text.append(", dst_port: ").append(portsText(dstPortLow, dstPortHigh));
        }
        if (constrains(MATCH_TCP_FLAGS))
        {
            text.append(", tcp_flags: '").append(Names.tcpFlagsText(tcpFlagsSet, tcpFlagsClear)).append('\'');
        }
        if (constrains(MATCH_ICMP_TYPE))
        {
            text.append(", icmp_type: ").append(icmpType);
        }
        if (constrains(MATCH_ICMP_CODE))
        {
            text.append(", icmp_code: ").append(icmpCode);
        }
        if (constrains(MATCH_FRAGMENT))
        {
            text.append(", fragment: ").append(1 == fragment);
        }
        text.append(", action: ").append(action.label());
        if (swapIp || swapPorts)
        {
            text.append(", swap: [").append(swapIp ? "ip" : "").append(swapIp && swapPorts ? ", " : "")
                .append(swapPorts ? "ports" : "").append(']');
        }
        if (null != forwardInterface)
        {
            text.append(", to: ").append(forwardInterface);
        }

        return text.append('}').toString();
    }

    private static String portsText(final int low, final int high)
    {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }

    /**
     * Builds a {@link FilterRule}; each method checks its argument and {@link #build()} checks that the
     * constraints can hold together. Errors are {@link IllegalArgumentException}s that name the rule and the
     * rules-file key at fault.
     */
    public static final class Builder
    {
        private final String name;
        private final String label;
        private int line;
        private int vlan = ANY;
        private int etherType = ANY;
        private int ipVersion = ANY;
        private int protocol = ANY;
        private int srcFamily;
        private int srcPrefixBits;
        private int srcIpv4;
        private long srcIpv6Hi;
        private long srcIpv6Lo;
        private String srcText;
        private int dstFamily;
        private int dstPrefixBits;
        private int dstIpv4;
        private long dstIpv6Hi;
        private long dstIpv6Lo;
        private String dstText;
        private int srcPortLow = 0;
        private int srcPortHigh = FlowRule.MAX_PORT;
        private boolean srcPortGiven;
        private int dstPortLow = 0;
        private int dstPortHigh = FlowRule.MAX_PORT;
        private boolean dstPortGiven;
        private int tcpFlagsSet;
        private int tcpFlagsClear;
        private boolean tcpFlagsGiven;
        private int icmpType = ANY;
        private int icmpCode = ANY;
        private int fragment = ANY;
        private Action action;
        private boolean swapIp;
        private boolean swapPorts;
        private boolean swapGiven;
        private String forwardInterface;

        private Builder(final String name)
        {
            if (null == name || !NAME_PATTERN.matcher(name).matches())
            {
                throw new RuleKeyException("name", "filter rule name '" + name + "' is not " + NAME_RULE);
            }
            this.name = name;
            this.label = "filter rule '" + name + "': ";
        }

        /**
         * @param line 1-based line of the rules file where the rule starts.
         * @return this.
         */
        public Builder line(final int line)
        {
            this.line = line;
            return this;
        }

        /**
         * @param vlanId outer VLAN id 0..4095, or {@link #VLAN_NONE} for untagged frames only.
         * @return this.
         */
        public Builder vlan(final int vlanId)
        {
            if (VLAN_NONE != vlanId)
            {
                checkRange("vlan", vlanId, 0, MAX_VLAN_ID);
            }
            vlan = vlanId;
            return this;
        }

        /**
         * @param etherType EtherType after any VLAN tags, 0..0xffff.
         * @return this.
         */
        public Builder etherType(final int etherType)
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
        public Builder ipVersion(final int version)
        {
            if (4 != version && 6 != version)
            {
                throw new RuleKeyException("ip", label + "ip " + version + " is not one of 4, 6");
            }
            ipVersion = version;
            return this;
        }

        /**
         * @param protocol IP protocol number 0..255 ({@link FlowRule#IpProtocols.UDP}, ...), or
         *                 {@link FlowRule#ANY_PROTOCOL} for no constraint.
         * @return this.
         */
        public Builder protocol(final int protocol)
        {
            if (FlowRule.ANY_PROTOCOL == protocol)
            {
                this.protocol = ANY;
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
        public Builder source(final String prefix)
        {
            final Prefix parsed = parsePrefix("src", prefix);
            srcText = prefix.strip();
            srcFamily = family(parsed);
            srcPrefixBits = bits(parsed);
            srcIpv4 = ipv4(parsed);
            srcIpv6Hi = ipv6Hi(parsed);
            srcIpv6Lo = ipv6Lo(parsed);
            return this;
        }

        /**
         * @param prefix as for {@link #source(String)}.
         * @return this.
         */
        public Builder destination(final String prefix)
        {
            final Prefix parsed = parsePrefix("dst", prefix);
            dstText = prefix.strip();
            dstFamily = family(parsed);
            dstPrefixBits = bits(parsed);
            dstIpv4 = ipv4(parsed);
            dstIpv6Hi = ipv6Hi(parsed);
            dstIpv6Lo = ipv6Lo(parsed);
            return this;
        }

        /**
         * @param low  first source port, inclusive.
         * @param high last source port, inclusive.
         * @return this.
         */
        public Builder srcPorts(final int low, final int high)
        {
            checkPorts("src_port", low, high);
            srcPortLow = low;
            srcPortHigh = high;
            srcPortGiven = true;
            return this;
        }

        /**
         * @param low  first destination port, inclusive.
         * @param high last destination port, inclusive.
         * @return this.
         */
        public Builder dstPorts(final int low, final int high)
        {
            checkPorts("dst_port", low, high);
            dstPortLow = low;
            dstPortHigh = high;
            dstPortGiven = true;
            return this;
        }

        /**
         * @param set   flags that must be set, bits of the TCP flags byte.
         * @param clear flags that must be clear.
         * @return this.
         */
        public Builder tcpFlags(final int set, final int clear)
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
        public Builder tcpFlags(final String flags)
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
        public Builder icmpType(final int type)
        {
            checkRange("icmp_type", type, 0, 255);
            icmpType = type;
            return this;
        }

        /**
         * @param code ICMP or ICMPv6 code 0..255.
         * @return this.
         */
        public Builder icmpCode(final int code)
        {
            checkRange("icmp_code", code, 0, 255);
            icmpCode = code;
            return this;
        }

        /**
         * @param fragmentsOnly true to match IP fragments only (first or later), false for non-fragments only.
         * @return this.
         */
        public Builder fragment(final boolean fragmentsOnly)
        {
            fragment = fragmentsOnly ? 1 : 0;
            return this;
        }

        /**
         * @param action what to do with a matching frame.
         * @return this.
         */
        public Builder action(final Action action)
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
        public Builder swap(final boolean ip, final boolean ports)
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
        public Builder forwardTo(final String interfaceName)
        {
            if (!isInterfaceName(interfaceName))
            {
                throw new RuleKeyException("to", label + "to '" + interfaceName + "' is not an interface name (1-" +
                    MAX_INTERFACE_NAME_LENGTH + " characters, no '/', ':' or white space)");
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
                ANY == protocol || IpProtocols.TCP == protocol || IpProtocols.UDP == protocol;
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
            if (tcpFlagsGiven && ANY != protocol && IpProtocols.TCP != protocol)
            {
                throw new RuleKeyException("tcp_flags", label + "tcp_flags needs proto tcp, not " +
                    Names.protocolName(protocol));
            }
            final boolean icmpGiven = ANY != icmpType || ANY != icmpCode;
            final String icmpKey = ANY != icmpType ? "icmp_type" : "icmp_code";
            if (icmpGiven && ANY != protocol && IpProtocols.ICMP != protocol && IpProtocols.ICMPV6 != protocol)
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

            if (0 != srcFamily && 0 != dstFamily && srcFamily != dstFamily)
            {
                throw new RuleKeyException("dst", label + "dst " + dstText + " is IPv" + dstFamily + " but src " +
                    srcText + " is IPv" + srcFamily);
            }
            if (ANY != ipVersion && 0 != srcFamily && srcFamily != ipVersion)
            {
                throw new RuleKeyException("src", label + "src " + srcText + " is IPv" + srcFamily + " but ip is " +
                    ipVersion);
            }
            if (ANY != ipVersion && 0 != dstFamily && dstFamily != ipVersion)
            {
                throw new RuleKeyException("dst", label + "dst " + dstText + " is IPv" + dstFamily + " but ip is " +
                    ipVersion);
            }

            int fields = 0;
            fields |= ANY != vlan ? MATCH_VLAN : 0;
            fields |= ANY != etherType ? MATCH_ETHER_TYPE : 0;
            fields |= ANY != ipVersion ? MATCH_IP_VERSION : 0;
            fields |= ANY != protocol ? MATCH_PROTOCOL : 0;
            fields |= 4 == srcFamily ? MATCH_SRC_IPV4 : 6 == srcFamily ? MATCH_SRC_IPV6 : 0;
            fields |= 4 == dstFamily ? MATCH_DST_IPV4 : 6 == dstFamily ? MATCH_DST_IPV6 : 0;
            fields |= srcPortGiven ? MATCH_SRC_PORT : 0;
            fields |= dstPortGiven ? MATCH_DST_PORT : 0;
            fields |= tcpFlagsGiven ? MATCH_TCP_FLAGS : 0;
            fields |= ANY != icmpType ? MATCH_ICMP_TYPE : 0;
            fields |= ANY != icmpCode ? MATCH_ICMP_CODE : 0;
            fields |= ANY != fragment ? MATCH_FRAGMENT : 0;

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
            if (ANY == etherType)
            {
                return;
            }
            final int family = ANY != ipVersion ? ipVersion : Math.max(srcFamily, dstFamily);
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
            final String text = low == high ? Integer.toString(low) : low + "-" + high;
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
    }

    static boolean isInterfaceName(final String name)
    {
        if (null == name || name.isEmpty() || name.length() > MAX_INTERFACE_NAME_LENGTH ||
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

    private static int family(final Prefix prefix)
    {
        // Prefix.parse returns ANY itself only for "any"; "::/0" is a distinct IPv6 prefix of length 0.
        return Prefix.ANY == prefix ? 0 : prefix.isIpv4() ? 4 : 6;
    }

    private static int bits(final Prefix prefix)
    {
        final int family = family(prefix);

        return 0 == family ? 0 : 4 == family ? prefix.mappedLength() - 96 : prefix.mappedLength();
    }

    private static int ipv4(final Prefix prefix)
    {
        return 4 == family(prefix) ? (int)bigEndian(prefix.address(), 12, 4) : 0;
    }

    private static long ipv6Hi(final Prefix prefix)
    {
        return 6 == family(prefix) ? bigEndian(prefix.address(), 0, 8) : 0L;
    }

    private static long ipv6Lo(final Prefix prefix)
    {
        return 6 == family(prefix) ? bigEndian(prefix.address(), 8, 8) : 0L;
    }

    private static long bigEndian(final byte[] bytes, final int offset, final int length)
    {
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }

        return value;
    }
}
