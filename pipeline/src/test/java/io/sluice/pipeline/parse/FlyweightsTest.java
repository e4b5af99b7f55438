package io.sluice.pipeline.parse;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each flyweight's fields read from known bytes at an odd offset (headers are not aligned in a frame).
 */
class FlyweightsTest
{
    private static final long AT = FrameHarness.MIDDLE_ADDRESS + 3;

    private final FrameHarness harness = new FrameHarness();
    private final MemorySegment umem = harness.umem();

    @AfterEach
    void close()
    {
        harness.close();
    }

    @Test
    void shouldReadAndSwapEthernetFields()
    {
        place(0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x86, 0xDD);
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(umem, AT);

        assertEquals(0x0211_2233_4455L, ethernet.dstMac());
        assertEquals(0xF0E1_D2C3_B4A5L, ethernet.srcMac());
        assertEquals(EtherTypes.IPV6, ethernet.etherType());
        ethernet.swapMacs();
        assertEquals(0xF0E1_D2C3_B4A5L, ethernet.dstMac());
        assertEquals(0x0211_2233_4455L, ethernet.srcMac());
        assertEquals(EtherTypes.IPV6, ethernet.etherType());
        ethernet.dstMac(0xFFFF_FFFF_FFFFL).srcMac(1L);
        assertEquals(0xFFFF_FFFF_FFFFL, ethernet.dstMac());
        assertEquals(1L, ethernet.srcMac());
        assertTrue(EthernetFlyweight.isVlanTag(0x8100));
        assertTrue(EthernetFlyweight.isVlanTag(0x88A8));
        assertFalse(EthernetFlyweight.isVlanTag(0x9100));
    }

    @Test
    void shouldSplitVlanTci()
    {
        place(0xB0, 0x0A, 0x08, 0x00); // priority 5, drop eligible, vid 10, IPv4
        final VlanFlyweight vlan = new VlanFlyweight().wrap(umem, AT);

        assertEquals(0xB00A, vlan.tci());
        assertEquals(10, vlan.vlanId());
        assertEquals(5, vlan.priority());
        assertTrue(vlan.dropEligible());
        assertEquals(EtherTypes.IPV4, vlan.innerEtherType());
    }

    @Test
    void shouldReadIpv4FieldsAndSwapAddresses()
    {
        place(0x46, 0xB8, 0x01, 0x2C, 0xBE, 0xEF, 0x60, 0x03, 0x07, 0x11, 0xAB, 0xCD,
            10, 0, 0, 1, 192, 168, 1, 2, 1, 1, 1, 1);
        final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(umem, AT);

        assertEquals(4, ip.version());
        assertEquals(6, ip.ihl());
        assertEquals(24, ip.headerLengthBytes());
        assertEquals(0xB8, ip.tos());
        assertEquals(300, ip.totalLengthBytes());
        assertEquals(0xBEEF, ip.identification());
        assertEquals(0x6003, ip.flagsAndFragmentOffset());
        assertTrue(ip.dontFragment());
        assertTrue(ip.moreFragments());
        assertEquals(24, ip.fragmentOffsetBytes());
        assertEquals(7, ip.ttl());
        assertEquals(IpProtocols.UDP, ip.protocol());
        assertEquals(0xABCD, ip.checksum());
        assertEquals(0x0A00_0001, ip.srcAddress());
        assertEquals(0xC0A8_0102, ip.dstAddress());
        ip.swapAddresses();
        assertEquals(0xC0A8_0102, ip.srcAddress());
        assertEquals(0x0A00_0001, ip.dstAddress());
        assertEquals(0xABCD, ip.checksum());
    }

    @Test
    void shouldReadIpv6FieldsAndSwapAddresses()
    {
        final int[] bytes = new int[40];
        bytes[0] = 0x6A;
        bytes[1] = 0xB1;
        bytes[2] = 0x23;
        bytes[3] = 0x45;
        bytes[4] = 0x05;
        bytes[5] = 0xDC;
        bytes[6] = IpProtocols.TCP;
        bytes[7] = 0xFF;
        for (int i = 0; i < 16; i++)
        {
            bytes[8 + i] = i;
            bytes[24 + i] = 0xF0 + i;
        }
        place(bytes);
        final Ipv6Flyweight ip = new Ipv6Flyweight().wrap(umem, AT);

        assertEquals(6, ip.version());
        assertEquals(0xAB, ip.trafficClass());
        assertEquals(0x12345, ip.flowLabel());
        assertEquals(1500, ip.payloadLengthBytes());
        assertEquals(IpProtocols.TCP, ip.nextHeader());
        assertEquals(255, ip.hopLimit());
        assertEquals(0x0001_0203_0405_0607L, ip.srcAddressHi());
        assertEquals(0x0809_0A0B_0C0D_0E0FL, ip.srcAddressLo());
        assertEquals(0xF0F1_F2F3_F4F5_F6F7L, ip.dstAddressHi());
        assertEquals(0xF8F9_FAFB_FCFD_FEFFL, ip.dstAddressLo());
        ip.swapAddresses();
        assertEquals(0xF0F1_F2F3_F4F5_F6F7L, ip.srcAddressHi());
        assertEquals(0xF8F9_FAFB_FCFD_FEFFL, ip.srcAddressLo());
        assertEquals(0x0001_0203_0405_0607L, ip.dstAddressHi());
        assertEquals(0x0809_0A0B_0C0D_0E0FL, ip.dstAddressLo());
        assertEquals(1500, ip.payloadLengthBytes());
    }

