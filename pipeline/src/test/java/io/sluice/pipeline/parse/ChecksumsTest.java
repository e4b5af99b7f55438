package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.sluice.pipeline.parse.FrameCrafter.ethernet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumsTest
{
    private static final long ADDRESS = FrameHarness.MIDDLE_ADDRESS;

    private final FrameHarness harness = new FrameHarness();
    private final MemorySegment umem = harness.umem();
    private final FrameEvent event = new FrameEvent();

    static List<Named<Crafted>> frames()
    {
        return FrameCatalogue.frames();
    }

    @AfterEach
    void close()
    {
        harness.close();
    }

    @Test
    void shouldSumAsRfc1071Example()
    {
        final byte[] bytes = { 0x00, 0x01, (byte)0xF2, 0x03, (byte)0xF4, (byte)0xF5, (byte)0xF6, (byte)0xF7 };
        harness.place(bytes, bytes.length, ADDRESS);

        assertEquals(0xDDF2, Checksums.onesComplementSum(umem, ADDRESS, bytes.length));
        assertEquals(0xF700, Checksums.onesComplementSum(umem, ADDRESS + 7, 1), "odd byte padded with zero");
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldVerifyAndReproduceTheChecksumsOfCraftedFrames(final Crafted frame)
    {
        parse(frame);
        if (4 == event.ipVersion)
        {
            final long l3 = ADDRESS + event.l3Offset;
            assertTrue(Checksums.ipv4HeaderValid(umem, l3));
            assertEquals(new Ipv4Flyweight().wrap(umem, l3).checksum(), Checksums.ipv4HeaderChecksum(umem, l3));
        }
        if (Checksums.hasL4Checksum(event))
        {
            assertTrue(Checksums.l4Valid(umem, ADDRESS, event));
            assertEquals(storedL4Checksum(), Checksums.l4Checksum(umem, ADDRESS, event));
        }
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldRejectAFlippedBitAnywhereTheChecksumsCover(final Crafted frame)
    {
        parse(frame);
        if (4 == event.ipVersion)
        {
            final int headerEnd = event.l3Offset +
                new Ipv4Flyweight().wrap(umem, ADDRESS + event.l3Offset).headerLengthBytes();
            for (int at = event.l3Offset; at < headerEnd; at++)
            {
                flip(at);
                assertFalse(Checksums.ipv4HeaderValid(umem, ADDRESS + event.l3Offset), "IPv4 byte " + at);
                flip(at);
            }
        }
        if (!Checksums.hasL4Checksum(event))
        {
            return;
        }
        final int addressesOffset = event.l3Offset + (4 == event.ipVersion ? 12 : 8);
        final int addressesEnd = addressesOffset + (4 == event.ipVersion ? 8 : 32);
        final boolean pseudoHeader = IpProtocols.ICMP != event.ipProtocol;
        for (int at = pseudoHeader ? addressesOffset : event.l4Offset; at < event.ipEnd; at++)
        {
            final int udpLengthAt = event.l4Offset + UdpFlyweight.LENGTH_OFFSET;
            final boolean udpLength =
                IpProtocols.UDP == event.ipProtocol && (at == udpLengthAt || at == udpLengthAt + 1);
            if ((at >= addressesEnd && at < event.l4Offset) || udpLength)
            {
                continue;
            }
            flip(at);
            final boolean udpChecksumNowAbsent =
                4 == event.ipVersion && IpProtocols.UDP == event.ipProtocol && 0 == storedL4Checksum();
            if (!udpChecksumNowAbsent)
            {
                assertFalse(Checksums.l4Valid(umem, ADDRESS, event), "L4 checksum still valid, byte " + at);
            }
            flip(at);
        }
        assertTrue(Checksums.l4Valid(umem, ADDRESS, event));
    }

    @Test
    void shouldTakeAnAbsentUdpChecksumAsValidOverIpv4Only()
    {
        parse(ethernet().ipv4().udp(1, 2).payload(9).build());
        new UdpFlyweight().wrap(umem, ADDRESS + event.l4Offset).checksum(0);
        assertTrue(Checksums.l4Valid(umem, ADDRESS, event));

        parse(ethernet().ipv6().udp(1, 2).payload(9).build());
        new UdpFlyweight().wrap(umem, ADDRESS + event.l4Offset).checksum(0);
        assertFalse(Checksums.l4Valid(umem, ADDRESS, event));
    }

    @Test
    void shouldMakeARewrittenFrameValidAgainWithTheComputedChecksums()
    {
        parse(ethernet().ipv4().tcp(1, 2, TcpFlyweight.FLAG_ACK, 4).payload(31).build());
        final long l3 = ADDRESS + event.l3Offset;
        umem.set(ValueLayout.JAVA_BYTE, l3 + Ipv4Flyweight.TTL_OFFSET, (byte)63);
        umem.set(ValueLayout.JAVA_BYTE, ADDRESS + event.payloadOffset, (byte)0x7E);
        assertFalse(Checksums.ipv4HeaderValid(umem, l3));
        assertFalse(Checksums.l4Valid(umem, ADDRESS, event));

        new Ipv4Flyweight().wrap(umem, l3).checksum(Checksums.ipv4HeaderChecksum(umem, l3));
        new TcpFlyweight().wrap(umem, ADDRESS + event.l4Offset).checksum(Checksums.l4Checksum(umem, ADDRESS, event));

        assertTrue(Checksums.ipv4HeaderValid(umem, l3));
        assertTrue(Checksums.l4Valid(umem, ADDRESS, event));
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldKeepChecksumsValidAfterSwappingMacsAddressesAndPorts(final Crafted frame)
    {
        parse(frame);
        if (0 != event.parseError)
        {
            return;
        }
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(umem, ADDRESS);
        final long dstMac = ethernet.dstMac();
        final long srcMac = ethernet.srcMac();

        ethernet.swapMacs();
        if (4 == event.ipVersion)
        {
            new Ipv4Flyweight().wrap(umem, ADDRESS + event.l3Offset).swapAddresses();
        }
        else if (6 == event.ipVersion)
        {
            new Ipv6Flyweight().wrap(umem, ADDRESS + event.l3Offset).swapAddresses();
        }
        if (IpProtocols.TCP == event.ipProtocol && event.l4Offset >= 0)
        {
            new TcpFlyweight().wrap(umem, ADDRESS + event.l4Offset).swapPorts();
        }
        else if (IpProtocols.UDP == event.ipProtocol && event.l4Offset >= 0)
        {
            new UdpFlyweight().wrap(umem, ADDRESS + event.l4Offset).swapPorts();
        }
        final FrameEvent swapped = new FrameEvent();
        harness.parse(ADDRESS, frame.length(), swapped);

        assertEquals(srcMac, ethernet.dstMac());
        assertEquals(dstMac, ethernet.srcMac());
        assertEquals(event.srcIpv4, swapped.dstIpv4);
        assertEquals(event.dstIpv4, swapped.srcIpv4);
        assertEquals(event.srcIpv6Hi, swapped.dstIpv6Hi);
        assertEquals(event.srcIpv6Lo, swapped.dstIpv6Lo);
        assertEquals(event.dstIpv6Hi, swapped.srcIpv6Hi);
        assertEquals(event.dstIpv6Lo, swapped.srcIpv6Lo);
        assertEquals(event.srcPort, swapped.dstPort);
        assertEquals(event.dstPort, swapped.srcPort);
        if (4 == event.ipVersion)
        {
            assertTrue(Checksums.ipv4HeaderValid(umem, ADDRESS + event.l3Offset), "IPv4 header checksum");
        }
        if (Checksums.hasL4Checksum(swapped))
        {
            assertTrue(Checksums.l4Valid(umem, ADDRESS, swapped), "L4 checksum");
        }
        assertEquals(0, swapped.parseError);
    }

    @Test
    void shouldRefuseFramesWithoutAnL4ChecksumToCheck()
    {
        final Crafted[] frames = {
            ethernet().etherType(EtherTypes.ARP, 28).build(),
            ethernet().ipv4().protocol(47).payload(8).build(),
            ethernet().ipv4().ipv4Fragment(0, true).udp(1, 2).udpLength(3000).build(),
            ethernet().ipv6().ipv6Fragment(8, false).udp(1, 2).build(),
            ethernet().ipv4().tcp(1, 2, 0, 0).build() };
        frames[4].bytes()[EthernetFlyweight.HEADER_LENGTH] = 0x44; // bad IHL
        for (final Crafted frame : frames)
        {
            parse(frame);
            assertFalse(Checksums.hasL4Checksum(event));
            assertThrows(IllegalArgumentException.class, () -> Checksums.l4Valid(umem, ADDRESS, event));
            assertThrows(IllegalArgumentException.class, () -> Checksums.l4Checksum(umem, ADDRESS, event));
        }
    }

    private void parse(final Crafted frame)
    {
        harness.place(frame.bytes(), frame.length(), ADDRESS);
        harness.parse(ADDRESS, frame.length(), event);
    }

    private int storedL4Checksum()
    {
        final int checksumOffset = switch (event.ipProtocol)
        {
            case IpProtocols.TCP -> TcpFlyweight.CHECKSUM_OFFSET;
            case IpProtocols.UDP -> UdpFlyweight.CHECKSUM_OFFSET;
            default -> IcmpFlyweight.CHECKSUM_OFFSET;
        };
        return umem.get(NetworkOrder.U16, ADDRESS + event.l4Offset + checksumOffset) & 0xFFFF;
    }

    private void flip(final int frameOffset)
    {
        final long at = ADDRESS + frameOffset;
        umem.set(ValueLayout.JAVA_BYTE, at, (byte)(umem.get(ValueLayout.JAVA_BYTE, at) ^ 1));
    }
}
