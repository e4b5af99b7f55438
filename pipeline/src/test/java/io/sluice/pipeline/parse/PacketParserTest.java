package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.sluice.pipeline.FrameEvent.ABSENT;
import static io.sluice.pipeline.FrameEvent.IP_EXTENSION_HEADERS;
import static io.sluice.pipeline.FrameEvent.IP_FRAGMENT;
import static io.sluice.pipeline.FrameEvent.IP_LATER_FRAGMENT;
import static io.sluice.pipeline.FrameEvent.IP_OPTIONS;
import static io.sluice.pipeline.parse.FrameCatalogue.DNS;
import static io.sluice.pipeline.parse.FrameCatalogue.EPHEMERAL;
import static io.sluice.pipeline.parse.FrameCatalogue.SSH;
import static io.sluice.pipeline.parse.FrameCrafter.DST_IPV4;
import static io.sluice.pipeline.parse.FrameCrafter.DST_IPV6_HI;
import static io.sluice.pipeline.parse.FrameCrafter.DST_IPV6_LO;
import static io.sluice.pipeline.parse.FrameCrafter.SRC_IPV4;
import static io.sluice.pipeline.parse.FrameCrafter.SRC_IPV6_HI;
import static io.sluice.pipeline.parse.FrameCrafter.SRC_IPV6_LO;
import static io.sluice.pipeline.parse.FrameCrafter.TTL;
import static io.sluice.pipeline.parse.FrameCrafter.ethernet;
import static io.sluice.pipeline.parse.FrameCrafter.putU16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PacketParserTest
{
    private static final int ETH = EthernetFlyweight.HEADER_LENGTH;
    private static final int IPV4_END_OF_HEADER = ETH + Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int IPV6_END_OF_HEADER = ETH + Ipv6Flyweight.HEADER_LENGTH;

    private final FrameHarness harness = new FrameHarness();

    @AfterEach
    void close()
    {
        harness.close();
    }

    @Test
    void shouldParseArpAsNonIpWithoutError()
    {
        final FrameEvent event = parse(ethernet().etherType(EtherTypes.ARP, 28).build());

        assertEquals(0, event.parseError);
        assertEquals(EtherTypes.ARP, event.etherType);
        assertEquals(ETH, event.l3Offset);
        assertEquals(0, event.ipVersion);
        assertEquals(0, event.vlanCount);
        assertEquals(ABSENT, event.outerVlanId);
        assertEquals(ABSENT, event.ipEnd);
        assertEquals(ABSENT, event.ipProtocol);
        assertEquals(ABSENT, event.ttl);
        assertL4Absent(event);
    }

    @Test
    void shouldParseLldpAndEthernetHeaderOnlyFramesAsNonIp()
    {
        assertEquals(ParseError.NONE,
            harness.parseError(ethernet().etherType(EtherTypes.LLDP, 0).build().bytes()));
        assertEquals(EtherTypes.LLDP, harness.parse(
            ethernet().etherType(EtherTypes.LLDP, 60).build().bytes(), 60 + ETH).etherType);
    }

    @Test
    void shouldParseEveryFieldOfIpv4Tcp()
    {
        final FrameEvent event = parse(ethernet().ipv4().ttl(17)
            .tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK, 0).payload(10).build());

        assertEquals(0, event.parseError);
        assertEquals(0, event.vlanCount);
        assertEquals(ABSENT, event.outerVlanId);
        assertEquals(ABSENT, event.innerVlanId);
        assertEquals(EtherTypes.IPV4, event.etherType);
        assertEquals(ETH, event.l3Offset);
        assertEquals(4, event.ipVersion);
        assertEquals(IPV4_END_OF_HEADER + 20 + 10, event.ipEnd);
        assertEquals(IpProtocols.TCP, event.ipProtocol);
        assertEquals(17, event.ttl);
        assertEquals(0, event.ipFlags);
        assertEquals(SRC_IPV4, event.srcIpv4);
        assertEquals(DST_IPV4, event.dstIpv4);
        assertEquals(0, event.srcIpv6Hi | event.srcIpv6Lo | event.dstIpv6Hi | event.dstIpv6Lo);
        assertEquals(IPV4_END_OF_HEADER, event.l4Offset);
        assertEquals(EPHEMERAL, event.srcPort);
        assertEquals(SSH, event.dstPort);
        assertEquals(TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK, event.tcpFlags);
        assertEquals(ABSENT, event.icmpType);
        assertEquals(ABSENT, event.icmpCode);
        assertEquals(IPV4_END_OF_HEADER + 20, event.payloadOffset);
    }

    @Test
    void shouldFlagIpv4OptionsAndStepOverThemAndTcpOptions()
    {
        final FrameEvent event = parse(ethernet().ipv4().ipv4Options(8).tcp(1, 2, TcpFlyweight.FLAG_FIN, 12)
            .build());

        assertEquals(0, event.parseError);
        assertEquals(IP_OPTIONS, event.ipFlags);
        assertEquals(IPV4_END_OF_HEADER + 8, event.l4Offset);
        assertEquals(IPV4_END_OF_HEADER + 8 + 32, event.payloadOffset);
        assertEquals(event.payloadOffset, event.ipEnd);
    }

    @Test
    void shouldParseIpv4Udp()
    {
        final FrameEvent event = parse(ethernet().ipv4().udp(EPHEMERAL, DNS).payload(20).build());

        assertEquals(0, event.parseError);
        assertEquals(IpProtocols.UDP, event.ipProtocol);
        assertEquals(IPV4_END_OF_HEADER, event.l4Offset);
        assertEquals(EPHEMERAL, event.srcPort);
        assertEquals(DNS, event.dstPort);
        assertEquals(ABSENT, event.tcpFlags);
        assertEquals(ABSENT, event.icmpType);
        assertEquals(IPV4_END_OF_HEADER + 8, event.payloadOffset);
        assertEquals(IPV4_END_OF_HEADER + 28, event.ipEnd);
    }

    @Test
    void shouldParseIpv4IcmpTypeAndCode()
    {
        final FrameEvent event = parse(ethernet().ipv4().icmp(IcmpFlyweight.ICMP_DESTINATION_UNREACHABLE, 3)
            .payload(28).build());

        assertEquals(0, event.parseError);
        assertEquals(IpProtocols.ICMP, event.ipProtocol);
        assertEquals(IcmpFlyweight.ICMP_DESTINATION_UNREACHABLE, event.icmpType);
        assertEquals(3, event.icmpCode);
        assertEquals(IPV4_END_OF_HEADER, event.l4Offset);
        assertEquals(IPV4_END_OF_HEADER + 8, event.payloadOffset);
        assertEquals(ABSENT, event.srcPort);
        assertEquals(ABSENT, event.dstPort);
        assertEquals(ABSENT, event.tcpFlags);
    }

    @Test
    void shouldParseOneVlanTagIgnoringPriorityBits()
    {
        final FrameEvent event = parse(ethernet().vlan(EtherTypes.VLAN, 0xF000 | 10).ipv4()
            .udp(1, 2).build());

        assertEquals(0, event.parseError);
        assertEquals(1, event.vlanCount);
        assertEquals(10, event.outerVlanId);
        assertEquals(ABSENT, event.innerVlanId);
        assertEquals(EtherTypes.IPV4, event.etherType);
        assertEquals(ETH + 4, event.l3Offset);
        assertEquals(ETH + 4 + 20, event.l4Offset);
    }

    @Test
    void shouldParseQinQTagsOuterFirst()
    {
        final FrameEvent event = parse(ethernet().vlan(EtherTypes.QINQ, 100)
            .vlan(EtherTypes.VLAN, 4095).ipv6().udp(1, 2).build());

        assertEquals(0, event.parseError);
        assertEquals(2, event.vlanCount);
        assertEquals(100, event.outerVlanId);
        assertEquals(4095, event.innerVlanId);
        assertEquals(EtherTypes.IPV6, event.etherType);
        assertEquals(ETH + 8, event.l3Offset);
        assertEquals(ETH + 8 + 40, event.l4Offset);
    }

    @Test
    void shouldCountAStackOfThreeVlanTagsAsTooDeep()
    {
        final FrameEvent event = parse(ethernet().vlan(EtherTypes.QINQ, 1)
            .vlan(EtherTypes.QINQ, 2).vlan(EtherTypes.VLAN, 3).ipv4().udp(1, 2)
            .build());

        assertEquals(ParseError.VLAN_TOO_DEEP.id(), event.parseError);
        assertEquals(2, event.vlanCount);
        assertEquals(1, event.outerVlanId);
        assertEquals(2, event.innerVlanId);
        assertEquals(ABSENT, event.etherType);
        assertEquals(ABSENT, event.l3Offset);
        assertEquals(0, event.ipVersion);
    }

    @Test
    void shouldNotTreatOtherTpidsAsVlanTags()
    {
        final FrameEvent event = parse(ethernet().vlan(0x9100, 5).ipv4().udp(1, 2).build());

        assertEquals(0, event.parseError);
        assertEquals(0, event.vlanCount);
        assertEquals(0x9100, event.etherType);
        assertEquals(0, event.ipVersion);
    }

    @Test
    void shouldParseEveryFieldOfIpv6Udp()
    {
        final FrameEvent event = parse(ethernet().ipv6().ttl(255).udp(EPHEMERAL, DNS).payload(30).build());

        assertEquals(0, event.parseError);
        assertEquals(EtherTypes.IPV6, event.etherType);
        assertEquals(ETH, event.l3Offset);
        assertEquals(6, event.ipVersion);
        assertEquals(IPV6_END_OF_HEADER + 38, event.ipEnd);
        assertEquals(IpProtocols.UDP, event.ipProtocol);
        assertEquals(255, event.ttl);
        assertEquals(0, event.ipFlags);
        assertEquals(0, event.srcIpv4 | event.dstIpv4);
        assertEquals(SRC_IPV6_HI, event.srcIpv6Hi);
        assertEquals(SRC_IPV6_LO, event.srcIpv6Lo);
        assertEquals(DST_IPV6_HI, event.dstIpv6Hi);
        assertEquals(DST_IPV6_LO, event.dstIpv6Lo);
        assertEquals(IPV6_END_OF_HEADER, event.l4Offset);
        assertEquals(EPHEMERAL, event.srcPort);
        assertEquals(DNS, event.dstPort);
        assertEquals(IPV6_END_OF_HEADER + 8, event.payloadOffset);
    }

    @Test
    void shouldParseIpv6TcpAndIcmpv6()
    {
        final FrameEvent tcp = parse(ethernet().ipv6().tcp(SSH, EPHEMERAL, TcpFlyweight.FLAG_RST, 4).build());
        assertEquals(0, tcp.parseError);
        assertEquals(TcpFlyweight.FLAG_RST, tcp.tcpFlags);
        assertEquals(SSH, tcp.srcPort);
        assertEquals(IPV6_END_OF_HEADER + 24, tcp.payloadOffset);

        final FrameEvent icmp = parse(ethernet().ipv6().icmp(IcmpFlyweight.ICMPV6_PACKET_TOO_BIG, 0).payload(8)
            .build());
        assertEquals(0, icmp.parseError);
        assertEquals(IpProtocols.ICMPV6, icmp.ipProtocol);
        assertEquals(IcmpFlyweight.ICMPV6_PACKET_TOO_BIG, icmp.icmpType);
        assertEquals(0, icmp.icmpCode);
        assertEquals(IPV6_END_OF_HEADER, icmp.l4Offset);
        assertEquals(ABSENT, icmp.srcPort);
    }

    @Test
    void shouldWalkIpv6ExtensionChainToTheL4Header()
    {
        final Crafted frame = ethernet().ipv6()
            .extension(IpProtocols.HOP_BY_HOP, 8)
            .extension(IpProtocols.DESTINATION_OPTIONS, 16)
            .extension(IpProtocols.ROUTING, 24)
            .extension(IpProtocols.AH, 24)
            .extension(IpProtocols.MOBILITY, 8)
            .extension(IpProtocols.HIP, 8)
            .extension(IpProtocols.SHIM6, 8)
            .tcp(EPHEMERAL, SSH, TcpFlyweight.FLAG_ACK, 0).payload(3).build();
        final FrameEvent event = parse(frame);

        assertEquals(0, event.parseError);
        assertEquals(IP_EXTENSION_HEADERS, event.ipFlags);
        assertEquals(IpProtocols.TCP, event.ipProtocol);
        assertEquals(IPV6_END_OF_HEADER + 96, event.l4Offset);
        assertEquals(frame.l4Offset(), event.l4Offset);
        assertEquals(EPHEMERAL, event.srcPort);
        assertEquals(TcpFlyweight.FLAG_ACK, event.tcpFlags);
        assertEquals(event.l4Offset + 20, event.payloadOffset);
    }

    @Test
    void shouldWalkExactlyMaxExtensionHeaders()
    {
        final FrameEvent event = parse(FrameCatalogue.chain(PacketParser.MAX_EXTENSION_HEADERS).build());

        assertEquals(0, event.parseError);
        assertEquals(IPV6_END_OF_HEADER + 8 * PacketParser.MAX_EXTENSION_HEADERS, event.l4Offset);
        assertEquals(DNS, event.dstPort);
    }

    @Test
    void shouldCountIpv6ChainLongerThanTheBound()
    {
        final FrameEvent event = parse(FrameCatalogue.chain(PacketParser.MAX_EXTENSION_HEADERS + 1).build());

        assertEquals(ParseError.IPV6_EXTENSION_CHAIN_TOO_LONG.id(), event.parseError);
        assertEquals(6, event.ipVersion);
        assertEquals(SRC_IPV6_HI, event.srcIpv6Hi);
        assertEquals(ABSENT, event.ipProtocol);
        assertL4Absent(event);
    }

    @Test
    void shouldCountExtensionHeaderLongerThanThePayload()
    {
        final Crafted frame = ethernet().ipv6().extension(IpProtocols.ROUTING, 8).udp(1, 2).build();
        final byte[] bytes = frame.bytes();
        bytes[IPV6_END_OF_HEADER + 1] = 2; // 24 bytes claimed, 16 in the payload
        assertEquals(ParseError.TRUNCATED_IPV6_EXTENSION, harness.parseError(bytes));
        bytes[IPV6_END_OF_HEADER + 1] = (byte)0xFF;
        assertEquals(ParseError.TRUNCATED_IPV6_EXTENSION, harness.parseError(bytes));
    }

    @Test
    void shouldStopAtEspAndNoNextHeaderWithoutError()
    {
        final FrameEvent esp = parse(ethernet().ipv6().extension(IpProtocols.HOP_BY_HOP, 8)
            .protocol(IpProtocols.ESP).payload(40).build());
        assertEquals(0, esp.parseError);
        assertEquals(IpProtocols.ESP, esp.ipProtocol);
        assertEquals(IP_EXTENSION_HEADERS, esp.ipFlags);
        assertL4Absent(esp);

        final FrameEvent none = parse(ethernet().ipv6().protocol(IpProtocols.NO_NEXT_HEADER).build());
        assertEquals(0, none.parseError);
        assertEquals(IpProtocols.NO_NEXT_HEADER, none.ipProtocol);
        assertEquals(IPV6_END_OF_HEADER, none.ipEnd);
        assertL4Absent(none);
    }

    @Test
    void shouldLeaveL4AbsentForIpv4LaterFragment()
    {
        final FrameEvent event = parse(ethernet().ipv4().ipv4Fragment(1480, true).udp(EPHEMERAL, DNS).payload(64)
            .build());

        assertEquals(0, event.parseError);
        assertEquals(IP_FRAGMENT | IP_LATER_FRAGMENT, event.ipFlags);
        assertEquals(IpProtocols.UDP, event.ipProtocol);
        assertEquals(IPV4_END_OF_HEADER + 64, event.ipEnd);
        assertEquals(SRC_IPV4, event.srcIpv4);
        assertL4Absent(event);
    }

    @Test
    void shouldParseL4OfIpv4FirstFragmentWhoseUdpLengthCoversTheWholeDatagram()
    {
        final FrameEvent event = parse(ethernet().ipv4().ipv4Fragment(0, true).udp(EPHEMERAL, DNS).udpLength(3000)
            .payload(64).build());

        assertEquals(0, event.parseError);
        assertEquals(IP_FRAGMENT, event.ipFlags);
        assertEquals(IPV4_END_OF_HEADER, event.l4Offset);
        assertEquals(DNS, event.dstPort);
    }

    @Test
    void shouldLeaveL4AbsentForIpv6LaterFragment()
    {
        final FrameEvent event = parse(ethernet().ipv6().extension(IpProtocols.HOP_BY_HOP, 8)
            .ipv6Fragment(1232, true).tcp(1, 2, 0, 0).payload(100).build());

        assertEquals(0, event.parseError);
        assertEquals(IP_EXTENSION_HEADERS | IP_FRAGMENT | IP_LATER_FRAGMENT, event.ipFlags);
        assertEquals(IpProtocols.TCP, event.ipProtocol);
        assertL4Absent(event);
    }

    @Test
    void shouldParseL4OfIpv6FirstFragment()
    {
        final FrameEvent event = parse(ethernet().ipv6().ipv6Fragment(0, true).udp(1, DNS).udpLength(5000)
            .payload(100).build());

        assertEquals(0, event.parseError);
        assertEquals(IP_EXTENSION_HEADERS | IP_FRAGMENT, event.ipFlags);
        assertEquals(IPV6_END_OF_HEADER + 8, event.l4Offset);
        assertEquals(DNS, event.dstPort);
    }

    @Test
    void shouldTreatIpv6AtomicFragmentAsUnfragmented()
    {
        final FrameEvent event = parse(ethernet().ipv6().ipv6Fragment(0, false).udp(1, DNS).build());

        assertEquals(0, event.parseError);
        assertEquals(IP_EXTENSION_HEADERS, event.ipFlags);
        assertEquals(DNS, event.dstPort);
    }

    @Test
    void shouldReportUnknownL4ProtocolsWithoutL4FieldsOrError()
    {
        final FrameEvent gre = parse(ethernet().ipv4().protocol(47).payload(20).build());
        assertEquals(0, gre.parseError);
        assertEquals(47, gre.ipProtocol);
        assertL4Absent(gre);

        final FrameEvent icmpv6InIpv4 = parse(ethernet().ipv4().protocol(IpProtocols.ICMPV6).payload(20).build());
        assertEquals(0, icmpv6InIpv4.parseError);
        assertEquals(IpProtocols.ICMPV6, icmpv6InIpv4.ipProtocol);
        assertL4Absent(icmpv6InIpv4);

        final FrameEvent icmpInIpv6 = parse(ethernet().ipv6().protocol(IpProtocols.ICMP).payload(2).build());
        assertEquals(0, icmpInIpv6.parseError);
        assertEquals(IpProtocols.ICMP, icmpInIpv6.ipProtocol);
        assertL4Absent(icmpInIpv6);

        final FrameEvent ahInIpv4 = parse(ethernet().ipv4().protocol(IpProtocols.AH).payload(24).build());
        assertEquals(0, ahInIpv4.parseError);
        assertL4Absent(ahInIpv4);
    }

    @Test
    void shouldCountBogusIhl()
    {
        final byte[] bytes = ethernet().ipv4().udp(1, 2).payload(4).build().bytes();
        for (int ihl = 0; ihl < 5; ihl++)
        {
            bytes[ETH] = (byte)(0x40 | ihl);
            assertEquals(ParseError.IPV4_BAD_IHL, harness.parseError(bytes), "ihl " + ihl);
        }
        bytes[ETH] = (byte)0x4F; // 60 bytes of header, 32 left in the frame
        assertEquals(ParseError.IPV4_BAD_IHL, harness.parseError(bytes));
        bytes[ETH] = (byte)0x46; // 24 bytes of header: inside the frame, but beyond a total length of 22
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 22);
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH, harness.parseError(bytes));
    }

    @Test
    void shouldCountWrongIpVersions()
    {
        final byte[] ipv4 = ethernet().ipv4().udp(1, 2).build().bytes();
        ipv4[ETH] = (byte)0x65;
        assertEquals(ParseError.IPV4_BAD_VERSION, harness.parseError(ipv4));

        final byte[] ipv6 = ethernet().ipv6().udp(1, 2).build().bytes();
        ipv6[ETH] = (byte)0x45;
        assertEquals(ParseError.IPV6_BAD_VERSION, harness.parseError(ipv6));
    }

    @Test
    void shouldCountJumboClaimedIpv4TotalLength()
    {
        final byte[] bytes = ethernet().ipv4().tcp(1, 2, 0, 0).payload(100).build().bytes();
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 0xFFFF);
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH, harness.parseError(bytes));
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 141); // one more byte than the frame holds
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH, harness.parseError(bytes));
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 19);
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH, harness.parseError(bytes));
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 0);
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH, harness.parseError(bytes));
        putU16(bytes, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 140);
        assertEquals(ParseError.NONE, harness.parseError(bytes));
    }

    @Test
    void shouldCountJumboClaimedAndShortUdpLengths()
    {
        final byte[] bytes = ethernet().ipv4().udp(1, 2).payload(12).build().bytes();
        final int udpLength = IPV4_END_OF_HEADER + UdpFlyweight.LENGTH_OFFSET;
        for (final int claimed : new int[]{ 0xFFFF, 21, 7, 0 })
        {
            putU16(bytes, udpLength, claimed);
            assertEquals(ParseError.UDP_BAD_LENGTH, harness.parseError(bytes), "udp length " + claimed);
        }
        putU16(bytes, udpLength, 8); // shorter than the IP payload: the surplus is ignored, as the kernel does
        final FrameEvent event = harness.parse(bytes, bytes.length);
        assertEquals(0, event.parseError);
        assertEquals(IPV4_END_OF_HEADER + 8, event.payloadOffset);

        final byte[] ipv6 = ethernet().ipv6().udp(1, 2).payload(12).build().bytes();
        putU16(ipv6, IPV6_END_OF_HEADER + UdpFlyweight.LENGTH_OFFSET, 0xFFFF);
        assertEquals(ParseError.UDP_BAD_LENGTH, harness.parseError(ipv6));
    }

    @Test
    void shouldCountIpv6PayloadLengthBeyondTheFrameAndJumbograms()
    {
        final byte[] bytes = ethernet().ipv6().udp(1, 2).payload(12).build().bytes();
        final int payloadLength = ETH + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET;
        putU16(bytes, payloadLength, 21);
        assertEquals(ParseError.IPV6_BAD_PAYLOAD_LENGTH, harness.parseError(bytes));
        putU16(bytes, payloadLength, 0xFFFF);
        assertEquals(ParseError.IPV6_BAD_PAYLOAD_LENGTH, harness.parseError(bytes));

        final byte[] jumbo = ethernet().ipv6().extension(IpProtocols.HOP_BY_HOP, 8).udp(1, 2).build().bytes();
        putU16(jumbo, payloadLength, 0);
        assertEquals(ParseError.IPV6_BAD_PAYLOAD_LENGTH, harness.parseError(jumbo));
    }

    @Test
    void shouldAcceptEmptyIpv6PayloadWithoutHopByHop()
    {
        final byte[] bytes = ethernet().ipv6().protocol(IpProtocols.NO_NEXT_HEADER).padTo(64).build().bytes();
        final FrameEvent event = harness.parse(bytes, bytes.length);

        assertEquals(0, event.parseError);
        assertEquals(IPV6_END_OF_HEADER, event.ipEnd);
    }

    @Test
    void shouldCountTcpDataOffsetBelowFiveOrBeyondTheDatagram()
    {
        final byte[] bytes = ethernet().ipv4().tcp(1, 2, 0, 0).payload(20).build().bytes();
        final int dataOffset = IPV4_END_OF_HEADER + TcpFlyweight.DATA_OFFSET_OFFSET;
        for (int words = 0; words < 5; words++)
        {
            bytes[dataOffset] = (byte)(words << 4);
            assertEquals(ParseError.TCP_BAD_DATA_OFFSET, harness.parseError(bytes), "data offset " + words);
        }
        bytes[dataOffset] = (byte)0xB0; // 44 bytes of header in 40 bytes of IP payload
        assertEquals(ParseError.TCP_BAD_DATA_OFFSET, harness.parseError(bytes));
        bytes[dataOffset] = (byte)0xA0; // 40 bytes: all of it header
        final FrameEvent event = harness.parse(bytes, bytes.length);
        assertEquals(0, event.parseError);
        assertEquals(event.ipEnd, event.payloadOffset);
    }

    @Test
    void shouldIgnoreEthernetPaddingAfterTheDatagram()
    {
        final FrameEvent ipv4 = parse(ethernet().ipv4().udp(EPHEMERAL, DNS).payload(2).padTo(60).build());
        assertEquals(0, ipv4.parseError);
        assertEquals(IPV4_END_OF_HEADER + 10, ipv4.ipEnd);
        assertEquals(DNS, ipv4.dstPort);
        assertEquals(IPV4_END_OF_HEADER + 8, ipv4.payloadOffset);

        final FrameEvent ipv6 = parse(ethernet().ipv6().icmp(IcmpFlyweight.ICMPV6_ECHO_REPLY, 0).padTo(100)
            .build());
        assertEquals(0, ipv6.parseError);
        assertEquals(IPV6_END_OF_HEADER + 8, ipv6.ipEnd);
        assertEquals(IcmpFlyweight.ICMPV6_ECHO_REPLY, ipv6.icmpType);
    }

    @Test
    void shouldBoundL4ByTheIpLengthNotByThePaddedFrame()
    {
        final byte[] tcp = ethernet().ipv4().tcp(1, 2, 0, 0).padTo(80).build().bytes();
        putU16(tcp, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 20 + 19);
        assertEquals(ParseError.TRUNCATED_TCP, harness.parseError(tcp));

        final byte[] udp = ethernet().ipv4().udp(1, 2).payload(4).padTo(80).build().bytes();
        putU16(udp, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 20 + 8 + 3); // UDP says 12
        assertEquals(ParseError.UDP_BAD_LENGTH, harness.parseError(udp));

        final byte[] icmp = ethernet().ipv4().icmp(IcmpFlyweight.ICMP_ECHO_REPLY, 0).padTo(80).build().bytes();
        putU16(icmp, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 20 + 7);
        assertEquals(ParseError.TRUNCATED_ICMP, harness.parseError(icmp));

        final byte[] extension = ethernet().ipv6().extension(IpProtocols.DESTINATION_OPTIONS, 16)
            .protocol(IpProtocols.NO_NEXT_HEADER).padTo(120).build().bytes();
        putU16(extension, ETH + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, 15);
        assertEquals(ParseError.TRUNCATED_IPV6_EXTENSION, harness.parseError(extension));
    }

    @Test
    void shouldCountDescriptorsOutsideTheUmem()
    {
        final FrameEvent event = new FrameEvent();
        final PacketParser parser = harness.parser();
        final int size = FrameHarness.SEGMENT_BYTES;
        final long[][] descriptors = {
            { size - 59, 60 }, { size, 1 }, { -1, 60 }, { 0, -1 }, { Long.MAX_VALUE, 60 }, { 0, Integer.MAX_VALUE },
            { Long.MIN_VALUE, 0 } };
        for (final long[] descriptor : descriptors)
        {
            event.address = descriptor[0];
            event.length = (int)descriptor[1];
            assertEquals(ParseError.FRAME_OUTSIDE_UMEM.id(), parser.parse(harness.umem(), event));
            assertEquals(ParseError.FRAME_OUTSIDE_UMEM.id(), event.parseError);
        }
        event.address = size;
        event.length = 0;
        assertEquals(ParseError.TRUNCATED_ETHERNET.id(), parser.parse(harness.umem(), event));
    }

    @Test
    void shouldParseAMultiBufferPacketFromItsFirstBufferAndCheckLengthsAgainstTheWhole()
    {
        final byte[] frame = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 7000).payload(8958).build();
        assertEquals(9000, frame.length);
        final FrameEvent event = new FrameEvent(3);
        final PacketParser parser = harness.parser();
        // the first buffer alone: the IP and UDP lengths run past it
        event.address = harness.place(frame, 3840, 0);
        event.length = 3840;
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH.id(), parser.parse(harness.umem(), event));

        event.buffers = 3;
        event.totalLength = 9000;
        event.bufferLengths[0] = 3840;
        event.bufferLengths[1] = 3840;
        event.bufferLengths[2] = 1320;
        assertEquals(ParseError.NONE.id(), parser.parse(harness.umem(), event));
        assertEquals(9000, event.ipEnd);
        assertEquals(7000, event.dstPort);
        assertEquals(42, event.payloadOffset);

        // a whole packet shorter than its IP total length is still refused
        event.totalLength = 8999;
        assertEquals(ParseError.IPV4_BAD_TOTAL_LENGTH.id(), parser.parse(harness.umem(), event));

        // a first buffer that ends inside the UDP header
        event.totalLength = 9000;
        event.length = 38;
        assertEquals(ParseError.HEADERS_SPLIT.id(), parser.parse(harness.umem(), event));
        assertEquals(ParseError.HEADERS_SPLIT, ParseError.get(event.parseError));

        event.length = 3840;
        event.chainCut = true;
        assertEquals(ParseError.CHAIN_CUT.id(), parser.parse(harness.umem(), event));
    }

    @Test
    void shouldOverwriteEveryFieldOfTheFrameBefore()
    {
        final FrameEvent fresh = new FrameEvent();
        final byte[] arp = ethernet().etherType(EtherTypes.ARP, 28).build().bytes();
        fresh.address = harness.place(arp, arp.length, 0);
        fresh.length = arp.length;
        harness.parser().parse(harness.umem(), fresh);

        final FrameEvent reused = new FrameEvent();
        final byte[] busy = ethernet().vlan(EtherTypes.QINQ, 3)
            .vlan(EtherTypes.VLAN, 4).ipv4().ipv4Options(4).ipv4Fragment(0, true)
            .tcp(1, 2, 0xFF, 4).build().bytes();
        reused.address = harness.place(busy, busy.length, 2048);
        reused.length = busy.length;
        harness.parser().parse(harness.umem(), reused);
        reused.address = fresh.address;
        reused.length = fresh.length;
        harness.parser().parse(harness.umem(), reused);

        assertArrayEquals(FrameHarness.snapshot(fresh), FrameHarness.snapshot(reused));
    }

    @Test
    void shouldFindTheOffsetsTheXskFrameBuilderRecords()
    {
        final byte[][] frames = {
            Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 53).payload(16).build(),
            Frames.ethernet().vlan(0x8100, 10).ipv4("10.0.0.1", "10.0.0.2").ipv4Options(new byte[8]).tcp(1, 2)
                .build(),
            Frames.ethernet().vlan(0x88A8, 1).vlan(0x8100, 2).ipv6("2001:db8::1", "2001:db8::2").icmpEcho().build(),
            Frames.ethernet().ipv6("2001:db8::1", "2001:db8::2").ipv6HopByHop().fragment(0, true).udp(1, 2)
                .payload(3).build(),
            Frames.ethernet().ipv6("2001:db8::1", "2001:db8::2").fragment(64, false).udp(1, 2).payload(3).build(),
            Frames.ethernet().etherType(EtherTypes.ARP).build() };
        for (final byte[] frame : frames)
        {
            final FrameEvent event = harness.parse(frame, frame.length);
            assertEquals(0, event.parseError);
            assertEquals(Frames.l3Offset(frame), event.l3Offset);
            assertEquals(Frames.l4Offset(frame), event.l4Offset);
        }
    }

    private FrameEvent parse(final Crafted frame)
    {
        return harness.parse(frame.bytes(), frame.length());
    }

    private static void assertL4Absent(final FrameEvent event)
    {
        assertEquals(ABSENT, event.l4Offset, "l4Offset");
        assertEquals(ABSENT, event.srcPort, "srcPort");
        assertEquals(ABSENT, event.dstPort, "dstPort");
        assertEquals(ABSENT, event.tcpFlags, "tcpFlags");
        assertEquals(ABSENT, event.icmpType, "icmpType");
        assertEquals(ABSENT, event.icmpCode, "icmpCode");
        assertEquals(ABSENT, event.payloadOffset, "payloadOffset");
    }
}