    @Test
    void shouldMeasureEachKindOfExtensionHeader()
    {
        place(IpProtocols.TCP, 2, 0, 0, 0, 0, 0, 0);
        final Ipv6ExtensionFlyweight extension = new Ipv6ExtensionFlyweight().wrap(umem, AT);

        assertEquals(IpProtocols.TCP, extension.nextHeader());
        assertEquals(2, extension.lengthField());
        assertEquals(24, extension.headerLengthBytes(IpProtocols.HOP_BY_HOP));
        assertEquals(24, extension.headerLengthBytes(IpProtocols.ROUTING));
        assertEquals(24, extension.headerLengthBytes(IpProtocols.DESTINATION_OPTIONS));
        assertEquals(24, extension.headerLengthBytes(IpProtocols.MOBILITY));
        assertEquals(16, extension.headerLengthBytes(IpProtocols.AH));
        assertEquals(8, extension.headerLengthBytes(IpProtocols.FRAGMENT));

        place(IpProtocols.UDP, 255, 0, 0, 0, 0, 0, 0);
        assertEquals(2048, extension.headerLengthBytes(IpProtocols.HOP_BY_HOP));
        assertEquals(1028, extension.headerLengthBytes(IpProtocols.AH));
        assertEquals(8, extension.headerLengthBytes(IpProtocols.FRAGMENT));

        assertTrue(Ipv6ExtensionFlyweight.isExtensionHeader(IpProtocols.SHIM6));
        assertTrue(Ipv6ExtensionFlyweight.isExtensionHeader(IpProtocols.HIP));
        assertFalse(Ipv6ExtensionFlyweight.isExtensionHeader(IpProtocols.ESP));
        assertFalse(Ipv6ExtensionFlyweight.isExtensionHeader(IpProtocols.NO_NEXT_HEADER));
        assertFalse(Ipv6ExtensionFlyweight.isExtensionHeader(IpProtocols.TCP));
    }

    @Test
    void shouldReadFragmentHeader()
    {
        place(IpProtocols.UDP, 0, 0x05, 0xC9, 0xDE, 0xAD, 0xBE, 0xEF); // offset 185 * 8, M set
        final Ipv6ExtensionFlyweight fragment = new Ipv6ExtensionFlyweight().wrap(umem, AT);

        assertEquals(1480, fragment.fragmentOffsetBytes());
        assertTrue(fragment.moreFragments());
        assertEquals(0xDEAD_BEEF, fragment.fragmentIdentification());
        assertEquals(IpProtocols.UDP, fragment.nextHeader());
    }

    @Test
    void shouldReadTcpFieldsAndSwapPorts()
    {
        place(0xC0, 0x00, 0x00, 0x16, 0x01, 0x02, 0x03, 0x04, 0xF1, 0xF2, 0xF3, 0xF4,
            0x80, 0x18, 0xFF, 0xF0, 0x12, 0x34, 0x00, 0x07);
        final TcpFlyweight tcp = new TcpFlyweight().wrap(umem, AT);

        assertEquals(49152, tcp.srcPort());
        assertEquals(22, tcp.dstPort());
        assertEquals(0x0102_0304, tcp.sequenceNumber());
        assertEquals(0xF1F2_F3F4, tcp.acknowledgmentNumber());
        assertEquals(8, tcp.dataOffset());
        assertEquals(32, tcp.headerLengthBytes());
        assertEquals(TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH, tcp.flags());
        assertEquals(0xFFF0, tcp.window());
        assertEquals(0x1234, tcp.checksum());
        assertEquals(7, tcp.urgentPointer());
        tcp.swapPorts();
        assertEquals(22, tcp.srcPort());
        assertEquals(49152, tcp.dstPort());
        assertEquals(0x1234, tcp.checksum());
    }

    @Test
    void shouldReadUdpFieldsAndSwapPorts()
    {
        place(0xFF, 0xFE, 0x00, 0x35, 0x00, 0x1C, 0xAB, 0xCD);
        final UdpFlyweight udp = new UdpFlyweight().wrap(umem, AT);

        assertEquals(65534, udp.srcPort());
        assertEquals(53, udp.dstPort());
        assertEquals(28, udp.lengthBytes());
        assertEquals(0xABCD, udp.checksum());
        udp.swapPorts();
        assertEquals(53, udp.srcPort());
        assertEquals(65534, udp.dstPort());
        assertEquals(28, udp.lengthBytes());
    }

    @Test
    void shouldReadIcmpFields()
    {
        place(IcmpFlyweight.ICMPV6_ECHO_REQUEST, 0, 0x12, 0x34, 0xAB, 0xCD, 0x00, 0x09);
        final IcmpFlyweight icmp = new IcmpFlyweight().wrap(umem, AT);

        assertEquals(IcmpFlyweight.ICMPV6_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x1234, icmp.checksum());
        assertEquals(0xABCD, icmp.identifier());
        assertEquals(9, icmp.sequenceNumber());
        icmp.checksum(0xBEEF);
        assertEquals(0xBEEF, icmp.checksum());
    }

    private void place(final int... bytes)
    {
        final byte[] frame = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
        {
            frame[i] = (byte)bytes[i];
        }
        harness.place(frame, frame.length, AT);
    }
}
