package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import java.util.regex.Pattern;

/**
 * One user-space filter rule: a conjunction of match constraints on a parsed {@link FrameEvent} and the
 * {@link Action} taken when they all hold. Immutable; built with {@link #builder(String)}, which validates, or read
 * from a rules file by {@link RulesFile}; {@link #toString()} writes it back in the file's keys
 * ({@link FilterRuleFormatter}).
 * <p>
 * Which fields a rule constrains is the bit set {@link #fields()} of the {@code MATCH_*} bits; an unconstrained
 * single-valued field reads {@link #ANY}, an unconstrained port range is {@link PortRange#ALL} and an unconstrained
 * address is {@link AddressMatch#ANY}. Frames that are not IP never meet an IP constraint (version, protocol, address, port, TCP flags, ICMP,
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

    private final String name;
    private final int line;
    private final int fields;
    private final int vlan;
    private final int etherType;
    private final int ipVersion;
    private final int protocol;
    private final AddressMatch srcAddress;
    private final AddressMatch dstAddress;
    private final PortRange srcPorts;
    private final PortRange dstPorts;
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

    FilterRule(final FilterRuleBuilder builder, final int fields)
    {
        name = builder.name;
        line = builder.line;
        this.fields = fields;
        vlan = builder.vlan;
        etherType = builder.etherType;
        ipVersion = builder.ipVersion;
        protocol = builder.protocol;
        srcAddress = builder.src;
        dstAddress = builder.dst;
        srcPorts = builder.srcPorts;
        dstPorts = builder.dstPorts;
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
        srcAddress = rule.srcAddress;
        dstAddress = rule.dstAddress;
        srcPorts = rule.srcPorts;
        dstPorts = rule.dstPorts;
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
    public static FilterRuleBuilder builder(final String name)
    {
        return new FilterRuleBuilder(name);
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
     * @return the source address prefix, {@link AddressMatch#ANY} when the source is not constrained.
     */
    public AddressMatch srcAddress()
    {
        return srcAddress;
    }

    /**
     * @return the destination address prefix, {@link AddressMatch#ANY} when the destination is not constrained.
     */
    public AddressMatch dstAddress()
    {
        return dstAddress;
    }

    /**
     * @return the source ports, {@link PortRange#ALL} when they are not constrained.
     */
    public PortRange srcPorts()
    {
        return srcPorts;
    }

    /**
     * @return the destination ports, {@link PortRange#ALL} when they are not constrained.
     */
    public PortRange dstPorts()
    {
        return dstPorts;
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
     * @return the rule as a one-line YAML flow mapping in the rules file's keys ({@link FilterRuleFormatter}).
     */
    public String toString()
    {
        return FilterRuleFormatter.flowMapping(this);
    }
}
