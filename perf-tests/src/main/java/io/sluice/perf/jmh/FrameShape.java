package io.sluice.perf.jmh;

import io.sluice.pipeline.parse.ParseError;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;

/**
 * The frame shapes the benchmarks parse, by the label a {@code @Param} names them with. Each builds one frame of a
 * flow, so frames of a shape differ in addresses and ports but walk the same headers.
 */
enum FrameShape
{
    IPV4_UDP("ipv4-udp", ParseError.NONE),
    IPV4_TCP("ipv4-tcp", ParseError.NONE),
    VLAN_IPV4_UDP("vlan-ipv4-udp", ParseError.NONE),
    QINQ_IPV6_TCP("qinq-ipv6-tcp", ParseError.NONE),
    IPV6_UDP("ipv6-udp", ParseError.NONE),
    ARP("arp", ParseError.NONE),
    /**
     * An IPv4 frame cut short 16 bytes into its IP header: the parser stops at the first check of the IP layer.
     */
    TRUNCATED_IPV4("truncated-ipv4", ParseError.TRUNCATED_IPV4);

    /**
     * Destination port of every UDP and TCP frame.
     */
    static final int DST_PORT = 9000;

    /**
     * Destination of every IPv4 frame; {@link FilterBenchmark}'s last rule matches its /16.
     */
    static final String DST_IPV4 = "10.1.0.2";

    /**
     * Payload bytes after the L4 header: an IPv4/UDP frame is then 60 bytes, the Ethernet minimum without FCS.
     */
    private static final int PAYLOAD_BYTES = 18;

    private static final int TRUNCATED_IPV4_BYTES = Frames.ETHERNET_HEADER_LENGTH + 16;
    private static final int FIRST_SRC_PORT = 1024;

    private final String label;
    private final ParseError expected;

    FrameShape(final String label, final ParseError expected)
    {
        this.label = label;
        this.expected = expected;
    }

    /**
     * @return the name a {@code @Param} gives the shape, e.g. {@code qinq-ipv6-tcp}.
     */
    String label()
    {
        return label;
    }

    /**
     * @return what {@code PacketParser.parse} must return for a frame of this shape.
     */
    ParseError expected()
    {
        return expected;
    }

    /**
     * @param label as {@link #label()} returns it.
     * @return the shape.
     * @throws IllegalArgumentException if no shape has that label.
     */
    static FrameShape byLabel(final String label)
    {
        for (final FrameShape shape : values())
        {
            if (shape.label.equals(label))
            {
                return shape;
            }
        }

        throw new IllegalArgumentException("no frame shape '" + label + "'");
    }

    /**
     * @param flow 0..65535, which sets the source address and port.
     * @return the frame's bytes, as they would arrive in the UMEM.
     */
    byte[] build(final int flow)
    {
        final String srcIpv4 = "10.0." + ((flow >>> 8) & 0xFF) + "." + (flow & 0xFF);
        final String srcIpv6 = "fd00::" + Integer.toHexString(flow & 0xFFFF);
        final String dstIpv6 = "fd00:1::2";
        final int srcPort = FIRST_SRC_PORT + (flow & 0x7FFF);

        return switch (this)
        {
            case IPV4_UDP -> Frames.ethernet().ipv4(srcIpv4, DST_IPV4).udp(srcPort, DST_PORT)
                .payload(PAYLOAD_BYTES).build();
            case IPV4_TCP -> Frames.ethernet().ipv4(srcIpv4, DST_IPV4).tcp(srcPort, DST_PORT)
                .payload(PAYLOAD_BYTES).build();
            case VLAN_IPV4_UDP -> Frames.ethernet().vlan(EtherTypes.VLAN, 10).ipv4(srcIpv4, DST_IPV4)
                .udp(srcPort, DST_PORT).payload(PAYLOAD_BYTES).build();
            case QINQ_IPV6_TCP -> Frames.ethernet().vlan(EtherTypes.QINQ, 100).vlan(EtherTypes.VLAN, 10)
                .ipv6(srcIpv6, dstIpv6).ipv6HopByHop().tcp(srcPort, DST_PORT).payload(PAYLOAD_BYTES).build();
            case IPV6_UDP -> Frames.ethernet().ipv6(srcIpv6, dstIpv6).udp(srcPort, DST_PORT)
                .payload(PAYLOAD_BYTES).build();
            case ARP -> Frames.ethernet().etherType(EtherTypes.ARP).build();
            case TRUNCATED_IPV4 -> Frames.truncate(IPV4_UDP.build(flow), TRUNCATED_IPV4_BYTES);
        };
    }
}
