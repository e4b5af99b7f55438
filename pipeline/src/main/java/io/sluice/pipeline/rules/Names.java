package io.sluice.pipeline.rules;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;

/**
 * The names the rules file gives to protocol numbers, EtherTypes and TCP flags, both ways.
 */
final class Names
{
    static final String PROTOCOLS = "udp, tcp, icmp, icmpv6, any, or a number 0..255";
    static final String ETHER_TYPES = "ipv4, ipv6, arp, or a number like 0x88cc";
    static final String[] TCP_FLAGS = { "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr" };

    private Names()
    {
    }

    /**
     * @param name protocol name, lower case.
     * @return its number, {@link FlowRule#ANY_PROTOCOL} for {@code any}, or -2 if the name is not known.
     */
    static int protocol(final String name)
    {
        return switch (name)
        {
            case "udp" -> IpProtocols.UDP;
            case "tcp" -> IpProtocols.TCP;
            case "icmp" -> IpProtocols.ICMP;
            case "icmpv6" -> IpProtocols.ICMPV6;
            case "any" -> FlowRule.ANY_PROTOCOL;
            default -> -2;
        };
    }

    static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case IpProtocols.UDP -> "udp";
            case IpProtocols.TCP -> "tcp";
            case IpProtocols.ICMP -> "icmp";
            case IpProtocols.ICMPV6 -> "icmpv6";
            case FlowRule.ANY_PROTOCOL -> "any";
            default -> Integer.toString(protocol);
        };
    }

    /**
     * @param name EtherType name, lower case.
     * @return its value, or -1 if the name is not known.
     */
    static int etherType(final String name)
    {
        return switch (name)
        {
            case "ipv4" -> EtherTypes.IPV4;
            case "ipv6" -> EtherTypes.IPV6;
            case "arp" -> EtherTypes.ARP;
            default -> -1;
        };
    }

    static String etherTypeName(final int etherType)
    {
        return switch (etherType)
        {
            case EtherTypes.IPV4 -> "ipv4";
            case EtherTypes.IPV6 -> "ipv6";
            case EtherTypes.ARP -> "arp";
            default -> String.format("0x%04x", etherType);
        };
    }

    /**
     * @param name flag name, lower case.
     * @return its bit in the TCP flags byte, or 0 if the name is not known.
     */
    static int tcpFlag(final String name)
    {
        for (int i = 0; i < TCP_FLAGS.length; i++)
        {
            if (TCP_FLAGS[i].equals(name))
            {
                return 1 << i;
            }
        }

        return 0;
    }

    static String tcpFlagsText(final int set, final int clear)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < TCP_FLAGS.length; i++)
        {
            final int bit = 1 << i;
            if (0 != ((set | clear) & bit))
            {
                text.append(text.isEmpty() ? "" : ",").append(0 != (clear & bit) ? "!" : "").append(TCP_FLAGS[i]);
            }
        }

        return text.toString();
    }

    static String ipv4Text(final int address, final int bits)
    {
        final byte[] mapped = new byte[16];
        mapped[10] = (byte)0xFF;
        mapped[11] = (byte)0xFF;
        mapped[12] = (byte)(address >>> 24);
        mapped[13] = (byte)(address >>> 16);
        mapped[14] = (byte)(address >>> 8);
        mapped[15] = (byte)address;

        return Prefix.fromMapped(mapped, 96 + bits).toString();
    }

    static String ipv6Text(final long hi, final long lo, final int bits)
    {
        if (0 == bits)
        {
            return "::/0";
        }
        final byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(hi >>> (56 - 8 * i));
            bytes[8 + i] = (byte)(lo >>> (56 - 8 * i));
        }

        return Prefix.fromMapped(bytes, bits).toString();
    }
}
