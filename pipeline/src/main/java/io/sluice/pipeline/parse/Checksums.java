package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.frame.IpProtocols;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * Internet checksums (RFC 1071) of frames in a {@link MemorySegment}: the IPv4 header checksum and the TCP, UDP,
 * ICMP and ICMPv6 checksums with the IPv4 or IPv6 pseudo-header where the protocol has one.
 * <p>
 * Not for the data path: the pipeline never verifies or recomputes checksums per frame (reflecting a frame by
 * swapping addresses and ports keeps them valid). This is for tests and demos that check what was reflected, and
 * for crafting frames. Arguments are trusted: a header outside the segment throws {@link IndexOutOfBoundsException}.
 */
public final class Checksums
{
    private static final int TCP_CHECKSUM_OFFSET = TcpFlyweight.CHECKSUM_OFFSET;
    private static final int UDP_CHECKSUM_OFFSET = UdpFlyweight.CHECKSUM_OFFSET;
    private static final int ICMP_CHECKSUM_OFFSET = IcmpFlyweight.CHECKSUM_OFFSET;
    private static final int IPV4_ADDRESSES_LENGTH = 8;
    private static final int IPV6_ADDRESSES_LENGTH = 2 * Ipv6Flyweight.ADDRESS_LENGTH;

    private Checksums()
    {
    }

    /**
     * The ones'-complement sum of a byte range taken as big-endian 16 bit words, an odd last byte padded with zero.
     *
     * @param segment     holding the bytes.
     * @param address     of the first byte.
     * @param lengthBytes number of bytes.
     * @return the sum folded to 16 bits, not complemented.
     */
    public static int onesComplementSum(final MemorySegment segment, final long address, final int lengthBytes)
    {
        return fold(sum(segment, address, lengthBytes));
    }

