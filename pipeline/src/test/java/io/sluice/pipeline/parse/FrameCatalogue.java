package io.sluice.pipeline.parse;

import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.Named;

import java.util.List;

import static io.sluice.pipeline.parse.FrameCrafter.ethernet;

/**
 * One well-formed frame of every shape the parser knows, for tests that sweep over all of them.
 */
final class FrameCatalogue
{
    static final int SSH = 22;
    static final int DNS = 53;
    static final int EPHEMERAL = 49152;

    private FrameCatalogue()
    {
    }

    static List<Named<Crafted>> frames()
    {
        return List.of(
            Named.of("arp", ethernet().etherType(EtherTypes.ARP, 28).build()),
            Named.of("lldp", ethernet().etherType(EtherTypes.LLDP, 40).build()),
            Named.of("ipv4 tcp", ethernet().ipv4().tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_SYN, 0).build()),
            Named.of("ipv4 options tcp options", ethernet().ipv4().ipv4Options(12)
                .tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH, 12).payload(33).build()),
            Named.of("ipv4 udp", ethernet().ipv4().udp(EPHEMERAL, DNS).payload(20).build()),
            Named.of("ipv4 icmp echo", ethernet().ipv4().icmp(IcmpFlyweight.ICMP_ECHO_REQUEST, 0).payload(56)
                .build()),
            Named.of("ipv4 gre", ethernet().ipv4().protocol(47).payload(24).build()),
            Named.of("ipv4 first fragment udp", ethernet().ipv4().ipv4Fragment(0, true).udp(EPHEMERAL, DNS)
                .udpLength(3000).payload(64).build()),
            Named.of("ipv4 later fragment", ethernet().ipv4().ipv4Fragment(1480, true).udp(EPHEMERAL, DNS)
                .payload(64).build()),
            Named.of("ipv4 last fragment", ethernet().ipv4().ipv4Fragment(2960, false).tcp(1, 2, 0, 0)
                .payload(64).build()),
            Named.of("vlan ipv4 udp", ethernet().vlan(EtherTypes.VLAN, 10).ipv4()
                .udp(EPHEMERAL, DNS).payload(8).build()),
            Named.of("qinq ipv6 tcp", ethernet().vlan(EtherTypes.QINQ, 100)
                .vlan(EtherTypes.VLAN, 200).ipv6().tcp(EPHEMERAL, SSH, 0x12, 4).payload(5)
                .build()),
            Named.of("qinq arp", ethernet().vlan(EtherTypes.QINQ, 100)
                .vlan(EtherTypes.VLAN, 200).etherType(EtherTypes.ARP, 28)
                .build()),
            Named.of("three vlan tags", ethernet().vlan(EtherTypes.QINQ, 1)
                .vlan(EtherTypes.VLAN, 2).vlan(EtherTypes.VLAN, 3).ipv4()
                .udp(1, 2).build()),
            Named.of("ipv6 tcp", ethernet().ipv6().tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_SYN, 0).build()),
            Named.of("ipv6 udp", ethernet().ipv6().udp(EPHEMERAL, DNS).payload(30).build()),
            Named.of("ipv6 icmpv6 echo", ethernet().ipv6().icmp(IcmpFlyweight.ICMPV6_ECHO_REQUEST, 0).payload(56)
                .build()),
            Named.of("ipv6 extension chain udp", ethernet().ipv6()
                .extension(IpProtocols.HOP_BY_HOP, 8)
                .extension(IpProtocols.DESTINATION_OPTIONS, 16)
                .extension(IpProtocols.ROUTING, 24)
                .ipv6Fragment(0, true)
                .extension(IpProtocols.AH, 24)
                .extension(IpProtocols.DESTINATION_OPTIONS, 8)
                .udp(EPHEMERAL, DNS).udpLength(4000).payload(12).build()),
            Named.of("ipv6 mobility hip shim6 tcp", ethernet().ipv6()
                .extension(IpProtocols.MOBILITY, 8)
                .extension(IpProtocols.HIP, 16)
                .extension(IpProtocols.SHIM6, 8)
                .tcp(1, 2, TcpFlyweight.FLAG_FIN, 0).build()),
            Named.of("ipv6 routing tcp", ethernet().ipv6().extension(IpProtocols.ROUTING, 24)
                .tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_SYN, 8).build()),
            Named.of("ipv6 ah icmpv6", ethernet().ipv6().extension(IpProtocols.AH, 16)
                .icmp(IcmpFlyweight.ICMPV6_ECHO_REQUEST, 0).payload(4).build()),
            Named.of("ipv6 atomic fragment icmpv6", ethernet().ipv6().ipv6Fragment(0, false)
                .icmp(IcmpFlyweight.ICMPV6_ECHO_REPLY, 0).payload(8).build()),
            Named.of("ipv6 later fragment", ethernet().ipv6().extension(IpProtocols.HOP_BY_HOP, 8)
                .ipv6Fragment(1232, false).extension(IpProtocols.DESTINATION_OPTIONS, 8).udp(1, 2).payload(40)
                .build()),
            Named.of("ipv6 eight extension headers", chain(PacketParser.MAX_EXTENSION_HEADERS).build()),
            Named.of("ipv6 nine extension headers", chain(PacketParser.MAX_EXTENSION_HEADERS + 1).build()),
            Named.of("ipv6 esp", ethernet().ipv6().extension(IpProtocols.HOP_BY_HOP, 8)
                .protocol(IpProtocols.ESP).payload(48).build()),
            Named.of("ipv6 no next header", ethernet().ipv6().protocol(IpProtocols.NO_NEXT_HEADER).build()),
            Named.of("ipv6 sctp", ethernet().ipv6().protocol(132).payload(28).build()),
            Named.of("padded ipv4 udp", ethernet().ipv4().udp(EPHEMERAL, DNS).payload(2).padTo(60).build()),
            Named.of("padded ipv4 tcp", ethernet().ipv4().tcp(1, 2, TcpFlyweight.FLAG_RST, 0).padTo(60).build()),
            Named.of("padded vlan ipv6 icmpv6", ethernet().vlan(EtherTypes.VLAN, 7).ipv6()
                .icmp(IcmpFlyweight.ICMPV6_NEIGHBOR_SOLICITATION, 0).padTo(128).build()));
    }

    /**
     * IPv6 carrying {@code headers} Destination Options headers, then UDP.
     */
    static FrameCrafter chain(final int headers)
    {
        final FrameCrafter crafter = ethernet().ipv6();
        for (int i = 0; i < headers; i++)
        {
            crafter.extension(IpProtocols.DESTINATION_OPTIONS, 8);
        }
        return crafter.udp(EPHEMERAL, DNS).payload(4);
    }
}