    /**
     * @param segment   holding the frame.
     * @param l3Address address of the IPv4 header's first byte.
     * @return the header checksum to store, computed as if the checksum field were zero.
     */
    public static int ipv4HeaderChecksum(final MemorySegment segment, final long l3Address)
    {
        final int headerLength = (segment.get(U8, l3Address) & 0x0F) << 2;
        final long sum = sum(segment, l3Address, Ipv4Flyweight.CHECKSUM_OFFSET) +
            sum(segment, l3Address + Ipv4Flyweight.CHECKSUM_OFFSET + 2,
                headerLength - Ipv4Flyweight.CHECKSUM_OFFSET - 2);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * @param segment   holding the frame.
     * @param l3Address address of the IPv4 header's first byte.
     * @return true if the header is version 4 with IHL of at least 5 and its checksum is right.
     */
    public static boolean ipv4HeaderValid(final MemorySegment segment, final long l3Address)
    {
        final int versionIhl = segment.get(U8, l3Address) & 0xFF;
        final int headerLength = (versionIhl & 0x0F) << 2;
        if ((versionIhl >>> 4) != Ipv4Flyweight.VERSION || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return false;
        }
        return 0xFFFF == onesComplementSum(segment, l3Address, headerLength);
    }

    /**
     * Whether {@link #l4Checksum} and {@link #l4Valid} apply: the frame parsed cleanly, has a TCP, UDP, ICMP or
     * ICMPv6 header, and is not a fragment (a fragment's L4 checksum covers the whole datagram, which one frame
     * does not hold).
     *
     * @param parsed what {@link PacketParser#parse} found in the frame.
     * @return true if the frame's L4 checksum can be computed and verified from the frame alone.
     */
    public static boolean hasL4Checksum(final FrameEvent parsed)
    {
        return 0 == parsed.parseError &&
            FrameEvent.ABSENT != parsed.l4Offset &&
            0 == (parsed.ipFlags & FrameEvent.IP_FRAGMENT);
    }

    /**
     * The TCP, UDP, ICMP or ICMPv6 checksum a frame should carry, computed as if its checksum field were zero; the
     * addresses of the pseudo-header are read from the frame, so a frame changed since it was parsed (addresses
     * swapped) is summed as it is now. The span is the UDP length for UDP and up to {@code ipEnd} for the others.
     *
     * @param segment      holding the frame.
     * @param frameAddress address of the frame's first byte; the parsed offsets are relative to it.
     * @param parsed       what {@link PacketParser#parse} found in the frame (or in one laid out the same).
     * @return the checksum to store; for UDP never 0, which would mean "no checksum" (0xFFFF is sent instead).
     * @throws IllegalArgumentException if {@link #hasL4Checksum} is false.
     */
    public static int l4Checksum(final MemorySegment segment, final long frameAddress, final FrameEvent parsed)
    {
        requireL4Checksum(parsed);
        final long l4Address = frameAddress + parsed.l4Offset;
        final int checksumOffset = checksumOffset(parsed.ipProtocol);
        final int length = l4Length(segment, l4Address, parsed);
        final long sum = pseudoHeaderSum(segment, frameAddress, parsed, length) +
            sum(segment, l4Address, checksumOffset) +
            sum(segment, l4Address + checksumOffset + 2, length - checksumOffset - 2);
        final int checksum = ~fold(sum) & 0xFFFF;
        return (0 == checksum && IpProtocols.UDP == parsed.ipProtocol) ? 0xFFFF : checksum;
    }

    /**
     * Verify the TCP, UDP, ICMP or ICMPv6 checksum a frame carries, over the same span as {@link #l4Checksum}.
     * A UDP checksum of 0 over IPv4 means none was computed and is valid; over IPv6 it is invalid (RFC 8200 8.1).
     *
     * @param segment      holding the frame.
     * @param frameAddress address of the frame's first byte; the parsed offsets are relative to it.
     * @param parsed       what {@link PacketParser#parse} found in the frame (or in one laid out the same).
     * @return true if the checksum is right.
     * @throws IllegalArgumentException if {@link #hasL4Checksum} is false.
     */
    public static boolean l4Valid(final MemorySegment segment, final long frameAddress, final FrameEvent parsed)
    {
        requireL4Checksum(parsed);
        final long l4Address = frameAddress + parsed.l4Offset;
        if (IpProtocols.UDP == parsed.ipProtocol && 0 == (segment.get(U16, l4Address + UDP_CHECKSUM_OFFSET)))
        {
            return Ipv4Flyweight.VERSION == parsed.ipVersion;
        }
        final int length = l4Length(segment, l4Address, parsed);
        final long sum = pseudoHeaderSum(segment, frameAddress, parsed, length) + sum(segment, l4Address, length);
        return 0xFFFF == fold(sum);
    }

    private static void requireL4Checksum(final FrameEvent parsed)
    {
        if (!hasL4Checksum(parsed))
        {
            throw new IllegalArgumentException("no L4 checksum to compute from this frame: parseError=" +
                ParseError.get(parsed.parseError).key() + ", ipProtocol=" + parsed.ipProtocol +
                ", l4Offset=" + parsed.l4Offset + ", ipFlags=" + parsed.ipFlags);
        }
    }

    private static int checksumOffset(final int protocol)
    {
        return switch (protocol)
        {
            case IpProtocols.TCP -> TCP_CHECKSUM_OFFSET;
            case IpProtocols.UDP -> UDP_CHECKSUM_OFFSET;
            default -> ICMP_CHECKSUM_OFFSET;
        };
    }

    private static int l4Length(final MemorySegment segment, final long l4Address, final FrameEvent parsed)
    {
        if (IpProtocols.UDP == parsed.ipProtocol)
        {
            return segment.get(U16, l4Address + UdpFlyweight.LENGTH_OFFSET) & 0xFFFF;
        }
        return parsed.ipEnd - parsed.l4Offset;
    }

    private static long pseudoHeaderSum(
        final MemorySegment segment, final long frameAddress, final FrameEvent parsed, final int l4Length)
    {
        final long l3Address = frameAddress + parsed.l3Offset;
        if (Ipv4Flyweight.VERSION == parsed.ipVersion)
        {
            if (IpProtocols.ICMP == parsed.ipProtocol)
            {
                return 0; // ICMP for IPv4 sums the message alone
            }
            return sum(segment, l3Address + Ipv4Flyweight.SRC_ADDRESS_OFFSET, IPV4_ADDRESSES_LENGTH) +
                parsed.ipProtocol + l4Length;
        }
        // RFC 8200 8.1: the destination is the final one, which differs only with a Routing header (not handled)
        return sum(segment, l3Address + Ipv6Flyweight.SRC_ADDRESS_OFFSET, IPV6_ADDRESSES_LENGTH) +
            (l4Length >>> 16) + (l4Length & 0xFFFF) + parsed.ipProtocol;
    }

    private static long sum(final MemorySegment segment, final long address, final int lengthBytes)
    {
        long sum = 0;
        final long end = address + lengthBytes;
        long at = address;
        for (; at + 1 < end; at += 2)
        {
            sum += segment.get(U16, at) & 0xFFFF;
        }
        if (at < end)
        {
            sum += (segment.get(U8, at) & 0xFF) << 8;
        }
        return sum;
    }

    private static int fold(final long sum)
    {
        long folded = sum;
        while (0 != (folded >>> 16))
        {
            folded = (folded & 0xFFFF) + (folded >>> 16);
        }
        return (int)folded;
    }
}
